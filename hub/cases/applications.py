"""网上申请 at the hub's online hall: taken here, forwarded, followed.

The citizen applies for a matter of online depth ≥ 3 at a center that accepts it
(the window's ``acceptance`` rule). The files are checked as a node checks them
(``sync.prereview.check_files``) and kept under their digests in ``DATA_DIR/uploads``;
the application goes to the center in its pull stream (``application.forwarded``,
naming each file by digest), in one transaction with its row here. The center fetches
the files (``file_for``, behind the signed ``/sync/v1/upload``), pre-reviews them and
reports each review as an event (``prereview.returned``, ``prereview.passed``, or
``prereview.declined`` when it cannot take it), which ``apply_events`` records for the
citizen's page. A resubmission goes the same way (``application.resubmitted``). The
hub never writes the case: it begins at the center, at the pass.
"""
from __future__ import annotations

import datetime
from pathlib import Path

import orjson

from hub.catalog import authority
from hub.ledger.registry import handles
from hub.ledger.stream import send
from hub.models import HubApplication, HubApplicationMaterial, database
from sync import case_clock, case_records, prereview, uploads
from sync.catalog_scope import acceptance
from sync.errors import ConflictError, NotFound, ValidationError
from sync.topology import load_topology


def uploads_dir(data_dir) -> Path:
    return Path(data_dir) / "uploads"


def online_matters() -> list[dict]:
    """The matters in force that some center takes online applications for."""
    return [m for _, m in sorted(authority.in_force().items())
            if m["online_depth"] >= prereview.MIN_ONLINE_DEPTH and centers_for(m)]


def centers_for(matter: dict) -> list[tuple[str, str]]:
    """(code, name) of the centers that accept new cases of ``matter``."""
    topology = load_topology()
    return [(c.code, c.name) for c in topology.centers
            if acceptance(matter, "in_force", c.code, topology).allowed]


def online_matter(code: str) -> dict:
    for matter in online_matters():
        if matter["basic_code"] == code:
            return matter
    raise ValidationError(f"matter_code: 事项 {code!r} 不能网上申请（需网上办理深度三级及以上）",
                          field="matter_code")


def _listed(checked: dict[str, dict]) -> list[dict]:
    return [{"name": name, **file} for name, file in sorted(checked.items())]


def apply(data_dir, citizen, form: dict, files: dict[str, bytes], *, at: str) -> str:
    """Take in an application and forward it to its center; its id.

    :raises ValidationError: the matter, the center, the applicant, the consent or a file.
    """
    matter = online_matter(str(form.get("matter_code", "")))
    center = str(form.get("center", ""))
    if center not in {code for code, _ in centers_for(matter)}:
        raise ValidationError("center: 请选择受理该事项的政务服务中心", field="center")
    applicant = case_records.check_applicant(citizen.as_applicant(form.get("name")))
    if form.get("consent") is not True:
        raise ValidationError("consent: 请阅读并同意告知承诺及材料共享", field="consent")
    checked = prereview.check_files(matter, files, required=True)
    for name, content in files.items():
        uploads.keep(uploads_dir(data_dir), content, checked[name]["sha256"])
    number = prereview.new_id(at)
    with database.atomic():
        HubApplication.create(id=number, center=center, matter_code=matter["basic_code"],
                              applicant=orjson.dumps(applicant).decode(),
                              applicant_id=citizen.id_code, applicant_phone=citizen.phone,
                              state="submitted", submitted_at=at)
        for item in _listed(checked):
            HubApplicationMaterial.create(application=number, **item)
        send(center, prereview.FORWARDED, {"id": number, "matter_code": matter["basic_code"],
                                           "applicant": applicant, "submitted_at": at,
                                           "materials": _listed(checked)})
    return number


def _own(citizen, number: str) -> HubApplication:
    row = HubApplication.get_or_none(HubApplication.id == number)
    if row is None or (row.applicant_id, row.applicant_phone) != (citizen.id_code,
                                                                  citizen.phone):
        raise NotFound("没有该网上申请")
    return row


def owns(citizen, number: str) -> bool:
    try:
        _own(citizen, number)
    except NotFound:
        return False
    return True


def resubmit(data_dir, citizen, number: str, files: dict[str, bytes], *, at: str) -> None:
    """Replace files after the center's notice and forward them."""
    row = _own(citizen, number)
    if row.state != "returned":
        raise ConflictError("该申请当前不需要补正")
    if not files:
        raise ValidationError("files: 请上传补正后的材料", field="files")
    checked = prereview.check_files(online_matter(row.matter_code), files, required=False)
    for name, content in files.items():
        uploads.keep(uploads_dir(data_dir), content, checked[name]["sha256"])
    with database.atomic():
        for item in _listed(checked):
            (HubApplicationMaterial.insert(application=number, changed=True, **item)
             .on_conflict(conflict_target=[HubApplicationMaterial.application,
                                           HubApplicationMaterial.name],
                          update={HubApplicationMaterial.sha256: item["sha256"],
                                  HubApplicationMaterial.content_type: item["content_type"],
                                  HubApplicationMaterial.size: item["size"],
                                  HubApplicationMaterial.verdict: "",
                                  HubApplicationMaterial.reason: "",
                                  HubApplicationMaterial.note: "",
                                  HubApplicationMaterial.changed: True}).execute())
        HubApplication.update(state="resubmitted", round=row.round + 1, submitted_at=at).where(
            HubApplication.id == number).execute()
        send(row.center, prereview.RESUBMITTED, {"id": number, "submitted_at": at,
                                                 "materials": _listed(checked)})


@handles(prereview.RETURNED, prereview.PASSED, prereview.DECLINED, independent=True)
def apply_events(events: list[dict]) -> None:
    """A center's review of an application made here (its own table only)."""
    for event in events:
        p = event["payload"]
        row = HubApplication.get_or_none((HubApplication.id == p["id"])
                                         & (HubApplication.center == event["origin"]))
        if row is None:
            raise ConflictError(f"application {p['id']} was never forwarded to "
                                f"{event['origin']}")
        if event["type"] == prereview.DECLINED:
            HubApplication.update(state="declined", declined=p["reason"]).where(
                HubApplication.id == row.id).execute()
            continue
        for m in p["materials"]:
            HubApplicationMaterial.update(verdict=m["verdict"], reason=m["reason"],
                                          note=m["note"], changed=False).where(
                (HubApplicationMaterial.application == row.id)
                & (HubApplicationMaterial.name == m["name"])).execute()
        if event["type"] == prereview.PASSED:
            HubApplication.update(state="passed", case_number=p["case_number"]).where(
                HubApplication.id == row.id).execute()
        else:
            HubApplication.update(state="returned").where(HubApplication.id == row.id).execute()


def described(number: str) -> dict:
    """An application as the citizen's page shows it (the shape of ``node.prereview``'s)."""
    row = HubApplication.get_or_none(HubApplication.id == number)
    if row is None:
        raise NotFound("没有该网上申请")
    matter = authority.matter_data(row.matter_code)
    on_file = {m.name: m for m in HubApplicationMaterial.select().where(
        HubApplicationMaterial.application == number)}
    return {"id": row.id, "state": row.state, "state_label": prereview.STATES[row.state],
            "round": row.round, "submitted_at": row.submitted_at, "case_number": row.case_number,
            "center": row.center, "center_name": load_topology().name_of(row.center),
            "declined": row.declined,
            "matter": {"code": matter["basic_code"], "name": matter["name"]},
            "materials": prereview.materials_view(matter, on_file, lambda f: f.changed)}


def of_citizen(citizen) -> list[dict]:
    rows = (HubApplication.select(HubApplication.id)
            .where((HubApplication.applicant_id == citizen.id_code)
                   & (HubApplication.applicant_phone == citizen.phone))
            .order_by(HubApplication.submitted_at.desc()).limit(100).tuples())
    return [described(number) for (number,) in rows]


def file_of(data_dir, number: str, sha256: str) -> tuple[Path, str]:
    """The kept file of one of the application's materials and its content type."""
    found = HubApplicationMaterial.get_or_none((HubApplicationMaterial.application == number)
                                               & (HubApplicationMaterial.sha256 == sha256))
    if found is None:
        raise NotFound("没有该文件")
    return uploads.stored_path(uploads_dir(data_dir), sha256), found.content_type


def file_for(data_dir, center: str, sha256: str) -> tuple[bytes, str]:
    """A file of an application forwarded to ``center``, for its fetch; no other center's.

    :raises NotFound: no application of ``center`` names it, or it is not kept here.
    """
    found = (HubApplicationMaterial.select(HubApplicationMaterial.content_type)
             .join(HubApplication, on=(HubApplication.id == HubApplicationMaterial.application))
             .where((HubApplicationMaterial.sha256 == sha256) & (HubApplication.center == center))
             .tuples().first())
    path = uploads.stored_path(uploads_dir(data_dir), sha256)
    if found is None or not path.is_file():
        raise NotFound(f"no application of {center} names the file {sha256}")
    return path.read_bytes(), found[0]


class OnlineHall:
    """The hub's side of the citizen's pages (``web.application_pages``): the citizen
    chooses the center, and the application is forwarded there."""

    matters = staticmethod(online_matters)
    matter = staticmethod(online_matter)
    centers = staticmethod(centers_for)
    owns = staticmethod(owns)
    described = staticmethod(described)
    of_citizen = staticmethod(of_citizen)
    file_of = staticmethod(file_of)

    def apply(self, data_dir, citizen, form: dict, files: dict[str, bytes]) -> str:
        return apply(data_dir, citizen, form, files, at=_now())

    def resubmit(self, data_dir, citizen, number: str, files: dict[str, bytes]) -> None:
        resubmit(data_dir, citizen, number, files, at=_now())


def _now() -> str:
    return case_records.iso(datetime.datetime.now(case_clock.CHINA).replace(microsecond=0))
