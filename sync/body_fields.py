"""The integer fields of a sync request's body, checked before they reach SQL.

JSON has no integer size: ``2**63`` parses, then overflows SQLite or PostgreSQL's
``bigint`` as a 500; a larger number parses as a float; ``true`` is an ``int`` to Python;
and SQL reads a negative ``LIMIT`` as no limit at all. Each field is refused instead
as ``BODY_MALFORMED`` (400), naming it.
"""
from __future__ import annotations

from sync.errors import Code, ProtocolError

MAX_INT64 = 2**63 - 1  # a BigIntegerField
MAX_INT32 = 2**31 - 1  # an IntegerField on PostgreSQL


def integer(body: dict, name: str, *, minimum: int = 0, maximum: int = MAX_INT64,
            default: int | None = None) -> int:
    """``body[name]``, an integer in ``minimum..maximum``; ``default`` when it is absent."""
    value = body.get(name)
    if value is None and default is not None:
        return default
    if not isinstance(value, int) or isinstance(value, bool) or not minimum <= value <= maximum:
        raise ProtocolError(f"body.{name} must be an integer in {minimum}..{maximum} "
                            f"(got {value!r})"[:200], code=Code.BODY_MALFORMED, field=name)
    return value


def an_object(body, what: str) -> dict:
    """``body`` when it is a JSON object, else ``BODY_MALFORMED``."""
    if not isinstance(body, dict):
        raise ProtocolError(f"{what} body must be an object", code=Code.BODY_MALFORMED)
    return body
