"""Rollups kept as case events are applied equal a rebuild from the raw events."""
from __future__ import annotations

import datetime

from hypothesis import HealthCheck, given, settings, strategies as st

from hub import db as hub_db
from hub import rollups
from hub.cases import act, receive
from hub.models import CaseRollup, HubCase, HubCaseAction, database
from sync import case_records, case_states
from sync.case_numbers import case_number
from tests.catalog_changes import matter

CENTERS = ("210102", "210102001", "210103001")
MATTERS = ("SY04001", "SY06006")  # a promised matter and an immediate one
DATA = {"not_accept": {"reason": "材料不符合要求"},
        "request_supplement": {"missing": ["营业执照"]},
        "suspend_supplement": {"missing": ["施工方案"]},
        "start_special": {"kind": "hearing", "reason": "需要听证", "limit_days": 5},
        "end_special": {"result": "听证结束"},
        "return_to_review": {"reason": "补充审查"}, "withdraw": {"reason": "申请人撤回"},
        "decide": {"outcome": "approved", "document_number": "沈审〔2026〕1号"},
        "complete_immediate": {"outcome": "approved", "document_number": "即办1号"},
        "deliver": {"method": "window"}}
ROLE_FOR = {name: sorted(a.roles)[0] for name, a in case_states.ACTIONS.items() if a.roles}
SKIP = {"open_joint", "joint_decide", "close_joint"}  # joint approval has its own tests


def case_events(index, center, code, choices, start):
    """A random but valid life of one case, as the node would have sent it."""
    m = {**matter(code), "version": 1}
    number = case_number(center, start.date(), index + 1)
    received = {"number": number, "matter": case_records.snapshot(m),
                "applicant": {"kind": "person", "name": "张伟", "id_code": "210102198503150013",
                              "phone": "13800000000"},
                "materials": [], "green_channel": False, "at": case_records.iso(start),
                "role": "clerk", "user": "u"}
    case = case_records.replay(received, [])
    events = [{"origin": center, "record": f"case:{number}", "payload": received}]
    at = start
    for n, pick in enumerate(choices, 1):
        options = [a for a in case_states.ACTIONS
                   if a not in SKIP and a != case_states.RECEIVE
                   and a in case_states.available_actions(case, ROLE_FOR[a])]
        if not options:
            break
        action = options[pick % len(options)]
        at = at + datetime.timedelta(hours=7 * (pick % 5 + 1))
        record = {"number": number, "n": n, "action": action, "role": ROLE_FOR[action],
                  "user": "u", "at": case_records.iso(at), "data": DATA.get(action, {})}
        case = case_states.apply(case, action, role=record["role"], at=at, data=record["data"])
        events.append({"origin": center, "record": f"case:{number}", "payload": record})
    return events


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                   HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.sampled_from(CENTERS), st.sampled_from(MATTERS),
                          st.lists(st.integers(0, 50), max_size=8), st.integers(0, 40)),
                min_size=1, max_size=12))
def test_incremental_rollups_equal_the_rebuild(tmp_path_factory, cases):
    db = hub_db.bind(f"sqlite:///{tmp_path_factory.mktemp('rollups')}/hub.db")
    try:
        base = datetime.datetime(2026, 9, 28, 9, tzinfo=case_states.CHINA)
        with database.atomic():
            for i, (center, code, choices, offset) in enumerate(cases):
                for event in case_events(i, center, code, choices,
                                         base + datetime.timedelta(days=offset)):
                    (receive if "matter" in event["payload"] else act)([event])
        kept = rollups.snapshot()
        assert sum(r[0] for r in kept.values()) == len(cases)  # every case received once
        rollups.rebuild()
        assert rollups.snapshot() == kept
    finally:
        for model in (CaseRollup, HubCaseAction, HubCase):
            model.delete().execute()
        db.close()


def test_one_case_counts_where_and_when_it_happened(tmp_path):
    db = hub_db.bind(f"sqlite:///{tmp_path}/hub.db")
    start = datetime.datetime(2026, 9, 28, 9, tzinfo=case_states.CHINA)  # a Monday
    # accept 16:00, start_review 23:00, submit 06:00 next day, decide 28 h later (09-30)
    events = case_events(0, "210102", "SY04001", [0, 0, 0, 3], start)
    assert [e["payload"].get("action") for e in events[1:]] == [
        "accept", "start_review", "submit_for_approval", "decide"]
    with database.atomic():
        receive([events[0]])
        act(events[1:])
    rows = rollups.snapshot()
    first, last = ("210102", "2026-09-28", "SY04001"), ("210102", "2026-09-30", "SY04001")
    received, accepted, *_ = rows[first]
    assert (received, accepted) == (1, 1)
    completed, approved = rows[last][3], rows[last][5]
    assert (completed, approved) == (1, 1) and rows[last][8] == 2  # two working days to 办结
    rollups.rebuild()
    assert rollups.snapshot() == rows
    db.close()
