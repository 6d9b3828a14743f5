"""Working-day calendar versions at a node: signed by the hub, applied in order, exactly once.

A version arrives as a ``calendar.version`` message on the pull stream and carries
the hub's signature over its content, as a catalog version does. A version this
node already has is a no-op; one that skips a version stops the stream until the
missing one arrives. Once stored, every deadline the node counts uses it
(``node.work_calendar``), and the promised dates it had stored as provisional are
counted again: a year they ran into may just have been published.
"""
from __future__ import annotations

from node import case_log
from node.hub_keys import signed_by_hub
from node.inbox import applies
from node.models import CalendarVersion, Case
from node.work_calendar import current_version
from sync import codec
from sync.calendar_versions import calendar_of, verify_version
from sync.errors import AuthError, Code, SequenceError


@applies("calendar.version")
def apply_version(message: dict, _ctx) -> str:
    """Apply one signed calendar version (inside the inbox's transaction)."""
    body = message["payload"]
    if not signed_by_hub(lambda key: verify_version(body, key)):
        raise AuthError(f"calendar version {body.get('version')} is not signed by the hub",
                        code=Code.SIGNATURE_INVALID)
    version, applied = body["version"], current_version()
    if version <= applied:
        return f"calendar v{version} already applied"
    if version != applied + 1:
        raise SequenceError(f"calendar v{version} arrived before v{applied + 1}",
                            code=Code.SEQUENCE_GAP, expected_seq=applied + 1)
    calendar_of(body["digest"], lambda: body["table"])  # the table must give its digest
    CalendarVersion.create(version=version, digest=body["digest"],
                           first_year=body["first_year"], last_year=body["last_year"],
                           body=codec.canonical(body).decode("utf-8"))
    recounted = _recount_provisional()
    return (f"calendar v{version}: {body['first_year']}–{body['last_year']}, "
            f"{recounted} provisional promised dates recounted")


def _recount_provisional() -> int:
    """Count again the promised dates stored as provisional, with the version just stored."""
    numbers = [n for (n,) in Case.select(Case.number).where(Case.promised_provisional).tuples()]
    for number in numbers:
        case_log.refresh(number)
    return len(numbers)
