"""好差评 at the hub's online hall, with the one-time link a center sent by SMS.

The hub never writes a case: one writer per case. It keeps each link's token
hash (from the center's ``evaluation_link`` message, as it queues it), spends a
link once, and forwards the evaluation through the pull stream to the center
that sent it (``evaluation.forwarded``), which records it as the applicant's
``evaluate`` action, a signed event of its own (``node.evaluation``).
"""
from __future__ import annotations

import hashlib

from hub.ledger import stream
from hub.models import EvaluationLink, database
from sync.case_labels import EVALUATION_LEVELS
from sync.case_labels import BAD_REVIEWS
from sync.database import insert_rows
from sync.errors import NotFound, ValidationError

FORWARDED = "evaluation.forwarded"


def token_hash(token: str) -> str:
    return hashlib.sha256((token or "").encode()).hexdigest()


def record_links(events: list[dict], created_ms: int) -> None:
    """The links among a batch of ``sms.requested`` events (in the handler's transaction)."""
    rows = [(token_hash(e["payload"]["params"]["token"]), e["payload"]["params"]["number"],
             e["origin"], created_ms) for e in events
            if e["payload"]["kind"] == "evaluation_link"]
    insert_rows(database.obj, "evaluation_link", ("token_hash", "number", "center",
                                                  "created_ms"), rows,
                suffix="ON CONFLICT (token_hash) DO NOTHING")


def link(token: str) -> EvaluationLink:
    """The unused link of a token. :raises NotFound: unknown or used (the same answer)."""
    row = EvaluationLink.get_or_none(EvaluationLink.token_hash == token_hash(token))
    if row is None or row.used_ms is not None:
        raise NotFound("评价链接无效或已使用")
    return row


def check(level, comment) -> dict:
    """The evaluation as the case machine will take it; refused here first, in Chinese."""
    if level not in EVALUATION_LEVELS:
        raise ValidationError("level: 请选择评价等级", field="level")
    comment = str(comment or "").strip()[:500]
    if level in BAD_REVIEWS and not comment:
        raise ValidationError("comment: 差评（不满意、非常不满意）必须填写评价意见", field="comment")
    return {"level": level, **({"comment": comment} if comment else {})}


def submit(token: str, level, comment, now_ms: int) -> dict:
    """Spend the link once and forward the evaluation to the case's center."""
    data = check(level, comment)
    with database.atomic():
        row = link(token)
        spent = EvaluationLink.update(used_ms=now_ms).where(
            (EvaluationLink.token_hash == row.token_hash)
            & EvaluationLink.used_ms.is_null()).execute()
        if not spent:  # another request spent it first
            raise NotFound("评价链接无效或已使用")
        stream.send(row.center, FORWARDED, {"number": row.number,
                                            "token_hash": row.token_hash, **data})
    return {"number": row.number, "level": data["level"]}
