"""The one-notice rule of 网上预审 (``sync.prereview.check_verdicts``), as a table."""
from __future__ import annotations

import pytest

from sync.errors import Code, ConflictError, ValidationError
from sync.prereview import check_verdicts

OLD, NEW = "a" * 64, "b" * 64


def material(sha256=OLD, notice_sha256="", notice_verdict="", notice_reason=""):
    return {"name": "营业执照", "sha256": sha256, "notice_sha256": notice_sha256,
            "notice_verdict": notice_verdict, "notice_reason": notice_reason}


def verdict(verdict="reject", reason="R01", note=""):
    return {"营业执照": {"verdict": verdict, "reason": reason, "note": note}}


@pytest.mark.parametrize("before, given", [
    (material(), verdict()),  # the first review: any reason
    (material(notice_sha256=OLD, notice_verdict="reject", notice_reason="R01"), verdict()),
    (material(NEW, OLD, "reject", "R01"), verdict(reason="R03")),  # changed: a new reason
    (material(NEW, OLD, "pass"), verdict(reason="R02")),  # changed since it passed
    (material(OLD, OLD, "reject", "R01"), verdict("pass", "")),  # unchanged, now accepted
])
def test_a_verdict_the_rule_allows(before, given):
    assert check_verdicts([before], given)["营业执照"]["verdict"] == given["营业执照"]["verdict"]


@pytest.mark.parametrize("before, given", [
    (material(OLD, OLD, "pass"), verdict(reason="R02")),
    (material(OLD, OLD, "reject", "R01"), verdict(reason="R03")),
])
def test_an_unchanged_material_is_never_rejected_for_a_new_reason(before, given):
    with pytest.raises(ConflictError) as refused:
        check_verdicts([before], given)
    assert refused.value.code == Code.PREREVIEW_NEW_REASON and "未更改" in refused.value.detail


@pytest.mark.parametrize("given, field", [
    ({}, "verdict"),
    (verdict("maybe"), "verdict"),
    (verdict(reason=""), "reason"),
    (verdict(reason="R42"), "reason"),
    (verdict(reason="R99"), "note"),  # 其他 needs its note
])
def test_an_incomplete_review_is_refused(given, field):
    with pytest.raises(ValidationError) as refused:
        check_verdicts([material()], given)
    assert refused.value.field == field
