"""Case numbers (办件编号) unique city-wide without coordination, and the applicant's query code.

Format, fixed for good because it is printed on receipts and notices::

    <center code>-<YYYYMMDD>-<sequence>      210102001-20250304-00017

* ``center code``: the accepting center's code from ``config/centers.toml``
  (6 digits, 6 digits + F + digit, or 9 digits). Codes are unique and never
  reused, so two centers can never make the same number.
* ``YYYYMMDD``: the day of intake in China local time.
* ``sequence``: the center's own daily counter from 1, five digits
  zero-padded (at most 99 999 cases a day at one center). Only that center
  writes it, so no hub round trip is needed and a node offline all day still
  numbers its cases correctly.

A case keeps its number through a cross-level handoff: the number names where
the applicant was received, not who owns the processing now.

The query code (查询码) is printed next to the number. The public progress
page asks for both, so knowing (or guessing) a neighbour's case number is not
enough to read their case. It is an HMAC of the number under a secret shared
by the hub and the nodes, so either side can check it without storing it:
8 characters from an alphabet without 0/O and 1/I, which are misread on paper.
"""
from __future__ import annotations

import datetime
import hashlib
import hmac
import re
from typing import NamedTuple

from sync.errors import ValidationError
from sync.topology import CENTER_CODE

SEQ_DIGITS = 5
MAX_SEQ = 10 ** SEQ_DIGITS - 1
QUERY_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"   # 32 symbols: 5 bits each
QUERY_LENGTH = 8                                      # 40 bits
MIN_SECRET_BYTES = 16
# Versioned so a future derivation can coexist with codes already printed.
_QUERY_DOMAIN = b"hallsync-query-v1\n"
_NUMBER = re.compile(rf"(?P<center>[0-9A-Z]+)-(?P<day>[0-9]{{8}})-(?P<seq>[0-9]{{{SEQ_DIGITS}}})")


class CaseNumber(NamedTuple):
    """The parts of a case number."""

    center: str
    day: datetime.date
    seq: int


def case_number(center_code: str, day: datetime.date, seq: int) -> str:
    """The case number of the ``seq``-th case received at ``center_code`` on ``day``."""
    if not isinstance(center_code, str) or not CENTER_CODE.fullmatch(center_code):
        raise ValueError(f"not a center code: {center_code!r}")
    if isinstance(day, datetime.datetime) or not isinstance(day, datetime.date):
        # A datetime's date differs between UTC and Beijing for 8 hours a day.
        raise TypeError(f"expected a datetime.date in China local time (got {day!r})")
    if type(seq) is not int or not 1 <= seq <= MAX_SEQ:
        raise ValueError(f"seq must be an integer from 1 to {MAX_SEQ} (got {seq!r})")
    return f"{center_code}-{day:%Y%m%d}-{seq:0{SEQ_DIGITS}d}"


def parse_case_number(text: str, *, field: str = "case_number") -> CaseNumber:
    """Split a case number into its parts; ``ValidationError`` naming ``field`` when malformed."""
    number = text.strip().upper() if isinstance(text, str) else ""
    match = _NUMBER.fullmatch(number)
    if not match:
        _fail(field, f"办件编号格式不正确，应为“中心代码-年月日-{SEQ_DIGITS}位序号”，"
                     f"如 210102001-20250304-00017（实际为 {text!r}）")
    if not CENTER_CODE.fullmatch(match["center"]):
        _fail(field, f"办件编号中的中心代码 {match['center']} 无效")
    digits = match["day"]
    try:
        day = datetime.date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    except ValueError:
        _fail(field, f"办件编号中的日期 {match['day']} 不是有效日期")
    seq = int(match["seq"])
    if seq < 1:
        _fail(field, "办件编号中的序号从 1 开始")
    return CaseNumber(match["center"], day, seq)


def query_code(case_number: str, secret: bytes) -> str:
    """The applicant's 8-character query code for ``case_number``, derived with HMAC-SHA256."""
    if not isinstance(secret, bytes) or len(secret) < MIN_SECRET_BYTES:
        raise ValueError(f"the query secret must be at least {MIN_SECRET_BYTES} bytes")
    number = _canonical(parse_case_number(case_number))
    digest = hmac.new(secret, _QUERY_DOMAIN + number.encode("ascii"), hashlib.sha256).digest()
    bits = int.from_bytes(digest[:5], "big")          # the first 40 bits
    return "".join(QUERY_ALPHABET[(bits >> (5 * i)) & 31]
                   for i in reversed(range(QUERY_LENGTH)))


def check_query_code(case_number: str, code: str, secret: bytes) -> bool:
    """True when ``code`` is the query code of ``case_number`` (spaces, hyphens and case ignored)."""
    typed = "".join(code.split()).replace("-", "").upper() if isinstance(code, str) else ""
    # compare_digest: the public page must not leak, by timing, how many characters matched.
    return hmac.compare_digest(typed.encode("ascii", "replace"),
                               query_code(case_number, secret).encode("ascii"))


def _canonical(parts: CaseNumber) -> str:
    return case_number(parts.center, parts.day, parts.seq)


def _fail(field: str, reason: str):
    raise ValidationError(f"{field}: {reason}", field=field)
