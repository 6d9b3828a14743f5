"""A busy street's window work, done offline through the node's own code.

Cases of the matters a street decides itself, received on the working days of
the last 30 days: 即办件 completed at the window and handed over, and 承诺件
accepted, reviewed, approved, decided and delivered. Each step goes through
``node.cases`` (the same calls as the window's pages), so each writes its
rows and its signed event exactly as a clerk's click would.
"""
from __future__ import annotations

import contextlib
import datetime
import random

import orjson

from node import case_log, cases, outbox, store
from node.models import CatalogMatter, database
from sync.calendar import load_calendar
from sync.case_clock import CHINA, china_today
from sync.identity_codes import resident_id_check_char

STREET = "210102001"  # 和平区太原街道 (any street decides the matters below itself)
DAYS = 30
# Street-level matters (levels include street): decided at the window, or promised.
IMMEDIATE = ("SY06006", "SY10001", "SY26001", "SY29001", "SY34011", "SY36006", "SY36011")
PROMISED = ("SY06011", "SY08001", "SY10006", "SY14011", "SY22006", "SY30001", "SY34001")
FOR_ENTERPRISES = frozenset({"SY10001", "SY34011", "SY34001"})
ENTERPRISE = {"kind": "enterprise", "name": "沈阳某商贸有限公司",
              "id_code": "91210100MA0Q123430", "phone": "02423456789"}
PROMISED_STEPS = (("start_review", "reviewer", {}),
                  ("submit_for_approval", "reviewer", {"reason": "材料齐全，符合条件"}),
                  ("decide", "approver", {"outcome": "approved"}),
                  ("deliver", "clerk", {"method": "window"}))
IMMEDIATE_EVENTS = 3  # received, complete_immediate, deliver
PROMISED_EVENTS = 2 + len(PROMISED_STEPS)


def _person(n: int) -> dict:
    first17 = f"21010219{70 + n % 30:02d}{1 + n % 12:02d}{1 + n % 28:02d}{n % 1000:03d}"
    return {"kind": "person", "name": f"居民{n}",
            "id_code": first17 + resident_id_check_char(first17), "phone": f"138{n:08d}"}


def working_days(today: datetime.date, days: int = DAYS) -> list[datetime.date]:
    calendar = load_calendar()
    span = (today - datetime.timedelta(days=days - 1 - i) for i in range(days))
    return [day for day in span if calendar.is_workday(day)]


@contextlib.contextmanager
def _clock_at(moment: list):
    """The node's clock (``case_log.now``) reads ``moment[0]``: the work happened on past days."""
    real = case_log.now
    case_log.now = lambda: moment[0]
    try:
        yield
    finally:
        case_log.now = real


def do_work(data_dir, events: int, *, seed: int = 7, progress=lambda text: None) -> int:
    """Receive and handle cases until about ``events`` events are written; returns how many."""
    store.bind(data_dir)
    keys, center = store.load_keys(data_dir), store.state().center
    rng = random.Random(seed)
    with database.connection_context():
        materials = {m.code: [x["name"] for x in orjson.loads(m.data)["materials"]]
                     for m in CatalogMatter.select()
                     .where(CatalogMatter.code.in_(IMMEDIATE + PROMISED))}
        first, _ = outbox.last()
    actors = {role: case_log.Actor(f"{role}1", role) for role in ("clerk", "reviewer", "approver")}
    days = working_days(china_today())
    moment = [None]
    made = n = 0
    with _clock_at(moment), database.connection_context():
        for k, day in enumerate(days, 1):
            start = datetime.datetime.combine(day, datetime.time(9), tzinfo=CHINA)
            # Each working day does its share of the month: the events up to k/len(days).
            while made < events * k / len(days):
                moment[0] = start + datetime.timedelta(minutes=5 * (n % 90))
                promised = rng.random() < 0.5
                code = rng.choice(PROMISED if promised else IMMEDIATE)
                form = {"matter_code": code, "materials": materials[code],
                        "applicant": ENTERPRISE if code in FOR_ENTERPRISES else _person(n),
                        "outcome": "accept" if promised else "complete_immediate",
                        "document_number": f"街即〔{day.year}〕{n}号"}
                number = cases.intake(keys, center, actors["clerk"], form)["number"]
                for step, (action, role, data) in enumerate(
                        PROMISED_STEPS if promised else PROMISED_STEPS[-1:], 1):
                    moment[0] += datetime.timedelta(seconds=30 * step)
                    if action == "decide":
                        data = {**data, "document_number": f"街审〔{day.year}〕{n}号"}
                    cases.act(keys, center, number, action, actors[role], data)
                made += PROMISED_EVENTS if promised else IMMEDIATE_EVENTS
                n += 1
            progress(f"{day}: {n} cases, {made} events")
        last, _ = outbox.last()
    return last - first

