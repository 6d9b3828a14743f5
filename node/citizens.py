"""A node's side of citizens' logins (``web.citizen_auth``).

The node has no gateway account: a code's SMS is an ``sms.requested`` event
written with the code, in one transaction, and the hub sends it once the push
carries it (at the next push; while the hub is unreachable no code arrives, and
the code expires unused). A citizen's cases here are those with the number
and the ID number the citizen logged in with.
"""
from __future__ import annotations

import datetime

import orjson
from flask import current_app

from node import outbox, store
from node.models import Case
from sync import case_labels, sms_events
from web.citizens import Citizen


def send_code(phone: str, code: str, ttl_s: int, now_ms: int) -> None:
    expires = datetime.datetime.fromtimestamp(now_ms / 1000 + ttl_s, datetime.timezone.utc)
    keys = store.load_keys(current_app.config["HALLSYNC"]["data_dir"])
    outbox.emit(keys, store.state().center, sms_events.REQUESTED, "", sms_events.payload(
        "verification_code", phone, {"code": code, "minutes": str(max(1, ttl_s // 60))},
        expires_at=expires.isoformat(timespec="milliseconds").replace("+00:00", "Z")))


def cases_of(citizen: Citizen) -> list[dict]:
    rows = (Case.select(Case.number, Case.matter, Case.state, Case.received_at,
                        Case.promised_date)
            .where((Case.applicant_id == citizen.id_code)
                   & (Case.applicant_phone == citizen.phone) & ~Case.consulted)
            .order_by(Case.received_at.desc()).limit(200))
    return [{"number": r.number, "matter": orjson.loads(r.matter)["name"], "state": r.state,
             "state_label": case_labels.STATES[r.state], "received_at": r.received_at,
             "promised_date": r.promised_date} for r in rows]
