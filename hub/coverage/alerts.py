"""Coverage, handoff and consultation alerts: opened when a condition begins, cleared when it ends.

``evaluate`` compares what ``hub.coverage.centers`` finds now with the alerts that are
open, so it is idempotent: running it twice at the same moment changes
nothing, and ``began_ms`` is the first evaluation that saw the condition.
``hub.scheduler`` runs it once every ``coverage_interval_s`` across the hub's
workers and instances; should two evaluations still meet (a direct call), on
PostgreSQL a transaction-level advisory lock lets one do it and the other skip,
on SQLite the write transaction queues them and idempotence makes the repeat
harmless.
"""
from __future__ import annotations

from datetime import datetime, timezone

from hub.cases import handoffs, parallel
from hub.coverage.centers import assess, default_settings
from hub.models import Alert, database
from sync.database import is_postgresql
from sync.topology import load_topology

KINDS = {"silent": "失联", "catalog_behind": "目录落后", "backlog_rising": "积压增长",
         "signature_failures": "签名校验失败", "handoff_unacked": "移交未接收",
         "handoff_due": "移交办件临近或超期", "consult_due": "并联会签临近或超期"}
# pg_try_advisory_xact_lock takes one bigint: "hallalrt" in ASCII, unlikely to collide.
LOCK_KEY = 0x68616C6C616C7274


def current(now_ms: int, settings: dict) -> dict[tuple[str, str], str]:
    """The conditions that deserve an alert now: ``(center, kind) → reason``."""
    found = {(center.code, c.kind): c.reason
             for center, _state, conditions, _refusals in assess(now_ms, settings)
             for c in conditions if c.kind in KINDS}
    return {**found, **handoffs.conditions(now_ms, settings),
            **parallel.conditions(now_ms, settings)}


def evaluate(now_ms: int, settings: dict | None = None) -> dict:
    """Open alerts for conditions that began, clear those that ended; say what changed."""
    settings = settings or default_settings()
    with database.atomic():
        if is_postgresql(database.obj) and not database.execute_sql(
                "SELECT pg_try_advisory_xact_lock(%s)", (LOCK_KEY,)).fetchone()[0]:
            return {"skipped": True, "opened": 0, "cleared": 0}
        wanted = current(now_ms, settings)
        open_now = {(a.center, a.kind): a.id
                    for a in Alert.select().where(Alert.cleared_ms.is_null())}
        opened = [{"center": center, "kind": kind, "began_ms": now_ms, "detail": reason}
                  for (center, kind), reason in wanted.items() if (center, kind) not in open_now]
        ended = [alert_id for key, alert_id in open_now.items() if key not in wanted]
        if opened:
            Alert.insert_many(opened).execute()
        if ended:
            Alert.update(cleared_ms=now_ms).where(Alert.id.in_(ended)).execute()
    return {"skipped": False, "opened": len(opened), "cleared": len(ended)}


def _described(alert: Alert) -> dict:
    began = datetime.fromtimestamp(alert.began_ms / 1000, timezone.utc)
    center = load_topology().by_code.get(alert.center)
    return {"id": alert.id, "center": alert.center, "name": center.name if center else "",
            "kind": alert.kind, "kind_name": KINDS[alert.kind],
            "began_ms": alert.began_ms,
            "began_at": began.isoformat(timespec="seconds").replace("+00:00", "Z"),
            "cleared_ms": alert.cleared_ms, "detail": alert.detail}


def open_alerts() -> list[dict]:
    """The open alerts, oldest first, with when each began."""
    query = Alert.select().where(Alert.cleared_ms.is_null()).order_by(Alert.began_ms, Alert.id)
    return [_described(a) for a in query]
