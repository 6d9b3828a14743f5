"""The node's public pages, open without a login: the progress query (进度查询).

The page itself is the shared one (``web.progress``); this module says where the
node finds a case: its own cases, those it received and those handed to it, never
a copy held only to give a joint-approval opinion (``Case.consulted``).
"""
from __future__ import annotations

import hmac
from urllib.parse import urlencode

import segno
from flask import Flask, current_app
from markupsafe import Markup
from peewee import JOIN

from node import cases, store
from node.models import Case, CaseAction, PublicHit
from sync import query_hash
from sync.case_numbers import query_code
from web import progress


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
    return Markup(segno.make(link, error="m", micro=False).svg_inline(scale=3, dark="#000"))


def init_app(app: Flask) -> None:
    progress.init_app(app, progress.ProgressSource(find=find, hits=PublicHit, matches=matches))
