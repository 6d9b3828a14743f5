"""The online application's files in a multipart form, at the hub and at a node."""
from __future__ import annotations

from flask import request, send_file

from sync import uploads
from sync.errors import Code, ValidationError


def uploaded_files() -> dict[str, bytes]:
    """The uploaded files by material name (the field is ``file:<material>``); the body's
    size is checked before Werkzeug reads it."""
    if request.content_length is None or request.content_length > uploads.MAX_BODY_BYTES:
        raise ValidationError(f"files: 上传内容合计不能超过 "
                              f"{uploads.MAX_BODY_BYTES // (1024 * 1024)} MB", field="files",
                              code=Code.UPLOAD_REFUSED)
    found = {}
    for field, storage in request.files.items(multi=True):
        if field.startswith("file:") and storage.filename:
            found[field.removeprefix("file:")] = storage.read(uploads.MAX_FILE_BYTES + 1)
    return found


def send_upload(path, content_type: str):
    """Inline, with the type its bytes were found to be (nosniff is set on every response)."""
    return send_file(path, mimetype=content_type, as_attachment=False, max_age=0)
