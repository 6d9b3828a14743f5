"""The hub's form files (空白表格, 示例样表), stored by content and named in the catalog.

A file is kept once under its SHA-256 (``DATA_DIR/form-files/<sha256>``); the matter's
form in the next signed catalog version names that digest (``Form.sha256``), so a node
that fetches the file (``GET /forms/<sha256>``) checks it against what the hub signed:
the download itself needs no signature, and a file changed on the way, or on the hub's
disk, is refused rather than shown. Publishing one is a catalog ``amend`` like any other.
"""
from __future__ import annotations

import hashlib
import re
from pathlib import Path

from hub.catalog import authority
from sync import matter_codes
from sync.case_clock import china_today
from sync.catalog_search import form_store_path
from sync.errors import Code, ValidationError
from sync.signing import KeyPair, write_atomic

MAX_FORM_BYTES = 20 * 1024 * 1024
DIGEST = re.compile(r"[0-9a-f]{64}")


def store_dir(data_dir) -> Path:
    return Path(data_dir) / "form-files"


def path_of(data_dir, digest: str) -> Path | None:
    """The stored file with this digest, or None (a malformed digest is never a path)."""
    if not DIGEST.fullmatch(digest or ""):
        return None
    path = store_dir(data_dir) / digest
    return path if path.is_file() else None


def put(data_dir, content: bytes) -> str:
    """Keep ``content`` under its digest (once); the digest."""
    digest = hashlib.sha256(content).hexdigest()
    if path_of(data_dir, digest) is None:
        store_dir(data_dir).mkdir(parents=True, exist_ok=True)
        write_atomic(store_dir(data_dir) / digest, content)
    return digest


def attach(data_dir, keys: KeyPair, code: str, file: str, content: bytes, *, author: str,
           reason: str, effective_date: str | None = None) -> dict:
    """Store ``content`` as the file of matter ``code``'s form ``file`` and publish the
    next catalog version naming its digest; the signed version.

    :raises ValidationError: an unknown matter or form, an empty or oversized file.
    """
    matter = matter_codes.find_in(authority.in_force(), code)
    if matter is None:
        raise ValidationError(f"code: 事项 {code!r} 不在现行目录中", field="code",
                              code=Code.MATTER_UNKNOWN)
    wanted = form_store_path(file)
    index = next((i for i, form in enumerate(matter["forms"])
                  if form_store_path(form["file"]) == wanted), None)
    if index is None:
        names = "、".join(form["file"] for form in matter["forms"]) or "（无）"
        raise ValidationError(f"file: 事项 {code} 没有表格 {file!r}，现有：{names}", field="file")
    if not content or len(content) > MAX_FORM_BYTES:
        raise ValidationError(f"content: 表格文件须为 1 字节至 {MAX_FORM_BYTES // 2**20} MiB",
                              field="content")
    digest = put(data_dir, content)
    forms = [dict(form) for form in matter["forms"]]
    forms[index]["sha256"] = digest
    change = {"op": "amend", "author": author, "reason": reason,
              "effective_date": effective_date or china_today().isoformat(),
              "matters": [{**matter, "forms": forms}]}
    return authority.apply_change(change, keys=keys)
