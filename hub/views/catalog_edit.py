"""Changing the catalog on the hub's pages: a form, a preview of the diff and its reach, publish.

The same change a ``hallsync hub catalog apply`` file describes, built from a
form: the operator picks an operation and the matters, sees what the new
version would change and which centers have open cases under the affected
matters, then publishes it (signed and sent to every center). The author is
the logged-in operator, never a form field.
"""
from __future__ import annotations

import re

import orjson
from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for

from hub.catalog import authority
from sync import matter_codes
from sync.case_clock import china_today
from sync.catalog_changes import OPS
from sync.catalog_schema import LEVELS
from sync.errors import ConflictError, ValidationError
from sync.topology import load_topology
from web.auth import current_user, requires

bp = Blueprint("catalog_edit", __name__, url_prefix="/catalog/changes")

DEVOLVE_LEVELS = {lv: name for lv, name in LEVELS.items() if lv != "city"}
# Stamped by the version itself; an operator does not write them.
_CODE_SPLIT = re.compile(r"[\s,，、;；]+")


def _author() -> str:
    user = current_user()
    return f"{load_topology().hub.name} {user.display_name or user.username}（{user.username}）"


def _matters_json(raw: str, op: str):
    """The matters textarea: a JSON object (or, for add and amend, a list of them)."""
    if not raw.strip():
        raise ValidationError("matters: 请填写事项内容（JSON）", field="matters" if op != "merge"
                              else "into")
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise ValidationError(f"matters: 事项内容不是有效的 JSON：{exc}", field="matters") from None
    if op == "merge":
        return value
    return value if isinstance(value, list) else [value]


def change_from_form(form) -> dict:
    """The change file a form describes (``plan`` checks it, naming the field at fault)."""
    op = form.get("op", "")
    if op not in OPS:
        raise ValidationError(f"op: 请选择操作（{'、'.join(OPS.values())}）", field="op")
    change = {"op": op, "author": _author(), "reason": form.get("reason", ""),
              "effective_date": form.get("effective_date", "")}
    if op in ("add", "amend"):
        change["matters"] = _matters_json(form.get("matters", ""), op)
        return change
    change["codes"] = [c for c in _CODE_SPLIT.split(form.get("codes", "").strip()) if c]
    if op == "devolve":
        change["to_levels"] = form.getlist("to_levels")
    if op == "merge":
        change["into"] = _matters_json(form.get("matters", ""), op)
    return change


def _prefill(code: str) -> str:
    """A matter in force as editable JSON, without the fields a version stamps."""
    matter = matter_codes.find_in(authority.in_force(), code)
    if matter is None:
        return ""
    editable = {k: v for k, v in matter.items() if k not in authority.STAMPED}
    return orjson.dumps(editable, option=orjson.OPT_INDENT_2).decode()


def _form(form: dict, message: str = "", field: str = "", status: int = 200):
    matters = sorted(authority.in_force().values(), key=lambda m: m["basic_code"])
    return render_template("catalog/change_form.html", form=form, message=message, field=field,
                           ops=OPS, levels=DEVOLVE_LEVELS, matters=matters,
                           version=authority.current_version()), status


@bp.route("/new", methods=["GET", "POST"])
@requires("operator")
def new():
    """The change form; ``?op=amend&code=…`` starts from that matter as it stands; a POST
    (「返回修改」 on the preview) shows the form as it was posted."""
    if request.method == "POST":
        return _form(_posted())
    op, code = request.args.get("op", "amend"), request.args.get("code", "")
    form = {"op": op, "codes": code, "to_levels": [],
            "effective_date": china_today().isoformat(), "reason": "",
            "matters": _prefill(code) if op in ("amend", "merge") and code else ""}
    return _form(form)


def _posted() -> dict:
    return {"op": request.form.get("op", ""), "codes": request.form.get("codes", ""),
            "to_levels": request.form.getlist("to_levels"),
            "effective_date": request.form.get("effective_date", ""),
            "reason": request.form.get("reason", ""), "matters": request.form.get("matters", "")}


@bp.post("/preview")
@requires("operator")
def preview():
    """What the change would do: the new version's diff and the open cases it reaches."""
    try:
        change = change_from_form(request.form)
        shown = authority.preview(change)
    except ValidationError as exc:
        return _form(_posted(), exc.detail, exc.extra.get("field") or "", 400)
    before = authority.in_force()
    after_put = {m["basic_code"]: m for m in _planned_put(change, before)}
    centers = load_topology().by_code
    return render_template("catalog/change_preview.html", change=change, shown=shown,
                           ops=OPS, before=before, after=after_put, centers=centers,
                           posted=_posted())


def _planned_put(change: dict, before: dict) -> list[dict]:
    """The whole matters the change puts (for the names shown in the preview)."""
    if change["op"] in ("add", "amend"):
        return change["matters"]
    if change["op"] == "merge":
        return [change["into"]]
    return [before[c] for c in change.get("codes", []) if c in before]


def _base_version() -> int:
    raw = request.form.get("base_version", "")
    if not raw.isdigit():
        raise ValidationError("base_version: 缺少预览时的目录版本，请重新预览", field="base_version")
    return int(raw)


@bp.post("")
@requires("operator")
def publish():
    """Sign and send the previewed change as the next version (checked again, as of now)."""
    try:
        change = change_from_form(request.form)
        body = authority.apply_change(change, keys=current_app.extensions["hallsync"].keys,
                                    base_version=_base_version())
    except (ValidationError, ConflictError) as exc:
        return _form(_posted(), exc.detail, exc.extra.get("field") or "", 400)
    flash(f"已发布第 {body['version']} 版（{OPS[body['op']]}），正在下发至各中心。")
    return redirect(url_for("catalog_pages.history"))
