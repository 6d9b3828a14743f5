"""``/sync/v1/``: the endpoints nodes talk to. Every reply is a signed envelope.

Each endpoint authenticates the envelope first (reads only), then does its
work and consumes the nonce in one write transaction, so the CPU-heavy
part (signature, decompression, parsing) never holds the write lock.
"""
from __future__ import annotations

import base64
import random
import threading

from flask import Blueprint, Response, current_app, g, request

from hub.cases import applications
from hub.coverage import centers
from hub.identity import HUB_ID
from hub.ledger import enrollment, hub_keys, ingest, rounds, stream
from hub.ledger.security import (authenticate, check_size, consume_nonce, log_refusal,
                                 log_unauthenticated)
from hub.models import database
from sync import envelope as env
from sync import prereview
from sync.body_fields import an_object, integer
from sync.database import yield_to_writer
from sync.errors import (Code, ConflictError, HallsyncError, HubBusy, NotFound, ProtocolError,
                         problem_body)
from web.auth import public, signed_api

bp = Blueprint("sync_api", __name__, url_prefix="/sync/v1")


def _state():
    return current_app.extensions["hallsync"]


@bp.before_request
def _admit():
    """Shed load with 503 + Retry-After, jittered so nodes do not all return at once."""
    if not _state().gate.acquire(blocking=False):
        base = _state().settings["busy_retry_after_s"]
        raise HubBusy("the hub is busy", retry_after=round(base * random.uniform(1, 2)))
    g.admitted = True


@bp.teardown_request
def _release(_exc):
    if g.pop("admitted", False):
        _state().gate.release()


def _read_body() -> bytes:
    """The body, read no further than one byte past the limit (a chunked body has no length
    to refuse it by up front)."""
    limit = _state().settings["max_body_bytes"]
    length = request.content_length or 0
    if length > limit:
        raise ProtocolError(f"body of {length} bytes exceeds {limit}",
                            code=Code.BODY_TOO_LARGE, status=413)
    body = request.stream.read(limit + 1)
    check_size(body, _state().settings)
    return body


def _authenticated() -> tuple[env.Envelope, object]:
    """Verify the request's envelope and unpack its body, once this worker's writer (if
    one writes) is done: the checks (and a push's, after) need no lock."""
    yield_to_writer(database.obj)
    raw = _read_body()
    envelope = authenticate(request.headers, raw, method=request.method, path=request.path,
                            settings=_state().settings, now_ms=env.now_ms())
    g.envelope = envelope
    return envelope, env.unpack(raw, _state().settings["max_inflated_bytes"])


def sealed(body: dict, status: int = 200, headers: dict | None = None) -> Response:
    """A reply signed by the hub, bound to the request it answers.

    A request refused before its envelope verified is answered to the sender and
    nonce it claims: the reply is still the hub's, and a node can tell it answers
    its own request.
    """
    request_envelope = g.get("envelope")
    if request_envelope is not None:
        recipient, reply_to = request_envelope.sender, request_envelope.nonce
    else:
        recipient = env.echoable(request.headers.get("Hallsync-Sender")) or "unknown"
        reply_to = env.echoable(request.headers.get("Hallsync-Nonce"))
    envelope, data = env.seal(body, keys=_state().keys, sender=HUB_ID, recipient=recipient,
                              method=request.method, path=request.path, reply_to=reply_to)
    response = Response(data, status=status, headers=envelope.headers())
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


@bp.post("/enroll")
@public  # authenticated by its signed envelope, not a login
def enroll_node():
    raw = _read_body()
    envelope, reply = enrollment.enroll(request.headers, raw, path=request.path,
                                        settings=_state().settings, hub_keys=_state().keys,
                                        now_ms=env.now_ms())
    g.envelope = envelope
    return sealed(reply)


@bp.post("/push")
@public  # authenticated by its signed envelope, not a login
def push():
    envelope, body = _authenticated()
    prepared = ingest.prepare(envelope.sender, body, settings=_state().settings,
                              now_ms=env.now_ms())
    with database.atomic():
        consume_nonce(envelope.key_id, envelope.nonce, envelope.time_ms)
        reply = ingest.commit(prepared, now_ms=env.now_ms())
        centers.touch(envelope.sender, env.now_ms())
    return sealed(reply)


@bp.post("/pull")
@public  # authenticated by its signed envelope, not a login
def pull():
    envelope, body = _authenticated()
    since, limit = _pull_range(an_object(body, "pull"))
    with database.atomic():
        consume_nonce(envelope.key_id, envelope.nonce, envelope.time_ms)
        reply = stream.pull(envelope.sender, since, limit)
        centers.touch(envelope.sender, env.now_ms())
    return sealed(reply)


def _pull_range(body: dict) -> tuple[int, int]:
    """A pull's ``since`` and ``limit`` (at most the hub's ``pull_batch``, its default)."""
    batch = _state().settings["pull_batch"]
    return (integer(body, "since", default=0),
            integer(body, "limit", minimum=1, maximum=batch, default=batch))


@bp.post("/heartbeat")
@public  # authenticated by its signed envelope, not a login
def heartbeat():
    envelope, body = _authenticated()
    body = an_object(body, "heartbeat")
    with database.atomic():
        consume_nonce(envelope.key_id, envelope.nonce, envelope.time_ms)
        reply = centers.record_heartbeat(envelope.sender, body, now_ms=env.now_ms())
    return sealed(reply)


EXCHANGE_PARTS = ("heartbeat", "push", "pull")


@bp.post("/exchange")
@public  # authenticated by its signed envelope, not a login
def exchange():
    """A sync round in one request: the heartbeat, a push and a pull, answered together.

    One envelope to verify, one nonce, one transaction, where three requests took three
    of each; and the transaction is shared with the other rounds waiting to write
    (``hub.ledger.rounds``). The heartbeat is recorded first, so it describes the node as
    it sent the request. A refused push is answered in its own part (and logged, as
    ``/push`` would be): the node still gets its messages. Any other refusal refuses the
    whole request.
    """
    envelope, body = _authenticated()
    parts = _exchange_parts(an_object(body, "exchange"))
    now_ms = env.now_ms()
    push = None
    if "push" in parts:
        try:
            push = ingest.prepare(envelope.sender, parts["push"], settings=_state().settings,
                                  now_ms=now_ms)
        except ProtocolError as refusal:
            push = refusal
    where = _where()  # the request's, read here: another thread may write the round
    return sealed(_state().rounds.write(rounds.Round(
        envelope, parts, push, now_ms,
        log_push_refusal=lambda refusal: _log_refusal(refusal, envelope, where))))


def _exchange_parts(body: dict) -> dict:
    """The parts of an exchange, checked before anything is written: each an object, at
    least one, none unknown; the pull's numbers as ``(since, limit)``."""
    unknown = sorted(set(body) - set(EXCHANGE_PARTS))
    if unknown or not body:
        raise ProtocolError(f"an exchange has one or more of {', '.join(EXCHANGE_PARTS)}"
                            + (f", not {unknown[0]}" if unknown else ""),
                            code=Code.BODY_MALFORMED, field=unknown[0] if unknown else "")
    parts = {name: an_object(body[name], name) for name in EXCHANGE_PARTS if name in body}
    if "pull" in parts:
        with rounds.within("pull"):
            parts["pull"] = _pull_range(parts["pull"])
    return parts


@bp.post("/rotate")
@public  # authenticated by its signed envelope, not a login
def rotate_key():
    envelope, body = _authenticated()
    with database.atomic():
        consume_nonce(envelope.key_id, envelope.nonce, envelope.time_ms)
        reply = enrollment.rotate(envelope.sender, envelope.key_id, body, now_ms=env.now_ms())
    return sealed(reply)


@bp.post("/hub-key")
@public  # authenticated by its signed envelope, not a login
def hub_key_rotations():
    """A node whose pinned hub key is not the one signing: the rotations since its key."""
    envelope, body = _authenticated()
    since = an_object(body, "hub-key").get("since_key_id")
    if not isinstance(since, str) or not since.isascii() or len(since) != 16:
        raise ProtocolError("body.since_key_id must be a key id", code=Code.BODY_MALFORMED,
                            field="since_key_id")
    current = _state().keys
    with database.atomic():
        consume_nonce(envelope.key_id, envelope.nonce, envelope.time_ms)
        rotations = hub_keys.rotations_since(since, current.key_id)
    return sealed({"key_id": current.key_id, "rotations": rotations})


@bp.post("/events")
@public  # authenticated by its signed envelope, not a login
def own_events():
    """A node fetches its own events back (recovery after a restore from backup)."""
    envelope, body = _authenticated()
    from_seq = integer(an_object(body, "events"), "from_seq", minimum=1)
    with database.atomic():
        consume_nonce(envelope.key_id, envelope.nonce, envelope.time_ms)
        head_seq, head_hash = ingest.head_of(envelope.sender)
        events = ingest.events_of(envelope.sender, from_seq, _state().settings["pull_batch"])
    return sealed({"events": events, "head_seq": head_seq, "head_hash": head_hash})


@bp.post("/upload")
@public  # authenticated by its signed envelope, not a login
def upload():
    """A center fetches a file of an application the online hall forwarded to it."""
    envelope, body = _authenticated()
    sha256 = an_object(body, "upload").get("sha256")
    if not isinstance(sha256, str) or not prereview.SHA256.fullmatch(sha256):
        raise ProtocolError("body.sha256 must be a SHA-256 digest", code=Code.BODY_MALFORMED,
                            field="sha256")
    with database.atomic():
        consume_nonce(envelope.key_id, envelope.nonce, envelope.time_ms)
    try:
        content, content_type = applications.file_for(_state().settings["data_dir"],
                                                      envelope.sender, sha256)
    except NotFound as exc:
        raise ProtocolError(exc.detail, code=Code.NOT_FOUND, status=404) from None
    return sealed({"content": base64.b64encode(content).decode("ascii"),
                   "content_type": content_type})


@bp.errorhandler(HallsyncError)
def _refused(error: HallsyncError):
    """Refusals are logged in the security log and answered with a signed problem."""
    if isinstance(error, (ProtocolError, ConflictError)):
        _log_refusal(error, g.get("envelope"))  # set once the envelope authenticated
    headers = {"Retry-After": str(int(error.retry_after))} if isinstance(error, HubBusy) else {}
    body = problem_body(error)
    if isinstance(error, HubBusy):
        body["retry_after"] = error.retry_after
    return sealed(body, error.status, headers)


def _where() -> dict:
    """The request's key, path and address, as the security log keeps them."""
    return {"key_id": request.headers.get("Hallsync-Key-Id", ""), "path": request.path,
            "remote": request.remote_addr or ""}


def _log_refusal(error: HallsyncError, envelope: env.Envelope | None,
                 where: dict | None = None) -> None:
    where = where or _where()
    if envelope is not None:
        log_refusal(error, center=envelope.sender, **where)
    else:
        log_unauthenticated(error, claimed=request.headers.get("Hallsync-Sender", ""), **where)
    if error.code == Code.NODE_DIVERGED and envelope is not None:
        centers.mark_needs_recovery(envelope.sender)


@bp.errorhandler(Exception)
def _failed(error: Exception):
    """A bug still gets a signed problem, so the node can tell it from a forgery."""
    current_app.logger.exception("sync request failed")
    return sealed(problem_body(HallsyncError(f"{type(error).__name__}: {error}")), 500)


def init_app(app) -> None:
    app.extensions["hallsync"].gate = threading.BoundedSemaphore(
        app.config["HALLSYNC"]["max_concurrent_syncs"])
    app.extensions["hallsync"].rounds = rounds.RoundWriter()
    signed_api(app, bp)
