"""Historical import at a node: a center's past cases from an old system (docs/import.md).

All or nothing: every line is checked in memory first (``node.import_check``);
only then is anything written, in one transaction, in chunks of rows each with
one bulk insert per table and its events signed in memory and stored through the
outbox's bulk path (``outbox.emit_many``). The events are the ``case.received`` and
``case.action`` a window writes, so ``hallsync node sync`` pushes them and the hub
replays them like any other work. A case number already at this node is skipped,
so a second run of the same file imports nothing.
"""
from __future__ import annotations

import datetime
import time
from collections.abc import Iterable
from pathlib import Path

import orjson

from node import outbox, projects, reuse, store
from node.case_log import now
from node.import_check import Catalog, Checked, check_case
from node.import_files import fail, read_cases
from node.models import (Case, CaseAction, CaseMaterial, CatalogMatter, KeptMaterial,
                         KeyProjectCase, database)
from node.work_calendar import calendar_in_force
from sync import case_clock, case_machine, case_records
from sync.calendar import WorkCalendar
from sync.cli_output import progress_bar
from sync.database import insert_rows
from sync.events import utc_now_iso
from sync.signing import KeyPair
from sync.topology import load_topology

CHUNK = 2000  # cases per bulk insert: bounded statements, still few round trips
CASE_COLUMNS = ("number", "matter_code", "matter", "applicant_kind", "applicant_name",
                "applicant_id", "applicant_phone", "green_channel", "state", "received_at",
                "accepted_at", "promised_date", "promised_provisional", "decided_at", "outcome",
                "document_number", "received", "collected_by", "owner", "consulted")


def import_file(path: Path, keys: KeyPair, *, shown: bool = False) -> dict:
    """Check and import ``path``; the counts and the rate (``shown``: with a progress bar of
    the cases written, for the command; the check before it takes a fraction of the time)."""
    started = time.perf_counter()
    center = store.state().center
    checked = check_all(read_cases(path), _catalog(center))
    already = _numbers_at_node([c.received["number"] for c in checked])
    new = [c for c in checked if c.received["number"] not in already]
    with progress_bar(len(new), "导入办件", shown=shown) as bar:
        events = write(keys, center, new, bar.update)
    seconds = time.perf_counter() - started
    return {"file": str(path), "center": center, "cases_in_file": len(checked),
            "cases_imported": len(new), "cases_skipped": len(checked) - len(new),
            "events_written": events, "seconds": round(seconds, 3),
            "cases_per_s": round(len(new) / seconds, 1) if seconds else 0.0,
            "events_per_s": round(events / seconds, 1) if seconds else 0.0}


def check_all(lines: Iterable[tuple[int, dict, list[int]]], catalog: Catalog) -> list[Checked]:
    """Every case of the file checked; the first bad line raises and nothing is kept."""
    checked, first_line = [], {}
    for line, raw, step_lines in lines:
        case = check_case(line, raw, step_lines, catalog)
        number = case.received["number"]
        if number in first_line:
            raise fail(line, "number", f"办件编号 {number} 在第 {first_line[number]} 行已出现")
        first_line[number] = line
        checked.append(case)
    return checked


def _catalog(center: str) -> Catalog:
    matters = {code: (orjson.loads(data), status) for code, data, status in
               CatalogMatter.select(CatalogMatter.code, CatalogMatter.data,
                                    CatalogMatter.status).tuples()}
    return Catalog(center, matters, load_topology(), now(), projects.all_projects())


def _numbers_at_node(numbers: list[str]) -> set[str]:
    found = set()
    for i in range(0, len(numbers), 500):  # below SQLite's bound-parameter limit
        found.update(Case.select(Case.number).where(Case.number.in_(numbers[i:i + 500]))
                     .tuples().iterator())
    return {number for (number,) in found}


def write(keys: KeyPair, center: str, cases: list[Checked],
          progress=lambda cases: None) -> int:
    """Store the cases, their logs and events in one transaction; returns events written."""
    written = 0
    with database.atomic():
        # Checked again inside the transaction: a window may have written meanwhile.
        if _numbers_at_node([c.received["number"] for c in cases]):
            raise fail(cases[0].line, "number", "导入期间本中心又录入了同号办件，请重新运行")
        calendar, today = calendar_in_force(), now().date()  # once, not once a case
        made_at = utc_now_iso()  # the events are made now, in one import
        for i in range(0, len(cases), CHUNK):
            chunk = cases[i:i + CHUNK]
            _insert_rows(center, chunk, calendar, today)
            written += len(outbox.emit_many(keys, center, _events(chunk, made_at)))
            progress(len(chunk))
        _remember_materials(cases)
    return written


def _insert_rows(center: str, cases: list[Checked], calendar: WorkCalendar,
                 today: datetime.date) -> None:
    db = database.obj
    insert_rows(db, _table(Case), CASE_COLUMNS,
                [_case_row(center, c, calendar, today) for c in cases])
    insert_rows(db, _table(CaseAction),
                ("number", "n", "action", "role", "user", "at", "data"),
                [(a["number"], a["n"], a["action"], a["role"], a["user"], a["at"],
                  orjson.dumps(a["data"]).decode()) for c in cases for a in c.actions])
    insert_rows(db, _table(CaseMaterial),
                ("number", "name", "required", "provided", "reused_from"),
                [(c.received["number"], m["name"], m["required"], m["provided"], "")
                 for c in cases for m in c.received["materials"]])
    links = [(c.received["number"], c.received["key_project"]) for c in cases
             if "key_project" in c.received]
    insert_rows(db, _table(KeyProjectCase), ("number", "year", "code", "step"),
                [(number, link["year"], link["code"], link["step"]) for number, link in links])


def _table(model) -> str:
    return f'"{model._meta.table_name}"'  # quoted: "case" is an SQL keyword


def _case_row(center: str, checked: Checked, calendar: WorkCalendar,
              today: datetime.date) -> tuple:
    """The case's row as ``node.case_log`` keeps it after its last action."""
    received, case = checked.received, checked.case
    applicant, matter = received["applicant"], received["matter"]
    promised = case_clock.deadline(case, calendar, matter["promised_limit_days"], today=today)
    decision = case.decision
    return (received["number"], matter["basic_code"], orjson.dumps(matter).decode(),
            applicant["kind"], applicant["name"], applicant["id_code"], applicant["phone"],
            received["green_channel"], case.state, received["at"],
            case_records.iso(case.accepted_at) if case.accepted_at else None,
            promised.day.isoformat() if promised else None, bool(promised and promised.provisional),
            case_records.iso(decision.decided_at) if decision else None,
            decision.outcome if decision else None, decision.document_number if decision else None,
            orjson.dumps(received).decode(), center, case_machine.holder(case, center), False)


def _events(cases: list[Checked], made_at: str) -> list[tuple]:
    changes = []
    for checked in cases:
        record = case_records.record_of(checked.received["number"])
        changes.append(("case.received", record, checked.received, made_at))
        changes.extend(("case.action", record, action, made_at) for action in checked.actions)
    return changes


def _remember_materials(cases: list[Checked]) -> None:
    """The reusable materials of approved, completed cases go on file, as at the window
    (``node.reuse``): per person and material the newest decision; what the window holds
    already stays (it is newer than any history)."""
    matters = {code: data for code, data in
               CatalogMatter.select(CatalogMatter.code, CatalogMatter.data).tuples()}
    reusable: dict[str, set[str]] = {}
    rows, seen = [], set()
    decided = [c for c in cases
               if c.case.decision and reuse.completes(c.case.state, c.case.decision.outcome)]
    for checked in sorted(decided, key=lambda c: c.case.decision.decided_at, reverse=True):
        received = checked.received
        code = received["matter"]["basic_code"]
        if code not in reusable:
            reusable[code] = (reuse.reusable_names(orjson.loads(matters[code]))
                              if code in matters else set())
        id_type, id_code = reuse.person(received["applicant"])
        kept_on = case_records.iso(checked.case.decision.decided_at)[:10]
        for m in received["materials"]:
            key = (id_type, id_code, m["name"])
            if m["provided"] and m["name"] in reusable[code] and key not in seen:
                seen.add(key)
                rows.append((*key, received["number"], kept_on))
    insert_rows(database.obj, _table(KeptMaterial),
                ("id_type", "id_code", "name", "number", "kept_on"), rows,
                suffix="ON CONFLICT DO NOTHING")
