"""``/dept/v1/``: the departments' business systems (部门业务系统), described in
``hub/department_openapi.json`` (served at ``/dept/v1/openapi.json``).

The sync protocol's envelope, as a node uses it (docs/protocol.md): a body sealed and
signed with the department's own key (``hub.ledger.department_keys``), the sender its
department's code, a nonce used once; every reply, a refusal too, signed by the hub. A
department reads its own matters' results only (``/results``) and pushes only the
licences its own matters issue (``/licences``, ``hub.cases.department_licences``).
"""
from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, current_app, g, request

from hub.cases import department_licences, results
from hub.catalog import authority
from hub.ledger.department_keys import department_key
from hub.ledger.security import (authenticate, consume_nonce, log_refusal,
                                 log_unauthenticated)
from hub.models import database
from hub.views.sync_api import sealed
from sync import envelope as env
from sync.body_fields import an_object, integer
from sync.case_clock import china_at_ms
from sync.errors import HallsyncError, ValidationError, problem_body
from web.auth import public, signed_api

bp = Blueprint("department_api", __name__, url_prefix="/dept/v1")
OPENAPI = Path(__file__).resolve().parent.parent / "department_openapi.json"


@bp.get("/openapi.json")
@public
def openapi():
    """The departments' API described, as written (public: it holds no data)."""
    return Response(OPENAPI.read_bytes(), mimetype="application/json")


def _authenticated() -> tuple[env.Envelope, dict]:
    settings = current_app.extensions["hallsync"].settings
    limit = settings["max_body_bytes"]
    raw = request.stream.read(limit + 1)
    envelope = authenticate(request.headers, raw, method=request.method, path=request.path,
                            settings=settings, now_ms=env.now_ms(), key_of=department_key)
    g.envelope = envelope
    return envelope, an_object(env.unpack(raw, settings["max_inflated_bytes"]), request.path)


@bp.post("/results")
@public  # authenticated by its signed envelope, not a login
def pull_results():
    """The decided cases of the department's matters after ``since``, oldest first."""
    envelope, body = _authenticated()
    matter = body.get("matter")
    if matter is not None and not isinstance(matter, str):
        raise ValidationError("matter: 应为事项编码", field="matter")
    limit = integer(body, "limit", minimum=1, maximum=results.MAX_PAGE,
                    default=results.MAX_PAGE)
    with database.atomic():
        consume_nonce(envelope.key_id, envelope.nonce, envelope.time_ms)
        page = results.results(envelope.sender, since=body.get("since"), limit=limit,
                               matter=matter, in_force=authority.in_force())
    return sealed(page)


@bp.post("/licences")
@public  # authenticated by its signed envelope, not a login
def push_licences():
    """Licences the department issued (or revoked) into the register: all, or none."""
    envelope, body = _authenticated()
    with database.atomic():  # a refused batch leaves nothing, its nonce neither
        consume_nonce(envelope.key_id, envelope.nonce, envelope.time_ms)
        done = department_licences.push(envelope.sender, body, authority.in_force(),
                                        china_at_ms(env.now_ms()))
    return sealed(done)


@bp.errorhandler(HallsyncError)
def _refused(error: HallsyncError):
    """Every refusal goes to the security log (against the department once it proved who
    it is) and is answered with a signed problem."""
    where = {"key_id": request.headers.get("Hallsync-Key-Id", ""), "path": request.path,
             "remote": request.remote_addr or ""}
    envelope = g.get("envelope")
    if envelope is not None:
        log_refusal(error, center=envelope.sender, **where)
    else:
        log_unauthenticated(error, claimed=request.headers.get("Hallsync-Sender", ""), **where)
    return sealed(problem_body(error), error.status)


def init_app(app) -> None:
    signed_api(app, bp)
