"""The catalog's form files at a node: fetched from the hub by digest, kept only if they match.

A form the signed catalog names with a ``sha256`` (``sync.catalog_schema.Form``) is
fetched from the hub's ``GET /forms/<sha256>`` after each pull, checked against that
digest and written (atomically) into the node's form store ``DATA_DIR/forms/``, with
the digest beside it (``<file>.sha256``). The catalog pages link a form only when the
digest kept matches the catalog's, so a file from an older version, or one changed on
the way or on disk, is never offered as the current form. Done files are not fetched
again; a refused one is tried again at the next sync.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

import orjson
import requests

from node.models import CatalogMatter
from sync.catalog_search import form_store_path
from sync.client import transport_errors
from sync.errors import HubUnavailable
from sync.signing import write_atomic

MARK = ".sha256"
MAX_FORM_BYTES = 20 * 1024 * 1024  # as the hub's


def forms_dir(data_dir) -> Path:
    return Path(data_dir) / "forms"


def _inside(root: Path, file: str) -> Path | None:
    path = (root / form_store_path(file)).resolve()
    return path if path.is_relative_to(root.resolve()) else None


def is_current(data_dir, file: str, digest: str) -> bool:
    """The store holds ``file`` as the catalog names it (its kept digest is ``digest``)."""
    path = _inside(forms_dir(data_dir), file)
    if path is None or not path.is_file():
        return False
    mark = path.with_name(path.name + MARK)
    return mark.is_file() and mark.read_text().strip() == digest


def wanted() -> list[tuple[str, str]]:
    """``(file, sha256)`` of every published form of the matters in force, in one query."""
    found = []
    for (data,) in CatalogMatter.select(CatalogMatter.data).where(
            CatalogMatter.status == "in_force").tuples():
        found += [(form["file"], form["sha256"]) for form in orjson.loads(data)["forms"]
                  if form.get("sha256")]
    return found


def fetch_missing(data_dir, hub_url: str, timeout_s: float) -> dict:
    """Fetch and check each published form not yet current here.

    :returns: ``{"fetched": [files], "refused": ["file: why"]}``.
    :raises TransportError: the hub cannot be reached (retried at the next sync).
    """
    fetched, refused = [], []
    base = hub_url.rstrip("/")
    with requests.Session() as session:
        for file, digest in wanted():
            if is_current(data_dir, file, digest):
                continue
            target = _inside(forms_dir(data_dir), file)
            if target is None:
                refused.append(f"{file}: outside the form store")
                continue
            with transport_errors(base):
                response = session.get(f"{base}/forms/{digest}", timeout=timeout_s)
            if response.status_code >= 500:
                raise HubUnavailable(f"the hub answered {response.status_code} for form {file}")
            content = response.content
            if response.status_code != 200:
                refused.append(f"{file}: the hub answered {response.status_code}")
            elif len(content) > MAX_FORM_BYTES:
                refused.append(f"{file}: larger than {MAX_FORM_BYTES} bytes")
            elif hashlib.sha256(content).hexdigest() != digest:
                refused.append(f"{file}: its SHA-256 is not the one the catalog names")
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                write_atomic(target, content)
                write_atomic(target.with_name(target.name + MARK), digest.encode())
                fetched.append(file)
    return {"fetched": fetched, "refused": refused}
