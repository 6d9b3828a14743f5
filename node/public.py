"""The node's public pages, open without a login: the progress query (进度查询) and
the list of completed cases (办件公示).

The pages are the shared ones (``web.progress``, ``web.public_cases``); this module
says where the node finds its cases: those it received and those handed to it,
never a copy held only to give a joint-approval opinion (``Case.consulted``).
"""
from __future__ import annotations

import hmac
from urllib.parse import urlencode

from flask import Flask, current_app
from markupsafe import Markup
from peewee import JOIN, Tuple

from node import cases, store
from node.models import Case, CaseAction, PublicHit
from sync import query_hash
from sync.case_numbers import query_code
from web import progress, public_cases


def find(number: str) -> tuple[dict, list[dict]] | None:
    """The case and all its actions, in one query."""
    rows = (Case.select(Case.received, CaseAction.n, CaseAction.action, CaseAction.role,
                        CaseAction.user, CaseAction.at, CaseAction.data)
            .join(CaseAction, JOIN.LEFT_OUTER, on=(CaseAction.number == Case.number))
            .where(Case.number == number, Case.consulted == False)  # noqa: E712 (SQL)
            .order_by(CaseAction.n).tuples())
    return progress.case_from_rows(list(rows))


def matches(received: dict | None, code: str) -> bool:
    """The case's query hash decides. A case received before hashes were sent has none:
    its code is the HMAC under this center's secret (``sync.case_numbers``), which matches
    only at the center that received it, checked after the same work as a hash."""
    stored = received.get("query_hash") if received else None
    hashed = query_hash.code_matches(code, stored)
    if received is None or stored is not None:
        return hashed
    secret = cases.query_secret(current_app.config["HALLSYNC"]["data_dir"])
    return hmac.compare_digest(code.encode("ascii", "replace"),
                               query_code(received["number"], secret).encode("ascii"))


def progress_link(number: str) -> str:
    """The progress page of a case at the online hall, its number filled in (not its code:
    an address ends up in browser histories and proxy logs; the receipt prints the code)."""
    base = current_app.config["HALLSYNC"]["public_url"] or store.state().hub_url
    return f"{base.rstrip('/')}/progress?{urlencode({'number': number})}"


def qr_svg(link: str) -> Markup:
    """``link`` as a QR code, an inline SVG for the printed receipt (no script, no file)."""
    import segno  # on the first receipt printed, not in every node's memory from the start
    return Markup(segno.make(link, error="m", micro=False).svg_inline(scale=3, dark="#000"))


def completed(center: str | None, cursor: public_cases.Cursor | None,
              limit: int) -> list[tuple]:
    """This center's decided cases, newest first: one query."""
    query = Case.select(Case.number, Case.matter, Case.collected_by, Case.received_at,
                        Case.decided_at, Case.outcome).where(
        Case.decided_at.is_null(False), Case.consulted == False)  # noqa: E712 (SQL)
    if center is not None:
        query = query.where(Case.collected_by == center)
    if cursor is not None:
        query = query.where(Tuple(Case.decided_at, Case.number)
                            < Tuple(cursor.decided_at, cursor.number))
    return list(query.order_by(Case.decided_at.desc(), Case.number.desc()).limit(limit)
                .tuples())


def init_app(app: Flask) -> None:
    progress.init_app(app, progress.ProgressSource(find=find, hits=PublicHit, matches=matches))
    public_cases.init_app(app, public_cases.CompletedSource(rows=completed))
