"""``/api/cases``: the window's operations as JSON, for department systems and scripts.

Same rules as the pages: a login with the right role (``node.auth``), CSRF on
writes, only this center's cases, and every change through ``node.cases`` (the
state machine and the outbox). Errors are JSON problems; a refused transition
is 409, bad input 422 naming the field.
"""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request

from node import cases, store
from node.auth import current_user, require_center, requires
from node.models import Case
from sync import case_states
from sync.case_numbers import parse_case_number, query_code
from sync.errors import Forbidden, ValidationError

bp = Blueprint("case_api", __name__, url_prefix="/api/cases")
WRITERS = tuple(r for r in case_states.ROLES if r != "auditor")


def _body() -> dict:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ValidationError("body: 请求体必须是 JSON 对象", field="body")
    return body


def _own(number: str) -> str:
    """The case number, refused unless the case belongs to this center."""
    require_center(parse_case_number(number).center)
    return number


def _acting_role(action: str) -> str:
    """The user's role that may take ``action`` (users may hold several)."""
    allowed = case_states.ACTIONS.get(action)
    roles = sorted(current_user().role_set & allowed.roles) if allowed else []
    if not roles:
        raise Forbidden(f"none of your roles may {action}", reason="role")
    return roles[0]


def _keys_and_center():
    data_dir = current_app.config["HALLSYNC"]["data_dir"]
    return store.load_keys(data_dir), store.state().center


@bp.get("")
@requires()
def search():
    """Cases of this center, newest first; ``q`` matches number, applicant or matter code."""
    query = Case.select().order_by(Case.received_at.desc()).limit(200)
    if q := request.args.get("q", "").strip():
        query = query.where(Case.number.contains(q) | Case.applicant_name.contains(q)
                            | Case.applicant_id.contains(q) | (Case.matter_code == q))
    if state := request.args.get("state"):
        if state not in case_states.STATES:
            raise ValidationError(f"state: 未知的状态 {state!r}", field="state")
        query = query.where(Case.state == state)
    return jsonify({"cases": [{"number": c.number, "state": c.state,
                               "matter_code": c.matter_code, "applicant": c.applicant_name,
                               "received_at": c.received_at, "promised_date": c.promised_date}
                              for c in query]})


@bp.post("")
@requires("clerk")
def intake():
    """Receive an application: ``{matter_code, applicant, materials, outcome, reason}``."""
    keys, center = _keys_and_center()
    case = cases.intake(keys, center, cases.Actor(current_user().username, "clerk"), _body())
    secret = cases.query_secret(current_app.config["HALLSYNC"]["data_dir"])
    return jsonify({**case, "query_code": query_code(case["number"], secret)}), 201


@bp.get("/<number>")
@requires()
def show(number):
    """One case with its materials and its whole timeline."""
    return jsonify(cases.view(_own(number)))


@bp.post("/<number>/actions")
@requires(*WRITERS)
def act(number):
    """One action of the state machine: ``{"action": "...", "data": {...}}``."""
    body = _body()
    action = str(body.get("action", ""))
    keys, center = _keys_and_center()
    actor = cases.Actor(current_user().username, _acting_role(action))
    return jsonify(cases.act(keys, center, _own(number), action, actor, body.get("data") or {}))
