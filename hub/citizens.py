"""The hub's side of citizens' logins (``web.citizen_auth``): codes go straight into the
hub's own SMS queue, which sends them through the city's gateway account."""
from __future__ import annotations

from hub.sms import queue


def send_code(phone: str, code: str, ttl_s: int, now_ms: int) -> None:
    """Queue the code's SMS (in the caller's transaction); dropped, not sent late, once
    the code has expired."""
    queue.enqueue("verification_code", phone, {"code": code, "minutes": str(max(1, ttl_s // 60))},
                  now_ms, expires_ms=now_ms + ttl_s * 1000)
