"""Online applications at a node (网上申请) and their pre-review (网上预审), without Flask.

A citizen logged in with an SMS code applies for a matter of online depth ≥ 3 that
this center accepts, with one file per material (``sync.uploads``: checked by content,
stored under its SHA-256 in ``DATA_DIR/uploads/``). The application waits in the
center's pre-review queue; the clerk gives every material a verdict
(``sync.prereview``). Any rejection returns the whole list of defects at once and
texts the applicant; the applicant replaces files and resubmits. A review passing
every material receives and accepts the case through ``node.cases.intake`` with
channel ``online``, in the same transaction, so the case and its events exist
exactly when the pre-review passed. Until then the application is local to the
center, like a window's draft: no case exists, nothing is synced but the SMS.
"""
from __future__ import annotations

import secrets
from pathlib import Path

import orjson

from node import cases, outbox, store
from node.catalog import accepted_matters
from node.case_log import Actor, now
from node.models import CatalogMatter, OnlineApplication, OnlineMaterial, database
from sync import case_records, prereview, sms_events, sms_templates, uploads
from sync.errors import Code, ConflictError, NotFound, ValidationError
from sync.signing import KeyPair, write_atomic

MIN_ONLINE_DEPTH = 3  # 3: 一次办理 (online application, one visit at most); 4: 全程网办


def uploads_dir(data_dir) -> Path:
    return Path(data_dir) / "uploads"


def file_path(data_dir, sha256: str) -> Path:
    """Where a file is kept: its digest is its name (never the client's name)."""
    if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
        raise NotFound("没有该文件")
    return uploads_dir(data_dir) / sha256[:2] / sha256


def _save(data_dir, content: bytes, checked: dict) -> None:
    path = file_path(data_dir, checked["sha256"])
    if not path.exists():  # content-addressed: the same bytes are kept once
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, content)


def online_matters(center: str) -> list[dict]:
    """The matters in force here that may be applied for online at this center."""
    return accepted_matters(center, lambda matter: matter["online_depth"] >= MIN_ONLINE_DEPTH)


def online_matter(code: str, center: str) -> dict:
    for matter in online_matters(center):
        if matter["basic_code"] == code:
            return matter
    raise ValidationError(f"matter_code: 事项 {code!r} 不能在本中心网上申请（需网上办理深度三级及以上）",
                          field="matter_code", code=Code.MATTER_NOT_ACCEPTABLE)


def _checked_files(matter: dict, files: dict[str, bytes], *, required: bool) -> dict:
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


def apply(data_dir, center: str, citizen, form: dict, files: dict[str, bytes]) -> str:
    """Take in an application; its id. ``files``: material name → the file's bytes.

    :raises ValidationError: the matter, the applicant, or a file (``UPLOAD_REFUSED``).
    """
    matter = online_matter(str(form.get("matter_code", "")), center)
    applicant = case_records.check_applicant({"kind": "person", "name": form.get("name"),
                                              "id_code": citizen.id_code,
                                              "phone": citizen.phone})
    if form.get("consent") is not True:
        raise ValidationError("consent: 请阅读并同意告知承诺及材料共享", field="consent")
    checked = _checked_files(matter, files, required=True)
    at = case_records.iso(now())
    number = f"WS{at[:10].replace('-', '')}{secrets.token_hex(4).upper()}"
    for name, content in files.items():
        _save(data_dir, content, checked[name])
    with database.atomic():
        OnlineApplication.create(id=number, matter_code=matter["basic_code"],
                                 applicant=orjson.dumps(applicant).decode(),
                                 applicant_id=citizen.id_code, applicant_phone=citizen.phone,
                                 state="submitted", submitted_at=at)
        for name, file in checked.items():
            OnlineMaterial.create(application=number, name=name, **file)
    return number


def _application(number: str) -> OnlineApplication:
    row = OnlineApplication.get_or_none(OnlineApplication.id == number)
    if row is None:
        raise NotFound("没有该网上申请")
    return row


def _materials(number: str) -> list[OnlineMaterial]:
    return list(OnlineMaterial.select().where(OnlineMaterial.application == number)
                .order_by(OnlineMaterial.name))


def resubmit(data_dir, citizen, number: str, files: dict[str, bytes]) -> None:
    """Replace files after a notice and send the application back to pre-review."""
    row = _application(number)
    if row.applicant_id != citizen.id_code or row.applicant_phone != citizen.phone:
        raise NotFound("没有该网上申请")
    if row.state != "returned":
        raise ConflictError("该申请当前不需要补正")
    matter = online_matter(row.matter_code, store.state().center)
    if not files:
        raise ValidationError("files: 请上传补正后的材料", field="files", code=Code.UPLOAD_REFUSED)
    checked = _checked_files(matter, files, required=False)
    for name, content in files.items():
        _save(data_dir, content, checked[name])
    with database.atomic():
        for name, file in checked.items():
            (OnlineMaterial.insert(application=number, name=name, **file)
             .on_conflict(conflict_target=[OnlineMaterial.application, OnlineMaterial.name],
                          update={**{getattr(OnlineMaterial, k): v for k, v in file.items()},
                                  OnlineMaterial.verdict: "", OnlineMaterial.reason: "",
                                  OnlineMaterial.note: ""}).execute())
        OnlineApplication.update(state="resubmitted", round=row.round + 1,
                                 submitted_at=case_records.iso(now())).where(
            OnlineApplication.id == number).execute()


def review(keys: KeyPair, center: str, actor: Actor, number: str, verdicts: dict, *,
           receipt_is_acceptance: bool = True) -> dict:
    """The clerk's verdict on every material: all passed → the case is received and
    accepted (channel ``online``); any rejected → the notice of every defect, by SMS too.

    :raises ConflictError: not waiting for pre-review, or ``PREREVIEW_NEW_REASON``.
    """
    with database.atomic():
        row = _application(number)
        if row.state not in prereview.OPEN:
            raise ConflictError(f"该申请当前状态为「{prereview.STATES[row.state]}」，不在预审中")
        materials = _materials(number)
        checked = prereview.check_verdicts([
            {"name": m.name, "sha256": m.sha256, "notice_sha256": m.notice_sha256,
             "notice_verdict": m.notice_verdict, "notice_reason": m.notice_reason}
            for m in materials], verdicts)
        for m in materials:
            v = checked[m.name]
            OnlineMaterial.update(verdict=v["verdict"], reason=v["reason"], note=v["note"],
                                  notice_sha256=m.sha256, notice_verdict=v["verdict"],
                                  notice_reason=v["reason"]).where(
                (OnlineMaterial.application == number) & (OnlineMaterial.name == m.name)
            ).execute()
        rejected = [name for name, v in checked.items() if v["verdict"] == "reject"]
        if rejected:
            OnlineApplication.update(state="returned", reviewed_by=actor.user).where(
                OnlineApplication.id == number).execute()
            _text_defects(keys, center, row, len(rejected))
            return {"id": number, "state": "returned", "rejected": rejected}
        case = cases.intake(keys, center, actor, {
            "matter_code": row.matter_code, "applicant": orjson.loads(row.applicant),
            "materials": [m.name for m in materials], "outcome": "accept", "channel": "online",
            "consent": True, "reason": "网上预审通过"}, receipt_is_acceptance=receipt_is_acceptance)
        OnlineApplication.update(state="passed", reviewed_by=actor.user,
                                 case_number=case["number"]).where(
            OnlineApplication.id == number).execute()
    return {"id": number, "state": "passed", "case": case["number"]}


def _text_defects(keys: KeyPair, center: str, row: OnlineApplication, count: int) -> None:
    """In the review's transaction: the SMS that the notice is waiting (a mobile only)."""
    if not sms_templates.PHONE.match(row.applicant_phone):
        return
    matter = orjson.loads(CatalogMatter.get(CatalogMatter.code == row.matter_code).data)
    outbox.emit(keys, center, sms_events.REQUESTED, "", sms_events.payload(
        "prereview_returned", row.applicant_phone,
        {"application": row.id, "matter": sms_templates.fit(matter["name"]),
         "count": str(count)}))


def described(number: str) -> dict:
    """An application with every material, its verdict and the reason's label."""
    row = _application(number)
    matter = orjson.loads(CatalogMatter.get(CatalogMatter.code == row.matter_code).data)
    on_file = {m.name: m for m in _materials(number)}
    return {"id": row.id, "state": row.state, "state_label": prereview.STATES[row.state],
            "round": row.round, "submitted_at": row.submitted_at, "case_number": row.case_number,
            "matter": {"code": matter["basic_code"], "name": matter["name"]},
            "applicant": orjson.loads(row.applicant),
            "materials": [{"name": m["name"], "required": m["required"],
                           **({"sha256": f.sha256, "content_type": f.content_type,
                               "type_label": uploads.TYPE_LABELS[f.content_type], "size": f.size,
                               "verdict": f.verdict, "reason": f.reason,
                               "reason_label": prereview.REASONS.get(f.reason, ""),
                               "note": f.note, "changed": f.sha256 != f.notice_sha256}
                              if (f := on_file.get(m["name"])) else {"sha256": ""})}
                          for m in matter["materials"]]}


def owns(citizen, number: str) -> bool:
    row = OnlineApplication.get_or_none(OnlineApplication.id == number)
    return row is not None and (row.applicant_id, row.applicant_phone) == (
        citizen.id_code, citizen.phone)


def of_citizen(citizen) -> list[dict]:
    rows = (OnlineApplication.select().where((OnlineApplication.applicant_id == citizen.id_code)
                                             & (OnlineApplication.applicant_phone == citizen.phone))
            .order_by(OnlineApplication.submitted_at.desc()).limit(100))
    return [described(r.id) for r in rows]


def waiting() -> list[dict]:
    """The center's pre-review queue: applications waiting for a verdict, oldest first."""
    rows = (OnlineApplication.select().where(OnlineApplication.state.in_(prereview.OPEN))
            .order_by(OnlineApplication.submitted_at))
    return [described(r.id) for r in rows]


def waiting_count() -> int:
    return OnlineApplication.select().where(OnlineApplication.state.in_(prereview.OPEN)).count()


def file_of(data_dir, number: str, sha256: str) -> tuple[Path, str]:
    """The stored file of one of the application's materials and its content type."""
    found = OnlineMaterial.get_or_none((OnlineMaterial.application == number)
                                       & (OnlineMaterial.sha256 == sha256))
    if found is None:
        raise NotFound("没有该文件")
    return file_path(data_dir, sha256), found.content_type
