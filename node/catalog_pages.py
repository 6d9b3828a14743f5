"""The catalog at a center, for its clerks and for citizens: search, a matter's page, its forms.

The pages read the matters of the catalog version this node runs (applied
from the hub's stream by ``node.catalog``); a matter that left the catalog
keeps its page with a banner saying why. Form files come from the node's
form store, ``DATA_DIR/forms/``; a form whose file is not there is named
but not linked, never served as a stand-in.
"""
from __future__ import annotations

import functools
from pathlib import Path

import orjson
from flask import (Blueprint, current_app, jsonify, render_template, request, send_from_directory,
                   url_for)

from node import catalog, form_files
from node.models import CatalogMatter
from sync import matter_guide
from sync.catalog_history import load_departments
from sync.catalog_schema import MATTER_TYPES, ONLINE_DEPTHS
from sync.catalog_search import (LEVEL_SHORT, TEMPLATE_FILTERS, api_row, department_name,
                                 department_options, filters_from, search, stored_form)
from sync.errors import ValidationError
from web import matter_lookup
from web.auth import public

# Rules are spelled in full rather than under url_prefix="/catalog": the JSON API
# lives at /api/catalog beside /api/status, and one blueprint keeps one factory line.
# Every view is public: citizens read the catalog without a login.
bp = Blueprint("catalog_pages", __name__)
for _name, _filter in TEMPLATE_FILTERS.items():
    bp.add_app_template_filter(_filter, _name)


@functools.cache
def _departments() -> dict:
    return load_departments()


@bp.context_processor
def _departments_filter() -> dict:
    return {"dept": lambda code: department_name(code, _departments())}


def _forms_dir() -> Path:
    return Path(current_app.config["HALLSYNC"]["data_dir"]) / "forms"


def _form_links(matter: dict) -> list[dict]:
    links = []
    for form in matter["forms"]:
        path = stored_form(_forms_dir(), form["file"])
        if form.get("sha256") and not form_files.is_current(
                current_app.config["HALLSYNC"]["data_dir"], form["file"], form["sha256"]):
            path = None  # not fetched yet, or an older version's file: not the current form
        links.append({**form, "url": url_for(".form_file", path=path) if path else None})
    return links


def _searched(matters: list[dict], args) -> tuple[list[dict], str | None]:
    try:
        return search(matters, **filters_from(args), departments=_departments()), None
    except ValidationError as exc:
        return [], exc.detail


@bp.get("/catalog/")
@public
def matter_list():
    """Search the matters in force by name, code or department, with filters."""
    matters = list(catalog.matters_in_force().values())
    found, error = _searched(matters, request.args)
    options = {"levels": list(LEVEL_SHORT.items()), "types": list(MATTER_TYPES.items()),
               "depths": list(ONLINE_DEPTHS.items()),
               "departments": department_options(matters, _departments())}
    return render_template("catalog/list.html", summary=catalog.summary(), found=found,
                           args=request.args, error=error, options=options)


@bp.get("/catalog/<code>")
@public
def matter_page(code: str):
    """One matter: conditions, materials, limits, fees, forms; a banner if it left the catalog."""
    row = matter_lookup.find(CatalogMatter, code)
    if row is None:
        return render_template("catalog/matter.html", m=None, missing=code), 404
    matter = orjson.loads(row.data)
    # A node keeps no version bodies, so the banner names the version but not its reason.
    removed = {"version": row.version, "effective_date": None, "reason": None, "successors": []}
    guide, shown = matter_guide.guide(matter, request.args)
    return render_template("catalog/matter.html", m=matter, status=row.status, removed=removed,
                           forms=_form_links(matter), guide=guide), shown


@bp.get("/catalog/forms/<path:path>")
@public
def form_file(path: str):
    """A form file from the node's form store (404 where it is not there)."""
    return send_from_directory(_forms_dir(), path, as_attachment=True)


@bp.get("/api/catalog")
@public
def catalog_json():
    """The same search as JSON: the version this node runs and the matching matters."""
    matters = list(catalog.matters_in_force().values())
    found = search(matters, **filters_from(request.args), departments=_departments())
    return jsonify({"catalog_version": catalog.summary()["catalog_version"],
                    "count": len(found), "matters": [api_row(m) for m in found]})
