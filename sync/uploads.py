"""What an online application may upload, judged by content, never by the client's name.

Hub and node take files by the same rule (the hub's online hall forwards what it took
to the owning node, which checks again): the type is read from the first bytes (magic
numbers), the declared content type and the file name's extension are ignored, and a
file is stored under its SHA-256 (``digest``), so the client's name is never a path.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

from sync.errors import Code, NotFound, ValidationError
from sync.signing import write_atomic

# The scans and photos a window takes in: content types and their leading bytes.
MAGIC = (("application/pdf", b"%PDF-"), ("image/jpeg", b"\xff\xd8\xff"),
         ("image/png", b"\x89PNG\r\n\x1a\n"))
TYPE_LABELS = {"application/pdf": "PDF", "image/jpeg": "JPG", "image/png": "PNG"}
MAX_FILE_BYTES = 5 * 1024 * 1024  # a scanned page set; a phone photo is well under
MAX_FILES = 20  # one file per material; no matter of the catalog asks more
# A whole application's body: every file at its largest, and the form around them.
MAX_BODY_BYTES = MAX_FILES * MAX_FILE_BYTES + 64 * 1024


def _refuse(field: str, reason: str):
    raise ValidationError(f"{field}: {reason}", field=field, code=Code.UPLOAD_REFUSED)


def sniff(content: bytes) -> str | None:
    """The content type the bytes are, among the allowed ones; None for any other."""
    for content_type, magic in MAGIC:
        if content.startswith(magic):
            return content_type
    return None


def digest(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def check(field: str, content: bytes) -> dict:
    """``{sha256, content_type, size}`` of an acceptable file.

    :raises ValidationError: ``UPLOAD_REFUSED``, empty, too large, or not PDF/JPG/PNG.
    """
    if not content:
        _refuse(field, "文件为空")
    if len(content) > MAX_FILE_BYTES:
        _refuse(field, f"文件超过 {MAX_FILE_BYTES // (1024 * 1024)} MB")
    content_type = sniff(content)
    if content_type is None:
        _refuse(field, "只接受 PDF、JPG、PNG 文件（按文件内容判断，与扩展名无关）")
    return {"sha256": digest(content), "content_type": content_type, "size": len(content)}


def check_count(count: int) -> None:
    if count > MAX_FILES:
        _refuse("files", f"一次最多上传 {MAX_FILES} 个文件")


def stored_path(root: Path, sha256: str) -> Path:
    """Where a file is kept under ``root``: its digest is its name (never the client's).

    :raises NotFound: ``sha256`` is not a digest (so never a path of the client's making).
    """
    if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
        raise NotFound("没有该文件")
    return root / sha256[:2] / sha256


def keep(root: Path, content: bytes, sha256: str) -> None:
    """Store ``content`` under its digest; the same bytes are kept once."""
    path = stored_path(root, sha256)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, content)
