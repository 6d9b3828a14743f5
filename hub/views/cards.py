"""电子监察 at the hub: the cards of a center and the centers below it, on a page and at
``/api/cards`` (``?center=`` inside the login's scope, ``?level=`` one level only): of open
cases, what a supervisor acts on; ``?all=1`` adds the closed cases' irregular handling.

The same listing as ``hallsync hub cards``; each card links to its case, where a district
admin or an operator issues the 督办 order of a yellow card.
"""
from __future__ import annotations

from flask import Blueprint, jsonify, render_template, request

from hub.cases.cards import listing
from hub.staff import scoped_center
from sync import case_clock
from sync.cards import LEVELS
from sync.errors import ValidationError
from web.auth import requires

bp = Blueprint("card_pages", __name__)


def _listing() -> dict:
    level = request.args.get("level") or None
    if level is not None and level not in LEVELS:
        raise ValidationError(f"level: 应为 {'、'.join(LEVELS)} 之一", field="level")
    return listing(scoped_center(request.args), case_clock.china_today(), level=level,
                   open_only=request.args.get("all") != "1")


@bp.get("/cards")
@requires()
def cards_page():
    """The cards per center, most first; a filter by level."""
    return render_template("cards.html", r=_listing(), levels=LEVELS,
                           level=request.args.get("level") or "",
                           closed=request.args.get("all") == "1")


@bp.get("/api/cards")
@requires()
def cards_json():
    """The same as JSON (what ``hallsync hub cards --json`` prints)."""
    return jsonify(_listing())
