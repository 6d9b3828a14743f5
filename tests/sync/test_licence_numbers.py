"""Licence numbers name their issuing center, at every level of the topology."""
import pytest

from sync import licences
from sync.topology import load_topology


@pytest.mark.parametrize("level", ["city", "subcenter", "district", "street"])
def test_every_level_issues_numbers_its_own_check_accepts(level):
    # A sub-center's code has a letter (210100F1): its licences were once refused at
    # every hub as malformed, so a branch hall could not issue one.
    center = load_topology().at_level(level)[0].code
    number = licences.number(center, 2026, 7)
    assert licences.center_numbered(number)
    assert licences.creator(licences.record_of(number)) == center


@pytest.mark.parametrize("number", ["12345-DZZZ-2026-000001", "210100F-DZZZ-2026-000001",
                                    "210100f1-DZZZ-2026-000001", "210102-DZZZ-26-000001"])
def test_numbers_of_no_center_are_not_the_centers(number):
    assert not licences.center_numbered(number)
    assert licences.creator(licences.record_of(number)) == ""
