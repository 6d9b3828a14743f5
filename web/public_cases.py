"""办件公示: the public list of completed cases, the same at every node and at the hub.

``/public/cases`` and ``GET /api/public/cases[?center=][&before=][&limit=]``: the cases
decided (准予许可 or 不予许可), newest first, ``PAGE`` at a time (``limit``: 1 to
``MAX_PAGE``). Each row is the case
number, the matter, the center that received it, the day it was received and the
day it was decided, and the result: never the applicant, the staff, the reasons or
the document number.

Pages go by a cursor, not an offset: ``before`` is the last row's
``<decided_at>~<number>``, so page 1,000 of millions of cases costs what page 1
does (one statement on the ``(decided_at, number)`` index). Each site gives its
own table (``CompletedSource``).
"""
from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Callable

import orjson
from flask import Blueprint, Flask, current_app, jsonify, render_template, request

from sync import case_labels
from sync.case_numbers import parse_case_number
from sync.errors import ValidationError
from sync.topology import load_topology
from web.auth import public

bp = Blueprint("public_cases", __name__)
EXTENSION = "hallsync.public_cases"
PAGE, MAX_PAGE = 50, 200


@dataclass(frozen=True)
class Cursor:
    """Where a page starts: after the row decided at ``decided_at`` with ``number``."""

    decided_at: str
    number: str

    def __str__(self) -> str:
        return f"{self.decided_at}~{self.number}"


@dataclass(frozen=True)
class CompletedSource:
    """``rows(center or None, cursor or None, limit)``: ``(number, matter JSON, center,
    received_at, decided_at, outcome)`` of decided cases, newest first, in one query."""

    rows: Callable[[str | None, Cursor | None, int], list[tuple]]
    by_center: bool = False  # the page offers a choice of center (the hub's: every center's)


def init_app(app: Flask, source: CompletedSource) -> None:
    app.extensions[EXTENSION] = source
    app.register_blueprint(bp)


def parse_cursor(text: str | None) -> Cursor | None:
    """The ``before`` parameter; ``ValidationError`` naming it when malformed."""
    if not text:
        return None
    at, _sep, number = text.partition("~")
    try:
        datetime.datetime.fromisoformat(at)
        parse_case_number(number, field="before")
    except ValueError:
        raise ValidationError(f"before: 翻页参数格式不正确（{text!r}）", field="before") from None
    return Cursor(at, number)


def _center(text: str | None) -> str | None:
    if not text:
        return None
    if text not in load_topology().by_code:
        raise ValidationError(f"center: 未知的中心代码 {text!r}", field="center")
    return text


def _limit(text: str | None) -> int:
    if not text:
        return PAGE
    if not text.isdigit() or not 1 <= int(text) <= MAX_PAGE:
        raise ValidationError(f"limit: 每页条数应为 1 至 {MAX_PAGE}（实际为 {text!r}）",
                              field="limit")
    return int(text)


def completed_page(args) -> dict:
    """One page of the list: its rows and the cursor of the next page (None: the last)."""
    center, cursor = _center(args.get("center")), parse_cursor(args.get("before"))
    limit = _limit(args.get("limit"))
    source: CompletedSource = current_app.extensions[EXTENSION]
    found = source.rows(center, cursor, limit + 1)  # one more: is there a next page?
    name_of = load_topology().name_of
    rows = [{"number": number, "matter": orjson.loads(matter)["name"],
             "center": {"code": code, "name": name_of(code)},
             "received_on": received_at[:10], "decided_on": decided_at[:10],
             "outcome": {"code": outcome, "label": case_labels.OUTCOMES.get(outcome, outcome)}}
            for number, matter, code, received_at, decided_at, outcome in found[:limit]]
    last = found[limit - 1] if len(found) > limit else None
    return {"center": center, "cases": rows,
            "next": str(Cursor(last[4], last[0])) if last else None}


@bp.get("/api/public/cases")
@public
def completed_json():
    """办件公示 as JSON: ``?center=`` (optional) and ``?before=`` (the previous page's ``next``)."""
    return jsonify(completed_page(request.args))


@bp.get("/public/cases")
@public
def completed_list():
    """办件公示: decided cases, newest first, without anything personal."""
    try:
        page, error = completed_page(request.args), ""
    except ValidationError as exc:
        page, error = {"center": None, "cases": [], "next": None}, exc.detail.split(": ", 1)[-1]
    source: CompletedSource = current_app.extensions[EXTENSION]
    centers = [(c.code, c.name) for c in load_topology().centers] if source.by_center else []
    return render_template("public/cases.html", page=page, error=error, centers=centers,
                           args=request.args), 422 if error else 200
