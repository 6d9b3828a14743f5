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

import re
import secrets

from sync import events, uploads
from sync.consultation import check_texts
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
STATES = {"fetching": "材料传送中", "submitted": "待预审", "returned": "退回补正",
          "resubmitted": "已补正待预审", "passed": "预审通过，已受理", "declined": "中心未能接收"}
OPEN = ("submitted", "resubmitted")
MIN_ONLINE_DEPTH = 3  # 3: 一次办理 (online application, one visit at most); 4: 全程网办
# An application made at the hub's online hall travels to its center as a message and its
# pre-review comes back as the center's events (docs/protocol.md, 网上申请).
FORWARDED, RESUBMITTED = "application.forwarded", "application.resubmitted"
RETURNED, PASSED, DECLINED = "prereview.returned", "prereview.passed", "prereview.declined"
SHA256 = re.compile(r"[0-9a-f]{64}")
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


def new_id(at: str) -> str:
    """An application's id, ``WS<yyyymmdd><8 hex>``, at a node or at the hub."""
    return f"WS{at[:10].replace('-', '')}{secrets.token_hex(4).upper()}"


def materials_view(matter: dict, on_file: dict, changed) -> list[dict]:
    """Each material of ``matter`` with its file (``on_file``: name → a row with sha256,
    content_type, size, verdict, reason, note) and its verdict, as the pages show them;
    ``changed(row)``: replaced since the last verdict."""
    return [{"name": m["name"], "required": m["required"],
             **({"sha256": f.sha256, "content_type": f.content_type,
                 "type_label": uploads.TYPE_LABELS[f.content_type], "size": f.size,
                 "verdict": f.verdict, "reason": f.reason,
                 "reason_label": REASONS.get(f.reason, ""), "note": f.note,
                 "changed": changed(f)}
                if (f := on_file.get(m["name"])) else {"sha256": ""})}
            for m in matter["materials"]]


def verdicts_of(materials) -> list[dict]:
    """What a center tells the hub of a review: each material's verdict, reason and note."""
    return [{"name": m.name, "verdict": m.verdict, "reason": m.reason, "note": m.note}
            for m in materials]


def check_listed(matter: dict, listed, *, required: bool) -> list[dict]:
    """The materials a forwarded application names (``{name, sha256, content_type, size}``),
    checked as its files were at the hub: named by the matter, digests, types and sizes.

    :raises ValidationError: the first that is not.
    """
    names = {m["name"]: m["required"] for m in matter["materials"]}
    if type(listed) is not list or not listed or len(listed) > uploads.MAX_FILES:
        raise ValidationError("materials: 材料清单有误", field="materials")
    checked = []
    for item in listed:
        if type(item) is not dict or item.get("name") not in names \
                or not SHA256.fullmatch(str(item.get("sha256", ""))) \
                or item.get("content_type") not in uploads.TYPE_LABELS \
                or type(item.get("size")) is not int \
                or not 0 < item["size"] <= uploads.MAX_FILE_BYTES:
            raise ValidationError(f"materials: 材料 {str(item)[:80]} 有误", field="materials")
        checked.append({k: item[k] for k in ("name", "sha256", "content_type", "size")})
    missing = [n for n, needed in names.items() if needed and n not in {c["name"] for c in checked}]
    if required and missing:
        raise ValidationError("materials: 缺少必备材料：" + "、".join(missing), field="materials")
    return checked


def check_files(matter: dict, files: dict[str, bytes], *, required: bool) -> dict[str, dict]:
    """Uploaded files by material name, each checked by content (``sync.uploads``): the
    same rule at the hub's online hall and at a node.

    :raises ValidationError: a file that is no material of the matter, a missing required
        one (``required``: a first submission), or one ``sync.uploads`` refuses."""
    names = {m["name"]: m["required"] for m in matter["materials"]}
    uploads.check_count(len(files))
    for name in files:
        if name not in names:
            raise ValidationError(f"files: {name!r} 不是该事项的申请材料", field="files")
    if required:
        missing = [n for n, needed in names.items() if needed and n not in files]
        if missing:
            raise ValidationError("files: 请上传必备材料：" + "、".join(missing), field="files",
                                  code=Code.UPLOAD_REFUSED)
    return {name: uploads.check(name, content) for name, content in files.items()}


def _verdicts(payload: dict) -> str | None:
    materials = payload.get("materials")
    if type(materials) is not list or len(materials) > uploads.MAX_FILES:
        return "payload.materials must be a list of verdicts"
    for m in materials:
        if type(m) is not dict or not isinstance(m.get("name"), str) \
                or m.get("verdict") not in VERDICTS \
                or m.get("reason") not in ("", *REASONS) \
                or not isinstance(m.get("note"), str) or len(m["note"]) > MAX_NOTE:
            return f"payload.materials: {str(m)[:80]} is not a verdict"
    return None


def _returned(payload: dict) -> str | None:
    if type(payload.get("round")) is not int:
        return "payload.round must be an integer"
    return check_texts(payload, (("id", 24),)) or _verdicts(payload)


def _passed(payload: dict) -> str | None:
    return check_texts(payload, (("id", 24), ("case_number", 40))) or _verdicts(payload)


def _declined(payload: dict) -> str | None:
    return check_texts(payload, (("id", 24), ("reason", 200)))


events.register(RETURNED, needs_record=False, check=_returned,
                help="网上预审: an application made at the hub returned with every defect "
                     "(its materials' verdicts, coded reasons and notes).")
events.register(PASSED, needs_record=False, check=_passed,
                help="网上预审: an application made at the hub passed and accepted as "
                     "case_number (channel online).")
events.register(DECLINED, needs_record=False, check=_declined,
                help="网上申请: the center cannot take an application the hub forwarded, "
                     "and why.")
