"""网上预审: the clerk's verdict on each material of an online application, with a coded
reason (after eRegistrations' coded rejection reasons), and the rules both sides keep.

Every defect is told at once (一次性告知): a review gives a verdict on every material,
and the notice lists each rejected one with its reason and note. A material the
applicant left unchanged since a notice (the same SHA-256) is never rejected for a
new reason: passed then, it cannot be rejected now; rejected then, only for the same
reason. A review that passes every material accepts the case (``case.received`` with
channel ``online``, then ``accept``).
"""
from __future__ import annotations

from sync.errors import Code, ConflictError, ValidationError

# The reason codes a clerk picks from; labels as the notice prints them. Never renumber.
REASONS = {
    "R01": "材料不清晰、无法辨认",
    "R02": "材料不完整或缺页",
    "R03": "材料已过有效期",
    "R04": "未按要求签字或盖章",
    "R05": "材料内容与申请事项不符",
    "R06": "材料信息与申请人信息不一致",
    "R07": "未使用规定格式或表格",
    "R99": "其他（见说明）",
}
VERDICTS = {"pass": "通过", "reject": "退回补正"}
STATES = {"submitted": "待预审", "returned": "退回补正", "resubmitted": "已补正待预审",
          "passed": "预审通过，已受理"}
OPEN = ("submitted", "resubmitted")
MAX_NOTE = 200


def check_verdicts(materials: list[dict], verdicts: dict) -> dict[str, dict]:
    """Each material's verdict ``{verdict, reason, note}``, checked against the rule.

    ``materials``: ``{name, sha256, notice_sha256, notice_verdict, notice_reason}`` of
    each material now (the notice fields: as the last notice found it, "" if none).

    :raises ValidationError: a material without a verdict, a rejection without a known
        reason, R99 without a note. :raises ConflictError: ``PREREVIEW_NEW_REASON``, an
        unchanged material rejected for a reason it was not rejected for before.
    """
    checked = {}
    for m in materials:
        raw = verdicts.get(m["name"]) or {}
        verdict, reason = raw.get("verdict"), raw.get("reason") or ""
        note = str(raw.get("note") or "").strip()[:MAX_NOTE]
        if verdict not in VERDICTS:
            raise ValidationError(f"verdict: 请对「{m['name']}」给出预审意见", field="verdict")
        if verdict == "pass":
            checked[m["name"]] = {"verdict": "pass", "reason": "", "note": note}
            continue
        if reason not in REASONS:
            raise ValidationError(f"reason: 请选择「{m['name']}」的退回原因", field="reason")
        if reason == "R99" and not note:
            raise ValidationError(f"note: 「{m['name']}」退回原因为其他时须填写说明", field="note")
        if m.get("notice_sha256") and m["notice_sha256"] == m["sha256"] and (
                m["notice_verdict"] == "pass" or m["notice_reason"] != reason):
            before = ("上次已通过" if m["notice_verdict"] == "pass"
                      else f"上次退回原因为「{REASONS[m['notice_reason']]}」")
            raise ConflictError(f"「{m['name']}」自上次告知后未更改，{before}，"
                                "不能以新的原因退回（一次性告知）",
                                code=Code.PREREVIEW_NEW_REASON)
        checked[m["name"]] = {"verdict": "reject", "reason": reason, "note": note}
    return checked
