"""The agent's rules alone (``sync.case_agents``), as window, import and hub apply them."""
from __future__ import annotations

import pytest

from sync.case_agents import (POWER_OF_ATTORNEY, check_agent, check_power_of_attorney,
                              power_of_attorney)
from sync.errors import ValidationError

PASSPORT_HOLDER = {"kind": "person", "name": "John Smith", "id_type": "passport",
                   "id_code": "E12345678", "phone": "13800000000"}
ENTERPRISE = {"kind": "enterprise", "name": "沈阳某建设有限公司", "id_code": "91210100MA0Q123430",
              "phone": "02423456789"}


def test_the_agent_is_normalised_and_the_resident_id_is_the_default_document():
    agent = check_agent({"name": " 李娜 ", "id_code": "１１０１０１１９９００３０７１２３３"}, ENTERPRISE)
    assert agent == {"name": "李娜", "id_type": "resident_id", "id_code": "110101199003071233"}
    assert check_agent(None, ENTERPRISE) is None


def test_the_same_document_is_the_applicant_another_document_is_not():
    with pytest.raises(ValidationError) as info:
        check_agent({"name": "John", "id_type": "passport", "id_code": "e1234 5678"},
                    PASSPORT_HOLDER)
    assert (info.value.code.value, info.value.field) == ("AGENT_IS_APPLICANT", "agent.id_code")
    # The same characters on another kind of document belong to someone else.
    assert check_agent({"name": "陈", "id_type": "taiwan_permit", "id_code": "E12345678"},
                       PASSPORT_HOLDER)["id_code"] == "E12345678"


def test_the_power_of_attorney_goes_with_an_agent_only():
    agent = {"name": "李娜", "id_type": "resident_id", "id_code": "110101199003071233"}
    rows = power_of_attorney(agent, [POWER_OF_ATTORNEY])
    assert rows == [{"name": POWER_OF_ATTORNEY, "required": True, "provided": True,
                     "reused_from": ""}]
    check_power_of_attorney(agent, rows)
    with pytest.raises(ValidationError) as info:
        check_power_of_attorney(agent, power_of_attorney(agent, []))
    assert info.value.code.value == "POWER_OF_ATTORNEY_MISSING"
    with pytest.raises(ValidationError) as info:
        power_of_attorney(None, [POWER_OF_ATTORNEY])
    assert info.value.field == "materials"
    assert power_of_attorney(None, []) == [] and check_power_of_attorney(None, []) is None
