"""The catalog at the hub: the matters in force, their history, every center's version, the reform.

The list and matter pages are the nodes' pages over the authority's copy
(``hub.catalog.authority``), so a clerk sees the same thing at either. Besides them:
the versions and their diffs, the consistency view (which centers run an old
catalog or working-day calendar version, and how far behind), the reform history replayed from
``config/catalog/reform.json``, and the same data as JSON for scripts and
department systems.
"""
from __future__ import annotations

import functools
from pathlib import Path

import orjson
from flask import (Blueprint, current_app, jsonify, render_template, request, send_from_directory,
                   url_for)

from hub.catalog import authority, form_files
from hub.models import CatalogMatter, CatalogVersion
from hub.staff import visible
from sync import matter_guide
from sync.catalog_changes import OPS as VERSION_OPS
from sync.catalog_history import OPS as REFORM_OPS
from sync.catalog_history import batches, load_departments, load_reform, replay
from sync.catalog_schema import MATTER_TYPES, ONLINE_DEPTHS
from sync.catalog_search import (LEVEL_SHORT, TEMPLATE_FILTERS, api_row, department_name,
                                 department_options, filters_from, search, stored_form)
from sync.errors import ValidationError
from web import matter_lookup
from web.auth import current_user, public, requires

# Rules are spelled in full rather than under url_prefix="/catalog" so the JSON API
# can live at /api/catalog in the same blueprint (one line in the factory).
bp = Blueprint("catalog_pages", __name__)
for _name, _filter in TEMPLATE_FILTERS.items():
    bp.add_app_template_filter(_filter, _name)

CENTER_LEVELS = {"subcenter": "分中心", "district": "区县", "street": "街道"}
SORTS = {"behind": "落后版本数", "code": "中心编码", "level": "层级"}


@functools.cache
def _departments() -> dict:
    return load_departments()


@functools.cache
def _reform():
    # The history is a shipped file: replay it once per process, not per request.
    history = load_reform()
    result = replay(history)
    return history.title, result, batches(result)


@bp.app_context_processor
def _names() -> dict:
    return {"dept": lambda code: department_name(code, _departments())}


def _forms_dir() -> Path:
    return Path(current_app.config["HALLSYNC"]["data_dir"]) / "forms"


@bp.get("/catalog/")
@public
def matter_list():
    """Search the matters in force by name, code or department, with filters."""
    matters = list(authority.in_force().values())
    try:
        found, error = search(matters, **filters_from(request.args),
                              departments=_departments()), None
    except ValidationError as exc:
        found, error = [], exc.detail
    options = {"levels": list(LEVEL_SHORT.items()), "types": list(MATTER_TYPES.items()),
               "depths": list(ONLINE_DEPTHS.items()),
               "departments": department_options(matters, _departments())}
    summary = {"catalog_version": authority.current_version(), "matters": len(matters)}
    return render_template("catalog/list.html", summary=summary, found=found,
                           args=request.args, error=error, options=options)


@bp.get("/catalog/<code>")
@public
def matter_page(code: str):
    """One matter; one that left the catalog shows when, why, and what replaced it."""
    row = matter_lookup.find(CatalogMatter, code)
    if row is None:
        return render_template("catalog/matter.html", m=None, missing=code), 404
    matter = orjson.loads(row.data)
    removed = None
    if row.status != authority.IN_FORCE:
        version = CatalogVersion.get_by_id(row.version)
        put = orjson.loads(version.body)["put"]
        removed = {"version": row.version, "effective_date": version.effective_date,
                   "reason": version.reason,
                   "successors": [(m["basic_code"], m["name"]) for m in put]
                   if row.status == "merged" else []}
    forms = []
    for form in matter["forms"]:
        if form.get("sha256"):  # published by digest (hallsync hub catalog attach-form)
            stored = form_files.path_of(current_app.config["HALLSYNC"]["data_dir"],
                                        form["sha256"])
            url = url_for("form_files.form_file", digest=form["sha256"],
                          name=form["file"].rsplit("/", 1)[-1]) if stored else None
        else:
            path = stored_form(_forms_dir(), form["file"])
            url = url_for(".form_file", path=path) if path else None
        forms.append({**form, "url": url})
    guide, shown = matter_guide.guide(matter, request.args)
    return render_template("catalog/matter.html", m=matter, status=row.status,
                           removed=removed, forms=forms, edit_links=_edit_links(row),
                           guide=guide), shown


def _edit_links(row: CatalogMatter) -> list[tuple[str, str, bool]]:
    """An operator starts a change of a matter in force from its page: (label, url, whether
    it removes the matter, so its button looks destructive)."""
    user = current_user()
    if row.status != authority.IN_FORCE or user is None or "operator" not in user.role_set:
        return []
    return [(f"{label}此事项", url_for("catalog_edit.new", op=op, code=row.code), op == "cancel")
            for op, label in (("amend", "变更"), ("cancel", "取消"), ("devolve", "下放"),
                              ("convert", "转换为备案"))]


@bp.get("/catalog/forms/<path:path>")
@public
def form_file(path: str):
    """A form file from the hub's form store (404 where it is not there)."""
    return send_from_directory(_forms_dir(), path, as_attachment=True)


@bp.get("/catalog/history")
@public
def history():
    """Every catalog version: operation, author, reason, effective date, what it changed."""
    versions = list(reversed(authority.history()))
    return render_template("catalog/history.html", versions=versions, ops=VERSION_OPS)


def _version_arg(name: str, default: int, latest: int) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isdigit() or int(raw) > latest:
        raise ValidationError(f"{name}: 版本号必须是 0 到 {latest} 之间的整数，实际为 {raw!r}",
                              field=name)
    return int(raw)


def _shown(value) -> str:
    """A field's value in one line, for the diff table."""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list):
        if all(isinstance(v, str) for v in value):
            return "、".join(value) or "（无）"
        return f"{len(value)} 项"
    return "（无）" if value is None else str(value)


@bp.get("/catalog/diff")
@public
def version_diff():
    """What changed between two versions: matters added, removed, and changed field by field."""
    latest = authority.current_version()
    new = _version_arg("new", latest, latest)
    old = _version_arg("old", max(new - 1, 0), latest)
    before, after = authority.at_version(old), authority.at_version(new)
    result = authority.diff(old, new)
    changed = [{"code": code, "name": after[code]["name"],
                "fields": [(f, _shown(before[code].get(f)), _shown(after[code].get(f)))
                           for f in fields]}
               for code, fields in result["changed"].items()]
    return render_template("catalog/diff.html", old=old, new=new, latest=latest, result=result,
                           added=[after[c] for c in result["added"]],
                           removed=[before[c] for c in result["removed"]], changed=changed)


def _sorted_lagging(centers: list[dict], sort: str) -> list[dict]:
    lagging = [c for c in centers if c["behind"] != 0 or c["calendar_behind"] != 0]
    order = list(CENTER_LEVELS)
    if sort == "code":
        return sorted(lagging, key=lambda c: c["code"])
    if sort == "level":
        return sorted(lagging, key=lambda c: (order.index(c["level"]), c["code"]))
    # Most behind first; never enrolled last, since they run no catalog at all yet.
    return sorted(lagging, key=lambda c: (c["behind"] is None, -(c["behind"] or 0),
                                          -(c["calendar_behind"] or 0), c["code"]))


@bp.get("/catalog/consistency")
@requires()
def consistency():
    """Per level: centers enrolled, current and behind; the centers behind (catalog or
    working-day calendar) or never enrolled."""
    sort = request.args.get("sort", "behind")
    if sort not in SORTS:
        raise ValidationError(f"sort: 可选 {', '.join(SORTS)}，实际为 {sort!r}", field="sort")
    data = authority.consistency(visible())
    levels = [(CENTER_LEVELS[lv], data["levels"][lv]) for lv in CENTER_LEVELS
              if lv in data["levels"]]
    return render_template("catalog/consistency.html", data=data, levels=levels,
                           lagging=_sorted_lagging(data["centers"], sort), sort=sort,
                           sorts=SORTS, level_names=CENTER_LEVELS)


@bp.get("/catalog/reform")
@public
def reform():
    """The reform history: 1,229 approval items down to 106, each batch and its reasons."""
    title, result, summaries = _reform()
    steps = {s.batch: [] for s in result.steps}
    for step in result.steps:
        steps[step.batch].append(step)
    return render_template("catalog/reform.html", title=title, result=result,
                           batches=summaries, steps=steps, ops=REFORM_OPS)


@bp.get("/api/catalog")
@public
def catalog_json():
    """The matters in force (the same search as the page) and the current version."""
    matters = list(authority.in_force().values())
    found = search(matters, **filters_from(request.args), departments=_departments())
    return jsonify({"catalog_version": authority.current_version(), "count": len(found),
                    "matters": [api_row(m) for m in found]})


@bp.get("/api/catalog/consistency")
@requires()
def consistency_json():
    """Per center and per level: the catalog and calendar versions each runs, and how far
    behind."""
    return jsonify(authority.consistency(visible()))
