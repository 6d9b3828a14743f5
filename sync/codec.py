"""Canonical JSON: the exact bytes that are hashed and signed.

UTF-8, no insignificant whitespace, object keys sorted by code point, strings
escaped minimally (RFC 8259), integers only (signed 64-bit). Floats are refused because two
languages do not print them the same way; money is an integer of fen.
``docs/protocol.md`` specifies the same rules for other implementations.
"""
from __future__ import annotations

import re

import orjson

from sync.errors import Code, ProtocolError

_SORTED = orjson.OPT_SORT_KEYS
MIN_INT64, MAX_INT64 = -2**63, 2**63 - 1
# The JSON escape of U+0000 where its backslash is not itself escaped.
_NUL_ESCAPE = re.compile(rb'(?<!\\)(?:\\\\)*\\u0000')


def canonical(value) -> bytes:
    """The canonical JSON bytes of ``value`` (a dict, list, str, int, bool or None)."""
    _refuse_floats(value)
    try:
        return orjson.dumps(value, option=_SORTED)
    except TypeError as exc:  # integers past 64 bits, lone surrogates, non-JSON types
        raise ProtocolError(f"not canonical JSON: {exc}", code=Code.EVENT_MALFORMED) from None


def dumps(value) -> bytes:
    """Compact JSON bytes for transport (not hashed, so key order does not matter)."""
    return orjson.dumps(value)


def loads(data: bytes | str):
    """Parse JSON; malformed input becomes ``ProtocolError(BODY_MALFORMED)``."""
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise ProtocolError(f"malformed JSON: {exc}", code=Code.BODY_MALFORMED) from None


def has_nul(json_bytes: bytes) -> bool:
    """True when JSON text holds a string with U+0000, which no sync body may carry: PostgreSQL's
    text columns cannot store it (and a raw NUL is not JSON at all)."""
    return b"\\u0000" in json_bytes and _NUL_ESCAPE.search(json_bytes) is not None


def _refuse_floats(value) -> None:
    """Refuse floats and integers outside signed 64 bits (JSON parsers disagree on both)."""
    # Iterative, and by exact type first: every event's payload is walked at ingest, and
    # most of what it holds are strings.
    stack = [value]
    while stack:
        item = stack.pop()
        kind = type(item)
        if kind is str or kind is bool or item is None:
            continue
        if kind is dict:
            stack.extend(item.values())
        elif kind is list or kind is tuple:
            stack.extend(item)
        elif isinstance(item, float):
            raise ProtocolError("floats are not allowed in signed data; use integers",
                                code=Code.EVENT_MALFORMED)
        elif isinstance(item, int):
            if not MIN_INT64 <= item <= MAX_INT64:
                raise ProtocolError(f"integer {item} is outside signed 64 bits",
                                    code=Code.EVENT_MALFORMED)
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, (list, tuple)):
            stack.extend(item)
