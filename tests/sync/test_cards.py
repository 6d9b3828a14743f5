"""Electronic supervision cards (sync.cards): warning, yellow, red, irregular handling."""
import dataclasses
import datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from sync.cards import ORDER_DAYS, Order, cards, order_key
from sync.case_labels import IN_REVIEW, RECEIVED
from sync.case_state import Step
from tests.sync.case_walks import ACCEPT, APPROVE, CAL, REVIEW, SUBMIT, at, case_in, walk
from sync.case_machine import new_case

D = datetime.date
# case_in: received Mon 2025-09-22 09:00, every step an hour later; a 5-day promise
# accepted on the 22nd is due Sun 2025-09-28, a make-up working day (调休上班).
DUE = D(2025, 9, 28)


def levels(case, today, days=5, **kw):
    return [(c.clock, c.level) for c in cards(case, days, CAL, today, **kw)]


def test_promised_limit_gives_warning_then_yellow_then_red():
    case = case_in(IN_REVIEW)
    assert levels(case, D(2025, 9, 25)) == []                       # 2 working days left
    assert levels(case, D(2025, 9, 26)) == [("promised", "warning")]  # 1 left
    assert levels(case, DUE) == [("promised", "warning")]             # the last day
    assert levels(case, D(2025, 9, 29)) == [("promised", "yellow")]
    [card] = cards(case, 5, CAL, D(2025, 9, 29))
    # Issued on the 29th; 5 working days of 督办 run past the National Day holidays.
    assert card.order_due == CAL.add_workdays(D(2025, 9, 29), ORDER_DAYS).day > D(2025, 10, 8)
    assert levels(case, card.order_due) == [("promised", "yellow")]
    assert levels(case, card.order_due + datetime.timedelta(days=1)) == [("promised", "red")]


def test_a_supervision_order_sets_the_red_card_day():
    case = case_in(IN_REVIEW)
    order = Order(D(2025, 10, 1), "请于国庆前办结", "210102", "2025-09-29T10:00:00+08:00")
    ordered = {"promised": order}
    assert levels(case, D(2025, 10, 1), orders=ordered) == [("promised", "yellow")]
    assert levels(case, D(2025, 10, 2), orders=ordered) == [("promised", "red")]
    [card] = cards(case, 5, CAL, D(2025, 10, 2), orders=ordered)
    assert (card.order_due, card.order) == (order.due, order)
    assert card.as_dict()["order"] == {"due": "2025-10-01", "note": "请于国庆前办结",
                                       "by": "210102", "issued_at": "2025-09-29T10:00:00+08:00"}
    assert Order.from_dict(order.as_dict()) == order
    # An order on another clock, or another department's joint clock, changes nothing here.
    assert levels(case, D(2025, 10, 2), orders={order_key("joint", "natres"): order}) == [
        ("promised", "yellow")]


def test_a_closed_case_has_no_clock_cards():
    done = case_in(IN_REVIEW)
    done = walk(done, SUBMIT, APPROVE)
    assert levels(done, D(2025, 12, 1)) == []


def test_a_pause_stops_the_promised_clock():
    case = walk(case_in(IN_REVIEW), ("suspend_supplement", "reviewer", {"missing": ["场地平面图"]}))
    assert levels(case, D(2025, 11, 3)) == []
    # Resumed on 11-03: 5 working days less the 22nd's remainder still lie ahead.
    resumed = walk(case, ("supplement_in", "clerk", {}), start=at(3, 9, month=11))
    assert levels(resumed, D(2025, 11, 4)) == []


def test_intake_limit_and_late_acceptance():
    case = case_in(RECEIVED)
    assert levels(case, D(2025, 9, 25)) == []
    assert levels(case, D(2025, 9, 26)) == [("intake", "warning")]   # due 9-28 (5th working day)
    assert levels(case, D(2025, 9, 29)) == [("intake", "yellow")]
    late = walk(case, ACCEPT, start=at(29, 9))
    assert ("late_acceptance", "irregular") in levels(late, D(2025, 9, 29))
    on_time = walk(case, ACCEPT, start=at(28, 9))
    assert levels(on_time, D(2025, 9, 28)) == []


def test_joint_department_past_its_own_deadline():
    case = walk(case_in(IN_REVIEW), ("open_joint", "reviewer",
                                     {"departments": {"fire": "2025-09-24"}}))
    found = cards(case, 20, CAL, D(2025, 9, 25))
    assert [(c.clock, c.level, c.department) for c in found] == [("joint", "yellow", "fire")]


def test_special_procedure_past_its_written_limit():
    case = walk(case_in(IN_REVIEW), ("start_special", "reviewer",
                                     {"kind": "site_survey", "reason": "需现场核查",
                                      "limit_days": 2}))
    # Started 9-22: limit the 24th; the promised clock is paused meanwhile.
    assert levels(case, D(2025, 9, 22)) == []
    assert levels(case, D(2025, 9, 24)) == [("special", "warning")]
    assert levels(case, D(2025, 9, 25)) == [("special", "yellow")]


def test_a_decision_without_review_is_flagged():
    done = walk(case_in(IN_REVIEW), SUBMIT, APPROVE)
    assert levels(done, D(2025, 9, 23)) == []
    skipped = dataclasses.replace(done, history=tuple(
        s for s in done.history if s.action not in ("start_review", "submit_for_approval")))
    assert levels(skipped, D(2025, 9, 23)) == [("no_review", "irregular")]
    immediate = walk(new_case("immediate", role="clerk", at=at(22, 9)),
                     ("complete_immediate", "clerk", {"outcome": "approved", "document_number": "沈即〔2025〕1号"}))
    assert levels(immediate, D(2025, 9, 23), days=0) == []


RANK = {"warning": 1, "yellow": 2, "red": 3}


@settings(max_examples=200, deadline=None)
@given(days=st.integers(0, 30), first=st.integers(0, 120), later=st.integers(0, 120))
def test_an_open_case_only_ever_escalates(days, first, later):
    """With nothing done, a card never falls back as the days pass (none skips a stage)."""
    case = case_in(IN_REVIEW)
    day1 = D(2025, 9, 22) + datetime.timedelta(days=first)
    day2 = day1 + datetime.timedelta(days=later)
    rank = [max((RANK[c.level] for c in cards(case, days, CAL, d)), default=0)
            for d in (day1, day2)]
    assert rank[0] <= rank[1]


@settings(max_examples=200, deadline=None)
@given(days=st.integers(1, 30), offset=st.integers(-40, 40))
def test_yellow_exactly_when_past_the_promised_day(days, offset):
    case = case_in(IN_REVIEW)
    due = CAL.add_workdays(D(2025, 9, 22), days).day
    today = due + datetime.timedelta(days=offset)
    found = {c.level for c in cards(case, days, CAL, today)}
    assert bool(found & {"yellow", "red"}) == (today > due)
    assert ("warning" in found) == (today <= due and CAL.workdays_between(today, due) <= 1)
