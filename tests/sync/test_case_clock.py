"""The case's clock: when it starts, how pauses stop it, and the promised day they push back."""
from sync.case_clock import deadline, handling_workdays, intake_overdue, paused_workdays
from sync.case_labels import (ACCEPTED, IN_APPROVAL, IN_REVIEW, RECEIVED, SPECIAL_PROCEDURES,
                              SUPPLEMENT_REQUESTED, SUSPENDED_SPECIAL, SUSPENDED_SUPPLEMENT)
from sync.case_machine import apply, new_case
from tests.sync.case_walks import ACCEPT, APPROVE, CAL, REVIEW, SUBMIT, D, at, case_in, walk


def test_supplement_at_intake_does_not_start_the_clock():
    case = case_in(SUPPLEMENT_REQUESTED)
    assert case.missing == ("营业执照副本",) and deadline(case, CAL, 5) is None
    case = walk(case, ("supplement_in", "clerk", {}), ACCEPT, start=at(25))
    assert case.missing == () and case.pauses == ()
    # The clock starts at acceptance on the 25th: 26, 28 (make-up Sunday), 29, 30,
    # then National Day, so the 5th working day is 9 October.
    assert case.accepted_at == at(25, 12) and deadline(case, CAL, 5).day == D(2025, 10, 9)


def test_supplement_during_review_pauses_and_resumes():
    case = walk(new_case("promised", role="clerk", at=at(22, 9)), ACCEPT, REVIEW, SUBMIT)
    assert deadline(case, CAL, 5).day == D(2025, 9, 28)       # a make-up Sunday
    case = apply(case, "suspend_supplement", role="approver", at=at(23),
                 data={"missing": ["股东会决议"]})
    assert case.state == SUSPENDED_SUPPLEMENT and case.resumes_to == IN_APPROVAL
    assert deadline(case, CAL, 5, today=D(2025, 9, 24)).day == D(2025, 9, 29)
    assert paused_workdays(case, CAL, D(2025, 9, 24)) == 1
    case = apply(case, "supplement_in", role="clerk", at=at(25))
    assert case.state == IN_APPROVAL and case.missing == () and case.pauses[0].end == at(25)
    # Paused 24th and 25th (the 23rd, when the request went out, still counts).
    assert paused_workdays(case, CAL, D(2025, 12, 31)) == 2
    assert deadline(case, CAL, 5).day == D(2025, 9, 30)
    done = walk(case, APPROVE, start=at(30))
    assert handling_workdays(done, CAL) == 5


def test_special_procedure_records_kind_limit_and_result():
    case = case_in(SUSPENDED_SPECIAL)
    assert case.open_pause.kind == "site_survey" and case.open_pause.limit_days == 5
    case = apply(case, "end_special", role="reviewer", at=at(26), data={"result": "现场符合条件"})
    assert case.state == IN_REVIEW and case.pauses[0].result == "现场符合条件"
    assert case.history[-1].reason == "现场符合条件"
    assert set(SPECIAL_PROCEDURES) >= {"extension", "expert_review", "hearing", "inspection"}


def test_a_pause_opened_and_closed_the_same_day_costs_nothing():
    case = walk(case_in(IN_REVIEW), ("suspend_supplement", "reviewer", {"missing": ["委托书"]}),
                ("supplement_in", "clerk", {}))
    assert paused_workdays(case, CAL, D(2025, 12, 31)) == 0
    assert deadline(case, CAL, 5) == deadline(case_in(IN_REVIEW), CAL, 5)


def test_intake_overdue_after_five_working_days():
    case = case_in(RECEIVED)
    assert not intake_overdue(case, CAL, D(2025, 9, 28))      # 5 working days: 23-26, 28
    assert intake_overdue(case, CAL, D(2025, 9, 29))
    assert not intake_overdue(case_in(ACCEPTED), CAL, D(2025, 12, 1))
