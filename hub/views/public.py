"""The hub's public pages over its copy of every case: the progress query (进度查询)
and the list of completed cases (办件公示).

The pages are the shared ones (``web.progress``, ``web.public_cases``). The hub never
holds a query code: it checks the salted hash the receiving node sent in
``case.received`` (``sync.query_hash``). A case received before nodes sent hashes has none, and the
hub answers for it as for an unknown number: the receiving center's own pages can.
"""
from __future__ import annotations

from flask import Flask
from peewee import JOIN, Tuple

from hub.models import HubCase, HubCaseAction, PublicHit
from web import progress, public_cases


def find(number: str) -> tuple[dict, list[dict]] | None:
    """The hub's copy of the case and all its actions, in one query."""
    rows = (HubCase.select(HubCase.received, HubCaseAction.n, HubCaseAction.action,
                           HubCaseAction.role, HubCaseAction.user, HubCaseAction.at,
                           HubCaseAction.data)
            .join(HubCaseAction, JOIN.LEFT_OUTER, on=(HubCaseAction.number == HubCase.number))
            .where(HubCase.number == number).order_by(HubCaseAction.n).tuples())
    return progress.case_from_rows(list(rows))


def completed(center: str | None, cursor: public_cases.Cursor | None,
              limit: int) -> list[tuple]:
    """Decided cases, newest first, from the ``(decided_at, number)`` index: one query."""
    query = HubCase.select(HubCase.number, HubCase.matter, HubCase.center, HubCase.received_at,
                           HubCase.decided_at, HubCase.outcome).where(
        HubCase.decided_at.is_null(False))
    if center is not None:
        query = query.where(HubCase.center == center)
    if cursor is not None:
        query = query.where(Tuple(HubCase.decided_at, HubCase.number)
                            < Tuple(cursor.decided_at, cursor.number))
    return list(query.order_by(HubCase.decided_at.desc(), HubCase.number.desc())
                .limit(limit).tuples())


def init_app(app: Flask) -> None:
    progress.init_app(app, progress.ProgressSource(find=find, hits=PublicHit))
    public_cases.init_app(app, public_cases.CompletedSource(rows=completed, by_center=True))
