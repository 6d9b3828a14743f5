"""The hub's side of citizens' logins (``web.citizen_auth``): codes go straight into the
hub's own SMS queue, which sends them through the city's gateway account; a citizen's
cases are every center's copies applied for with the ID number and the mobile number the
citizen logged in with (the mobile kept in each case's receipt), so someone who only knows
an ID number sees nothing."""
from __future__ import annotations

import orjson

from hub.models import HubCase
from hub.sms import queue
from sync import case_labels
from sync.topology import load_topology
from web.citizens import Citizen

MAX_CASES = 200


def send_code(phone: str, code: str, ttl_s: int, now_ms: int) -> None:
    """Queue the code's SMS (in the caller's transaction); dropped, not sent late, once
    the code has expired."""
    queue.enqueue("verification_code", phone, {"code": code, "minutes": str(max(1, ttl_s // 60))},
                  now_ms, expires_ms=now_ms + ttl_s * 1000)


def cases_of(citizen: Citizen) -> list[dict]:
    """The citizen's cases in the whole city, newest first (one indexed query)."""
    rows = (HubCase.select(HubCase.number, HubCase.center, HubCase.matter, HubCase.state,
                           HubCase.received_at, HubCase.due_date, HubCase.received)
            .where(HubCase.applicant_id == citizen.id_code)
            .order_by(HubCase.received_at.desc()).limit(MAX_CASES).tuples())
    name = load_topology().name_of
    found = []
    for number, center, matter, state, received_at, due_date, received in rows:
        if orjson.loads(received)["applicant"].get("phone") != citizen.phone:
            continue
        found.append({"number": number, "matter": orjson.loads(matter)["name"], "state": state,
                      "state_label": case_labels.STATES[state], "received_at": received_at,
                      "promised_date": due_date, "center_name": name(center)})
    return found
