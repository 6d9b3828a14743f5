"""The hub's SMS queue: messages in, and what the pages and commands show of it."""
from __future__ import annotations

import datetime
import secrets

import orjson
from peewee import fn

from hub.cases import evaluations
from hub.ledger.registry import handles
from hub.models import SmsMessage, database
from sync import sms_events, sms_templates
from sync.database import insert_rows
from sync.errors import ValidationError

COLUMNS = ("out_id", "kind", "phone", "params", "case_number", "created_ms", "expires_ms",
           "status", "not_before_ms", "attempts", "claim", "biz_id", "error")
STATUSES = ("queued", "sending", "sent", "delivered", "undelivered", "failed", "dropped")


def _ms(iso: str) -> int | None:
    if not iso:
        return None
    return int(datetime.datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp() * 1000)


def _row(out_id: str, payload: dict, created_ms: int) -> tuple:
    return (out_id, payload["kind"], payload["phone"],
            orjson.dumps(payload["params"]).decode(), payload.get("case", ""), created_ms,
            _ms(payload.get("expires_at", "")), "queued", 0, 0, "", "", "")


@handles(sms_events.REQUESTED, independent=True)
def queue_requested(events: list[dict]) -> None:
    """Each center's message, queued once under its ``{origin}-{seq}`` (a replay adds none)."""
    rows = [_row(sms_events.out_id(e["origin"], e["seq"]), e["payload"], _ms(e["created_at"]))
            for e in events]
    insert_rows(database.obj, "sms_message", COLUMNS, rows,
                suffix="ON CONFLICT (out_id) DO NOTHING")
    # A 好差评 link may be used at the hub's online hall: the hub keeps its token's hash.
    evaluations.record_links(events, max((row[5] for row in rows), default=0))


def enqueue(kind: str, phone: str, params: dict, now_ms: int, *, case: str = "",
            expires_ms: int | None = None) -> str:
    """Queue one of the hub's own messages (in the caller's transaction); returns its id."""
    reason = sms_templates.check(kind, phone, params)
    if reason:
        raise ValidationError(reason, field=reason.split(":")[0])
    out_id = "hub-" + secrets.token_hex(12)
    SmsMessage.create(out_id=out_id, kind=kind, phone=phone, params=orjson.dumps(params).decode(),
                      case_number=case, created_ms=now_ms, expires_ms=expires_ms)
    return out_id


def counts() -> dict[str, int]:
    """Messages per status (every status named, zero or not)."""
    found = dict(SmsMessage.select(SmsMessage.status, fn.COUNT(SmsMessage.id))
                 .group_by(SmsMessage.status).tuples())
    return {status: found.get(status, 0) for status in STATUSES}
