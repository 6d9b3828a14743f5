"""网上申请 made at the hub's online hall, at the center that receives them.

The hub forwards an application (``application.forwarded``) and each resubmission
(``application.resubmitted``) in this center's pull stream, naming each file by its
digest. The applier records the application as ``fetching``: it is not in the
pre-review queue yet. After each pull, ``fetch_files`` asks the hub for every file not
yet here (``POST /sync/v1/upload``, signed like every sync call), checks its digest and
type by the same rules as an upload at the window (``sync.uploads``), and once all are
here the application joins the queue. A fetch that fails is tried again at the next
sync, so a pull page never carries an applicant's files. The clerk's review is told to
the hub as events (``node.prereview``), where the citizen follows it.
"""
from __future__ import annotations

import base64
import binascii

import orjson

from node import outbox
from node.inbox import Context, applies
from node.models import OnlineApplication, OnlineMaterial, database
from node.prereview import online_matter, replace_materials, uploads_dir
from sync import case_records, prereview, uploads
from sync.client import HubClient
from sync.errors import Code, HallsyncError, ValidationError

FETCHING = "fetching"


def _decline(ctx: Context, application_id: str, why: str) -> str:
    """Tell the hub (whose citizen waits on it) that this center cannot take it."""
    outbox.emit(ctx.keys, ctx.center, prereview.DECLINED, "",
                {"id": application_id, "reason": why[:200]})
    return f"declined: {why}"


@applies(prereview.FORWARDED)
def apply_forwarded(message: dict, ctx: Context) -> str:
    payload = message["payload"]
    application_id = str(payload.get("id", ""))[:24]
    if not application_id.startswith("WS"):
        return f"not recorded: id {application_id!r} is not an application's"
    if OnlineApplication.get_or_none(OnlineApplication.id == application_id) is not None:
        return "already recorded"
    try:
        matter = online_matter(str(payload.get("matter_code", "")), ctx.center)
        applicant = case_records.check_applicant(payload.get("applicant"))
        listed = prereview.check_listed(matter, payload.get("materials"), required=True)
    except ValidationError as exc:
        return _decline(ctx, application_id, exc.detail.split(": ", 1)[-1])
    OnlineApplication.create(id=application_id, matter_code=matter["basic_code"],
                             applicant=orjson.dumps(applicant).decode(),
                             applicant_id=applicant["id_code"],
                             applicant_phone=applicant.get("phone", ""), state=FETCHING,
                             submitted_at=str(payload.get("submitted_at", ""))[:32],
                             source="hub")
    for item in listed:
        OnlineMaterial.create(application=application_id, **item)
    return f"recorded, {len(listed)} files to fetch"


@applies(prereview.RESUBMITTED)
def apply_resubmitted(message: dict, ctx: Context) -> str:
    payload = message["payload"]
    row = OnlineApplication.get_or_none(
        (OnlineApplication.id == str(payload.get("id", ""))[:24])
        & (OnlineApplication.source == "hub"))
    if row is None:
        return "not applied: no such application from the hub"
    if row.state != "returned":
        return f"not applied: the application is {row.state}, not returned"
    try:
        matter = online_matter(row.matter_code, ctx.center)
        listed = prereview.check_listed(matter, payload.get("materials"), required=False)
    except ValidationError as exc:
        return _decline(ctx, row.id, exc.detail.split(": ", 1)[-1])
    replace_materials(row, {m.pop("name"): m for m in listed}, state=FETCHING,
                      at=str(payload.get("submitted_at", ""))[:32])
    return f"recorded, {len(listed)} files to fetch"


def fetch_files(data_dir, client: HubClient) -> int:
    """Fetch the files of applications still ``fetching``; each complete one joins the
    pre-review queue. Returns the files fetched.

    :raises HallsyncError: the hub refused or is unreachable, or a file does not match its
        digest or type (tried again at the next sync).
    """
    root = uploads_dir(data_dir)
    fetched = 0
    for row in OnlineApplication.select().where(OnlineApplication.state == FETCHING):
        for material in OnlineMaterial.select().where(OnlineMaterial.application == row.id):
            if uploads.stored_path(root, material.sha256).is_file():
                continue
            reply = client.call("upload", {"sha256": material.sha256})
            try:
                content = base64.b64decode(reply.get("content", ""), validate=True)
            except (binascii.Error, TypeError):
                content = b""
            checked = uploads.check(material.name, content) if content else None
            if checked is None or (checked["sha256"], checked["content_type"]) != (
                    material.sha256, material.content_type):
                raise HallsyncError(f"application {row.id}: file {material.name} does not "
                                    "match its digest or type", code=Code.DIGEST_MISMATCH,
                                    status=502)
            uploads.keep(root, content, material.sha256)
            fetched += 1
        with database.atomic():
            (OnlineApplication.update(state="submitted" if row.round == 1 else "resubmitted")
             .where((OnlineApplication.id == row.id) & (OnlineApplication.state == FETCHING))
             .execute())
    return fetched
