"""Walking a case through the state machine in tests: instants, steps, and a case in any state."""
import datetime

from sync.calendar import load_calendar
from sync.case_clock import CHINA
from sync.case_labels import (ACCEPTED, COMPLETED, DELIVERED, HANDED_OFF, IN_APPROVAL, IN_REVIEW,
                              JOINT_REVIEW, NOT_ACCEPTED, RECEIVED, SUPPLEMENT_REQUESTED,
                              SUSPENDED_SPECIAL, SUSPENDED_SUPPLEMENT, WITHDRAWN)
from sync.case_machine import apply, new_case

D = datetime.date
CAL = load_calendar()
UTC = datetime.timezone.utc
HOUR = datetime.timedelta(hours=1)


def at(day: int, hour: int = 10, month: int = 9) -> datetime.datetime:
    return datetime.datetime(2025, month, day, hour, tzinfo=CHINA)


def walk(case, *steps, start=None):
    """Apply ``(action, role, data)`` steps an hour apart after the case's last step."""
    when = start or case.history[-1].at
    for action, role, data in steps:
        when += HOUR
        case = apply(case, action, role=role, at=when, data=data)
    return case


ACCEPT = ("accept", "clerk", {})
REVIEW = ("start_review", "reviewer", {})
SUBMIT = ("submit_for_approval", "reviewer", {})
APPROVE = ("decide", "approver", {"outcome": "approved", "document_number": "沈市监许〔2025〕17号"})
# The shortest way to each state of a promised case.
PATHS = {
    RECEIVED: [],
    SUPPLEMENT_REQUESTED: [("request_supplement", "clerk", {"missing": ["营业执照副本"]})],
    NOT_ACCEPTED: [("not_accept", "clerk", {"reason": "不属于本机关职权范围"})],
    ACCEPTED: [ACCEPT],
    IN_REVIEW: [ACCEPT, REVIEW],
    IN_APPROVAL: [ACCEPT, REVIEW, SUBMIT],
    SUSPENDED_SUPPLEMENT: [ACCEPT, REVIEW, ("suspend_supplement", "reviewer",
                                            {"missing": ["场地平面图"]})],
    SUSPENDED_SPECIAL: [ACCEPT, REVIEW, ("start_special", "reviewer",
                                         {"kind": "site_survey", "reason": "需现场核查",
                                          "limit_days": 5})],
    JOINT_REVIEW: [ACCEPT, REVIEW, ("open_joint", "reviewer",
                                    {"departments": {"fire": "2025-09-30"}})],
    COMPLETED: [ACCEPT, REVIEW, SUBMIT, APPROVE],
    DELIVERED: [ACCEPT, REVIEW, SUBMIT, APPROVE, ("deliver", "clerk", {"method": "window"})],
    WITHDRAWN: [("withdraw", "clerk", {"reason": "申请人撤回"})],
    HANDED_OFF: [ACCEPT, ("hand_off", "clerk", {"target": "210102", "consent": True})],
}


def case_in(state, handling="promised"):
    case = walk(new_case(handling, role="clerk", at=at(22, 9)), *PATHS[state])
    assert case.state == state
    return case
