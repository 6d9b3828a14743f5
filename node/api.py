"""The window's JSON API for department systems and scripts: the same operations as the pages.

Described in ``node/openapi.json``, served at ``GET /api/openapi.json``. Errors
are problem bodies (``sync.errors.problem_body``): 422 with ``field`` for bad
input, 409 for a transition the state machine refuses, 401 without a login,
403 for a role or another center's case. Writes carry the CSRF token as
``X-CSRFToken`` (``GET /api/csrf``).
"""
from __future__ import annotations

from pathlib import Path

from flask import Blueprint, current_app, jsonify, request, url_for

from node import (cases, departments, evaluation, licences, parallel, precedents, projects,
                  store)
from node.case_log import Actor
from node.queue import figures, queue, search
from node.window import (WRITERS, acting_on, deemed_consent, detail, keys, own_case, queue_role,
                         receipt_is_acceptance, today, year_arg, yellow_days)
from sync.case_numbers import query_code
from sync.errors import ValidationError
from web.auth import current_user, public, requires

bp = Blueprint("api", __name__, url_prefix="/api")
OPENAPI = Path(__file__).with_name("openapi.json")


def _body() -> dict:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ValidationError("body: 请求体必须是 JSON 对象（Content-Type: application/json）",
                              field="body")
    return body


@bp.get("/cases")
@requires()
def list_cases():
    """Cases by number, applicant name or ID, or matter (``q``), and ``state``; newest first."""
    return jsonify(search(request.args.get("q", ""), request.args.get("state", ""),
                          departments=departments.seeing(current_user())))


@bp.post("/cases")
@requires("clerk")
def create_case():
    """Intake: the same fields as the intake form; 201 with the case and the applicant's query code."""
    user = current_user()
    number = cases.intake(keys(), store.state().center, Actor(user.username, "clerk"),
                          _body(), receipt_is_acceptance=receipt_is_acceptance())["number"]
    secret = cases.query_secret(current_app.config["HALLSYNC"]["data_dir"])
    return (jsonify({**detail(number, user), "query_code": query_code(number, secret)}), 201,
            {"Location": url_for(".get_case", number=number)})


@bp.get("/cases/<number>")
@requires()
def get_case(number: str):
    """One case of this center: state, timeline, materials, clock and the actions I may take."""
    return jsonify(detail(own_case(number), current_user()))


@bp.post("/cases/<number>/actions")
@requires(*WRITERS)
def post_action(number: str):
    """One action of the state machine: ``{"action": ..., "data": {...}, "role": optional}``."""
    number = own_case(number)
    body = _body()
    user = current_user()
    action = body.get("action")
    role = acting_on(user, number, action if isinstance(action, str) else "",
                     body.get("role") or None)
    cases.act(keys(), store.state().center, number, action, Actor(user.username, role),
              body.get("data") or {}, deemed_consent=deemed_consent())
    return jsonify(detail(number, user))


@bp.post("/cases/<number>/evaluation-pad")
@requires("clerk")
def post_evaluation_pad(number: str):
    """A one-time token for the applicant's evaluation screen (the clerk chooses nothing)."""
    token = evaluation.open_pad(own_case(number), store.state().center)
    return jsonify({"token": token, "url": f"{request.script_root}/e/{token}"}), 201


@bp.post("/cases/<number>/opinions")
@requires("reviewer", "approver")
def post_opinion(number: str):
    """并联审批: this center's opinion on its department's part of another center's case."""
    number = own_case(number)
    user, body = current_user(), _body()
    departments.require_department(str(body.get("department", "")), departments.scope(user))
    parallel.give_opinion(keys(), store.state().center, number, user.username, body)
    return jsonify(detail(number, user))


@bp.get("/cases/<number>/precedents")
@requires()
def get_precedents(number: str):
    """案例援引: decided cases of the same matter here matching ``q``, to cite in ``decide``."""
    number = own_case(number)
    return jsonify(precedents.search(number, request.args.get("q", "")))


@bp.get("/queue")
@requires()
def get_queue():
    """My queue (``role``: one of mine, default my first), most urgent first; a reviewer's or
    approver's holds only the departments the login works for (``departments``)."""
    user = current_user()
    role, acting = queue_role(user, request.args.get("role"))
    items = queue(acting, today(), yellow_within=yellow_days(),
                  departments=departments.acting(user, acting))
    return jsonify({"role": role, "read_only": acting is None, "as_of": today().isoformat(),
                    "departments": departments.of(user), "count": len(items), "cases": items})


@bp.get("/figures")
@requires()
def get_figures():
    """Today's and this month's figures of this center, and its overdue open cases."""
    return jsonify(figures(today(), yellow_within=yellow_days()))


@bp.get("/projects")
@requires()
def list_projects():
    """A year's key projects (``year``, default this year) with their progress."""
    return jsonify(projects.project_list(year_arg(), store.state().center, today(),
                                         yellow_within=yellow_days()))


@bp.post("/projects")
@requires("center_admin")
def load_projects():
    """Load (or replace) a year's key-project list: the TOML file's content as JSON."""
    return jsonify(projects.load(_body(), user=current_user().username))


@bp.get("/projects/<int:year>/<code>")
@requires()
def get_project(year: int, code: str):
    """One key project: its steps, each with its linked cases, and its progress."""
    return jsonify(projects.project_detail(year, code, store.state().center, today(),
                                           yellow_within=yellow_days()))


@bp.get("/licences")
@requires(*licences.READERS)
def list_licences():
    """电子证照库: the licences this center holds for one holder (``holder``: the ID number)."""
    holder, found = licences.holding(request.args.get("holder"), today(), request.args)
    return jsonify({"holder": holder, "total": found.total, "page": found.number,
                    "pages": found.pages, "licences": list(found.items)})


@bp.get("/openapi.json")
@public
def openapi():
    """The OpenAPI 3.1 description of every /api/ route of the node."""
    return current_app.response_class(OPENAPI.read_bytes(), mimetype="application/json")
