"""``GET /forms/<sha256>``: a form file the catalog names, by its digest (no login).

Content-addressed, so the answer for a digest never changes: any cache may keep it,
and whoever fetches it checks the bytes against the digest in the signed catalog.
"""
from __future__ import annotations

from flask import Blueprint, current_app, request, send_file

from hub.catalog.form_files import DIGEST, path_of
from sync.catalog_schema import FORM_EXTENSIONS
from sync.errors import NotFound, ValidationError
from web.auth import public

bp = Blueprint("form_files", __name__)


@bp.get("/forms/<digest>")
@public
def form_file(digest: str):
    """The stored file whose SHA-256 is ``digest``; ``?name=`` names the download."""
    if not DIGEST.fullmatch(digest):
        raise ValidationError("digest: 应为 64 位小写十六进制 SHA-256", field="digest")
    path = path_of(current_app.config["HALLSYNC"]["data_dir"], digest)
    if path is None:
        raise NotFound(f"市中心没有摘要为 {digest} 的表格文件")
    name = request.args.get("name", "")
    named = "/" not in name and "\\" not in name and name.lower().endswith(FORM_EXTENSIONS)
    return send_file(path, mimetype="application/octet-stream", max_age=365 * 86400,
                     etag=digest, as_attachment=named, download_name=name if named else None)
