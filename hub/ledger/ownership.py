"""Who owns each record: its first writer, until a handoff moves it (single writer)."""
from __future__ import annotations

from hub.models import Ownership, database
from sync.database import select_in


def owners_of(records: set[str]) -> dict[str, str]:
    """Owner of each record that has one. Plain SQL: peewee would build a node per value."""
    return dict(select_in(database.obj, "SELECT record, owner FROM ownership "
                                        "WHERE record IN ({marks})", list(records)))


def owner_of(record: str) -> str | None:
    """The record's owner as of now, moves by handlers in this transaction included."""
    return Ownership.select(Ownership.owner).where(Ownership.record == record).scalar()


def transfer(record: str, owner: str, now_ms: int) -> None:
    """Move a record to another owner (a handoff): from now on only its events change it."""
    (Ownership.insert(record=record, owner=owner, since_ms=now_ms)
     .on_conflict(conflict_target=[Ownership.record],
                  update={Ownership.owner: owner, Ownership.since_ms: now_ms}).execute())
