"""Handoffs (异地代收代办) in the state machine, and the states of the hub's handoff rows."""
import pytest

from sync.case_clock import deadline
from sync.case_handoffs import (HANDOFF_DECIDED, HANDOFF_RETURNED, HANDOFF_SENT, HANDOFF_TAKEN,
                                HANDOFF_UNDELIVERABLE)
from sync.case_labels import ACCEPTED, RECEIVED
from sync.case_machine import apply
from sync.errors import ConflictError, ValidationError
from tests.sync.case_walks import CAL, at, case_in


def test_a_handoff_goes_on_where_it_was_at_the_handling_center():
    accepted = case_in(ACCEPTED)
    sent = apply(accepted, "hand_off", role="clerk", at=at(22, 11),
                 data={"target": "210102", "consent": True, "waybill": "ea123456789cn"})
    assert sent.state == "handed_off" and sent.handling_center is None
    assert sent.handoffs[-1].waybill == "EA123456789CN"
    with pytest.raises(ConflictError):  # the collecting window no longer withdraws it
        apply(sent, "withdraw", role="clerk", at=at(22, 12), data={"reason": "申请人要求"})
    taken = apply(sent, "take_over", role="reviewer", at=at(23, 9))
    assert taken.state == ACCEPTED and taken.handling_center == "210102"
    assert taken.accepted_at == accepted.accepted_at  # the clock runs from the first acceptance
    assert deadline(taken, CAL, 5) == deadline(accepted, CAL, 5)


def test_a_returned_handoff_is_back_where_it_was_and_may_be_sent_again():
    sent = apply(case_in(RECEIVED), "hand_off", role="clerk", at=at(22, 11),
                 data={"target": "210103", "consent": True})
    back = apply(sent, "return_handoff", role="reviewer", at=at(22, 15),
                 data={"reason": "非本区事项，错转"})
    assert back.state == RECEIVED and back.handling_center is None
    assert back.handoffs[-1].return_reason == "非本区事项，错转"
    again = apply(back, "hand_off", role="clerk", at=at(23, 9),
                  data={"target": "210102", "consent": True})
    assert [h.target for h in again.handoffs] == ["210103", "210102"]


@pytest.mark.parametrize("data, field", [
    ({"target": "210102", "consent": False}, "consent"),
    ({"target": "和平区", "consent": True}, "target"),
    ({"consent": True}, "target"),
    ({"target": "210102", "consent": True, "waybill": "顺丰"}, "waybill"),
])
def test_a_bad_handoff_names_its_field(data, field):
    with pytest.raises(ValidationError) as err:
        apply(case_in(ACCEPTED), "hand_off", role="clerk", at=at(22, 11), data=data)
    assert err.value.field == field


def test_the_hub_stores_a_handoffs_state_as_these_strings():
    # The hub's rows keep them (hub.models.CaseHandoff.state): renaming one loses the rows.
    assert (HANDOFF_SENT, HANDOFF_TAKEN, HANDOFF_RETURNED, HANDOFF_DECIDED, HANDOFF_UNDELIVERABLE) \
        == ("sent", "taken", "returned", "decided", "undeliverable")
