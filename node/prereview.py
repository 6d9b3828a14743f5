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

from pathlib import Path

import orjson

from node import cases, outbox, store
from node.catalog import accepted_matters
from node.departments import matters_of
from node.case_log import Actor, now
from node.models import CatalogMatter, OnlineApplication, OnlineMaterial, database
from sync import case_records, matter_codes, prereview, sms_events, sms_templates, uploads
from sync.errors import Code, ConflictError, NotFound, ValidationError
from sync.signing import KeyPair

def uploads_dir(data_dir) -> Path:
    return Path(data_dir) / "uploads"


def online_matters(center: str) -> list[dict]:
    """The matters in force here that may be applied for online at this center."""
    return accepted_matters(center,
                            lambda matter: matter["online_depth"] >= prereview.MIN_ONLINE_DEPTH)


def online_matter(code: str, center: str) -> dict:
    """The matter ``code`` (basic or national) names, if it may be applied for online here."""
    matter = matter_codes.pick(online_matters(center), code)
    if matter is not None:
        return matter
    raise ValidationError(f"matter_code: 事项 {code!r} 不能在本中心网上申请（需网上办理深度三级及以上）",
                          field="matter_code", code=Code.MATTER_NOT_ACCEPTABLE)


def apply(data_dir, center: str, citizen, form: dict, files: dict[str, bytes]) -> str:
    """Take in an application; its id. ``files``: material name → the file's bytes.

    :raises ValidationError: the matter, the applicant, or a file (``UPLOAD_REFUSED``).
    """
    matter = online_matter(str(form.get("matter_code", "")), center)
    applicant = case_records.check_applicant(citizen.as_applicant(form.get("name")))
    if form.get("consent") is not True:
        raise ValidationError("consent: 请阅读并同意告知承诺及材料共享", field="consent")
    checked = prereview.check_files(matter, files, required=True)
    at = case_records.iso(now())
    number = prereview.new_id(at)
    for name, content in files.items():
        uploads.keep(uploads_dir(data_dir), content, checked[name]["sha256"])
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
    if not owns(citizen, number):
        raise NotFound("没有该网上申请")
    row = _application(number)
    if row.state != "returned":
        raise ConflictError("该申请当前不需要补正")
    matter = online_matter(row.matter_code, store.state().center)
    if not files:
        raise ValidationError("files: 请上传补正后的材料", field="files", code=Code.UPLOAD_REFUSED)
    checked = prereview.check_files(matter, files, required=False)
    for name, content in files.items():
        uploads.keep(uploads_dir(data_dir), content, checked[name]["sha256"])
    with database.atomic():
        replace_materials(row, checked, state="resubmitted", at=case_records.iso(now()))


def replace_materials(row: OnlineApplication, files: dict[str, dict], *, state: str,
                      at: str) -> None:
    """A resubmission: the files replaced (``name → {sha256, content_type, size}``), their
    verdicts cleared, the notice's memory kept, and one more round."""
    for name, file in files.items():
        (OnlineMaterial.insert(application=row.id, name=name, **file)
         .on_conflict(conflict_target=[OnlineMaterial.application, OnlineMaterial.name],
                      update={**{getattr(OnlineMaterial, k): v for k, v in file.items()},
                              OnlineMaterial.verdict: "", OnlineMaterial.reason: "",
                              OnlineMaterial.note: ""}).execute())
    OnlineApplication.update(state=state, round=row.round + 1, submitted_at=at).where(
        OnlineApplication.id == row.id).execute()


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
            _report(keys, center, row, prereview.RETURNED, {"round": row.round})
            return {"id": number, "state": "returned", "rejected": rejected}
        case = cases.intake(keys, center, actor, {
            "matter_code": row.matter_code, "applicant": orjson.loads(row.applicant),
            "materials": [m.name for m in materials], "outcome": "accept", "channel": "online",
            "consent": True, "reason": "网上预审通过"}, receipt_is_acceptance=receipt_is_acceptance)
        OnlineApplication.update(state="passed", reviewed_by=actor.user,
                                 case_number=case["number"]).where(
            OnlineApplication.id == number).execute()
        _report(keys, center, row, prereview.PASSED, {"case_number": case["number"]})
    return {"id": number, "state": "passed", "case": case["number"]}


def _report(keys: KeyPair, center: str, row: OnlineApplication, event_type: str,
            extra: dict) -> None:
    """In the review's transaction: the verdicts on an application made at the hub, whose
    citizen pages show them (a local one stays local)."""
    if row.source == "hub":
        outbox.emit(keys, center, event_type, "", {
            "id": row.id, **extra, "materials": prereview.verdicts_of(_materials(row.id))})


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
            "materials": prereview.materials_view(
                matter, on_file, lambda f: f.sha256 != f.notice_sha256)}


def owns(citizen, number: str) -> bool:
    """The citizen made this application here (one made at the hub is followed there)."""
    row = OnlineApplication.get_or_none(OnlineApplication.id == number)
    return row is not None and row.source == "" and (row.applicant_id, row.applicant_phone) == (
        citizen.id_code, citizen.phone)


def of_citizen(citizen) -> list[dict]:
    rows = (OnlineApplication.select().where((OnlineApplication.applicant_id == citizen.id_code)
                                             & (OnlineApplication.applicant_phone == citizen.phone)
                                             & (OnlineApplication.source == ""))
            .order_by(OnlineApplication.submitted_at.desc()).limit(100))
    return [described(r.id) for r in rows]


def waiting(departments: list[str] | None = None) -> list[dict]:
    """The center's pre-review queue: applications waiting for a verdict, oldest first; of
    ``departments``' matters only when given (``node.departments``)."""
    rows = (OnlineApplication.select().where(OnlineApplication.state.in_(prereview.OPEN))
            .order_by(OnlineApplication.submitted_at))
    if departments is not None:
        rows = rows.where(OnlineApplication.matter_code.in_(matters_of(departments)))
    return [described(r.id) for r in rows]


def waiting_count() -> int:
    return OnlineApplication.select().where(OnlineApplication.state.in_(prereview.OPEN)).count()


def file_of(data_dir, number: str, sha256: str) -> tuple[Path, str]:
    """The stored file of one of the application's materials and its content type."""
    found = OnlineMaterial.get_or_none((OnlineMaterial.application == number)
                                       & (OnlineMaterial.sha256 == sha256))
    if found is None:
        raise NotFound("没有该文件")
    return uploads.stored_path(uploads_dir(data_dir), sha256), found.content_type


class CenterSite:
    """The node's side of the citizen's pages (``web.application_pages``): applications
    for this center only."""

    def matters(self) -> list[dict]:
        return online_matters(store.state().center)

    def matter(self, code: str) -> dict:
        return online_matter(code, store.state().center)

    def centers(self, matter: dict) -> list[tuple[str, str]]:
        return []  # this one

    def apply(self, data_dir, citizen, form: dict, files: dict[str, bytes]) -> str:
        return apply(data_dir, store.state().center, citizen, form, files)

    resubmit = staticmethod(resubmit)
    owns = staticmethod(owns)
    described = staticmethod(described)
    of_citizen = staticmethod(of_citizen)
    file_of = staticmethod(file_of)
