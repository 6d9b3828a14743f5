"""The 通办 rule: who may accept a matter and who decides it."""
import pytest

from sync.catalog_scope import acceptance
from sync.topology import load_topology

TOPOLOGY = load_topology()
STREET, DISTRICT, OTHER_STREET, CITY = "210102001", "210102", "210103001", "210100"


def matter(levels, scope):
    return {"basic_code": "SY99001", "levels": levels, "tongban_scope": scope}


@pytest.mark.parametrize("levels, scope, center, allowed, decided_by", [
    (["street"], "none", STREET, True, STREET),           # its own level
    (["city"], "none", CITY, True, CITY),
    (["city"], "none", "210100F1", True, "210100F1"),     # a sub-center is city level
    (["city"], "none", STREET, False, ""),                # not 通办
    (["district"], "district", STREET, True, DISTRICT),   # collected, decided by its district
    (["district"], "city", OTHER_STREET, True, "210103"),  # anywhere: its own district decides
    (["city"], "district", STREET, False, ""),            # district scope cannot reach the city
    (["city"], "city", STREET, True, CITY),               # collected here, decided at the hub
    (["city", "district"], "city", DISTRICT, True, DISTRICT),
])
def test_who_accepts_and_who_decides(levels, scope, center, allowed, decided_by):
    result = acceptance(matter(levels, scope), "in_force", center, TOPOLOGY)
    assert (result.allowed, result.decided_by) == (allowed, decided_by)
    assert result.reason


@pytest.mark.parametrize("status", ["cancelled", "merged", "converted"])
def test_a_matter_out_of_force_is_never_accepted(status):
    result = acceptance(matter(["street"], "city"), status, STREET, TOPOLOGY)
    assert not result.allowed and status in result.reason
