"""The hub's progress query (进度查询), answered from its copy of every case.

The page is the shared one (``web.progress``). The hub never holds a query code:
it checks the salted hash the receiving node sent in ``case.received``
(``sync.query_hash``). A case received before nodes sent hashes has none, and the
hub answers for it as for an unknown number: the receiving center's own pages can.
"""
from __future__ import annotations

from flask import Flask
from peewee import JOIN

from hub.models import HubCase, HubCaseAction, PublicHit
from web import progress


def find(number: str) -> tuple[dict, list[dict]] | None:
    """The hub's copy of the case and all its actions, in one query."""
    rows = (HubCase.select(HubCase.received, HubCaseAction.n, HubCaseAction.action,
                           HubCaseAction.role, HubCaseAction.user, HubCaseAction.at,
                           HubCaseAction.data)
            .join(HubCaseAction, JOIN.LEFT_OUTER, on=(HubCaseAction.number == HubCase.number))
            .where(HubCase.number == number).order_by(HubCaseAction.n).tuples())
    return progress.case_from_rows(list(rows))


def init_app(app: Flask) -> None:
    progress.init_app(app, progress.ProgressSource(find=find, hits=PublicHit))
