"""What an operator asks of the hub: who is enrolled, what is held, what was refused."""
from __future__ import annotations

from peewee import fn

from hub.calendar.in_force import current_version as calendar_version
from hub.catalog.authority import current_version
from hub.ledger.apply import APPLIED
from hub.models import CenterState, Event, NodeKey, SecurityEvent


def hub_status() -> dict:
    """Centers enrolled and revoked, events held and unapplied, catalog and calendar
    versions, refusals."""
    enrolled = CenterState.select().where(CenterState.revoked_at.is_null()).count()
    revoked = CenterState.select().where(CenterState.revoked_at.is_null(False)).count()
    by_state = dict(Event.select(Event.state, fn.COUNT(Event.seq)).group_by(Event.state).tuples())
    refusals = {code: int(n) for code, n in  # PostgreSQL sums to numeric
                SecurityEvent.select(SecurityEvent.code, fn.SUM(SecurityEvent.repeats))
                .group_by(SecurityEvent.code).tuples()}
    return {"centers_enrolled": enrolled, "centers_revoked": revoked,
            "keys": NodeKey.select().count(),
            "events_held": sum(by_state.values()), "events_by_state": by_state,
            "catalog_version": current_version(), "calendar_version": calendar_version(),
            "refusals": sum(refusals.values()),
            "refusals_by_code": refusals,
            "centers_needing_recovery": [c.code for c in CenterState.select().where(
                CenterState.needs_recovery == True)]}  # noqa: E712 (peewee expression)


def unapplied(limit: int = 1000) -> list[dict]:
    """Quarantined, held and refused events, oldest first."""
    query = (Event.select(Event.origin, Event.seq, Event.type, Event.record, Event.state,
                          Event.error_code, Event.error_detail)
             .where(Event.state != APPLIED).order_by(Event.origin, Event.seq).limit(limit))
    return [{"origin": e.origin, "seq": e.seq, "type": e.type, "record": e.record,
             "state": e.state, "code": e.error_code, "detail": e.error_detail} for e in query]
