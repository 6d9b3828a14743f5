"""What each node last told the hub: contact, versions, backlog, clock."""
from __future__ import annotations

from hub.ingest import head_of
from hub.models import CenterState

_INT_FIELDS = ("catalog_version", "backlog", "last_seq", "acked_seq", "clock_ms")


def record_heartbeat(center: str, body: dict, *, now_ms: int) -> dict:
    """Store a heartbeat; the reply tells the node the hub's head and whether to recover."""
    values = {name: body.get(name) for name in _INT_FIELDS}
    values = {k: v if isinstance(v, int) and not isinstance(v, bool) else 0
              for k, v in values.items()}
    head_seq, head_hash = head_of(center)
    # A node that has fewer events than the hub holds of it was restored from a backup.
    restored = values["last_seq"] < head_seq
    CenterState.update(
        last_contact_ms=now_ms, app_version=str(body.get("app_version", ""))[:32],
        catalog_version=values["catalog_version"], backlog=values["backlog"],
        node_last_seq=values["last_seq"], clock_skew_ms=values["clock_ms"] - now_ms,
        last_error=str(body.get("last_error", ""))[:500],
        needs_recovery=CenterState.needs_recovery | restored,
    ).where(CenterState.code == center).execute()
    return {"hub_time_ms": now_ms, "head_seq": head_seq, "head_hash": head_hash,
            "recover": restored}


def touch(center: str, now_ms: int) -> None:
    """Any authenticated request counts as contact."""
    CenterState.update(last_contact_ms=now_ms).where(CenterState.code == center).execute()


def mark_needs_recovery(center: str) -> None:
    """The center pushed events that differ from ours: it was restored from a backup."""
    CenterState.update(needs_recovery=True).where(CenterState.code == center).execute()
