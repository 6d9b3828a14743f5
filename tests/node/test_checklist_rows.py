"""A case's checklist is written in one statement, whatever its length
(``node.case_log.store_materials``: intake at the window, and a case handed here)."""
from __future__ import annotations

from node import case_log
from node.models import CaseMaterial, database
from tests.node.test_window import app, seed  # noqa: F401  (fixtures)
from tests.queries import counted


def _material(i: int) -> dict:
    on_file = i == 1
    return {"name": f"材料{i}", "required": i % 2 == 0, "provided": i != 3,
            "reused_from": "210102-2026-000001" if on_file else "",
            "source": "case" if on_file else None, "trust_level": "A" if on_file else None}


def test_a_checklist_is_one_insert_and_reads_back_as_given(app):  # noqa: F811
    with database.connection_context():
        for size in (1, 8):  # a power of two rows: one statement (``insert_sizes``)
            given = [_material(i) for i in range(size)]
            with counted(database) as statements:
                case_log.store_materials(f"N{size}", given)
            assert len(statements) == 1
            stored = (CaseMaterial.select().where(CaseMaterial.number == f"N{size}")
                      .order_by(CaseMaterial.name))
            assert [{"name": m.name, "required": m.required, "provided": m.provided,
                     "reused_from": m.reused_from, "source": m.source,
                     "trust_level": m.trust_level} for m in stored] == given
