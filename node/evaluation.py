"""好差评 by the applicant, never by the clerk (GB/T 39734 and the national rules).

An evaluation is the applicant's own ``evaluate`` action (role ``applicant``),
a signed ``case.action`` event of this center like any other. It is made
through a one-time invitation: sent by SMS when the case completes (its
token is the link's only parameter, ``sync.sms_templates``), or opened by
the clerk on the window's evaluation pad for the applicant to use there; the
clerk never chooses the level. Five levels, once per case; 不满意 and
非常不满意 need a comment (``sync.case_results``). The invitation and the
evaluation are written in one transaction, and a used token never works again.
"""
from __future__ import annotations

import hashlib
import secrets

from node import handoffs, outbox, rectification
from node.inbox import applies
from node.case_log import Actor, load, record_action
from node.models import Case, EvaluationInvite, database
from sync import envelope as env
from sync import sms_events, sms_templates
from sync.case_labels import BAD_REVIEWS, COMPLETED, DELIVERED
from sync.errors import ConflictError, NotFound, ProtocolError, ValidationError
from sync.signing import KeyPair

APPLICANT = Actor("申请人", "applicant")  # the staff rated never see who rated them
INVITED_BY = ("decide", "complete_immediate")  # 办结: the applicant may now rate the service


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _new(number: str, via: str, now_ms: int, digest: str | None = None) -> str:
    token = secrets.token_urlsafe(16)
    EvaluationInvite.create(token_hash=digest or token_hash(token), number=number, via=via,
                            created_ms=now_ms)
    return token


def invite_on_completion(keys: KeyPair, center: str, number: str, action: str) -> None:
    """In the completing action's transaction: a one-time link by SMS to a mobile number."""
    if action not in INVITED_BY:
        return
    row = Case.get(Case.number == number)
    # A case decided here for another center goes back there (its holder now), which
    # delivers it; its applicant rates it on that center's window pad.
    if row.owner != center or not sms_templates.PHONE.match(row.applicant_phone or ""):
        return
    token = _new(number, "sms", env.now_ms())
    outbox.emit(keys, center, sms_events.REQUESTED, "", sms_events.payload(
        "evaluation_link", row.applicant_phone, {"number": number, "token": token},
        case=number))


def open_pad(number: str, center: str) -> str:
    """A token for the window's evaluation pad: the applicant rates there, not the clerk."""
    with database.atomic():
        row, case, _actions = load(number)
        handoffs.check_can_act(row, "evaluate", center)
        _check_open(case)
        return _new(number, "window", env.now_ms())


def _check_open(case) -> None:
    if case.state not in (COMPLETED, DELIVERED):
        raise ConflictError("办件尚未办结，不能评价")
    if case.evaluation is not None:
        raise ConflictError("本办件已评价，每件只评一次（一事一评）")


def invitation(token: str) -> EvaluationInvite:
    """The unused invitation a token opens. :raises NotFound: unknown or used (the same)."""
    row = EvaluationInvite.get_or_none(EvaluationInvite.token_hash == token_hash(token or ""))
    if row is None or row.used_ms is not None:
        raise NotFound("评价链接无效或已使用")
    return row


def submit(keys: KeyPair, center: str, digest: str, form: dict) -> dict:
    """Record the applicant's evaluation through the invitation ``digest`` names, once.

    :raises NotFound: no such unused invitation. :raises ValidationError: a level not of
        the five, or 不满意/非常不满意 without a comment. :raises ConflictError: rated already.
    """
    level = form.get("level")
    comment = str(form.get("comment") or "").strip()
    if not isinstance(level, str) or not level:
        raise ValidationError("level: 请选择评价等级", field="level")
    data = {"level": level, **({"comment": comment} if comment else {})}
    with database.atomic():
        row = EvaluationInvite.get_or_none(EvaluationInvite.token_hash == digest)
        if row is None or row.used_ms is not None:
            raise NotFound("评价链接无效或已使用")
        case_row, case, _actions = load(row.number)
        handoffs.check_can_act(case_row, "evaluate", center)  # one writer per case
        _check_open(case)
        record_action(keys, center, row.number, case, "evaluate", APPLICANT, data)
        if level in BAD_REVIEWS:  # 差评: the rectification order opens with it
            rectification.open_order(keys, center, row.number, level, comment)
        # Every invitation of the case is spent: one evaluation per case.
        EvaluationInvite.update(used_ms=env.now_ms()).where(
            EvaluationInvite.number == row.number).execute()
    return {"number": row.number, "level": level}


def forwarded(keys: KeyPair, center: str, payload: dict) -> str:
    """An evaluation made at the hub's online hall with a link this center sent; the outcome
    (recorded, or why not) for the stream's ``message.applied``."""
    try:
        submit(keys, center, str(payload.get("token_hash", "")), payload)
    except (NotFound, ConflictError, ValidationError, ProtocolError) as exc:
        return f"not recorded: {exc.detail}"
    return "recorded"


@applies("evaluation.forwarded")
def apply_forwarded(message: dict, ctx) -> str:
    """The hub's online hall forwards an evaluation made with this center's link."""
    return forwarded(ctx.keys, ctx.center, message["payload"])
