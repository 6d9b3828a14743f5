"""The templates and static files both sites share: each app looks in its own first."""
from __future__ import annotations

import datetime
from pathlib import Path

from flask import Flask
from jinja2 import ChoiceLoader, FileSystemLoader

from sync.case_clock import CHINA
from sync.identity_codes import ID_TYPES, RESIDENT_ID

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"  # pass as the app's ``static_folder``


def china_time(ms: int | None, fmt: str = "%m-%d %H:%M") -> str:
    """A moment (epoch milliseconds) as a person in China reads it (``—`` when never)."""
    if ms is None:
        return "—"
    return datetime.datetime.fromtimestamp(ms / 1000, CHINA).strftime(fmt)


def masked_id(code: str | None, kind: str = "person") -> str:
    """A person's ID number with its middle hidden (210102********1234), for screens and the
    printed receipt, where the whole number is not needed; an enterprise's 统一社会信用代码 is
    public and shown whole."""
    if not code or kind == "enterprise":
        return code or ""
    keep_head, keep_tail = (6, 4) if len(code) >= 15 else (2, 2)
    if len(code) <= keep_head + keep_tail:
        return "*" * len(code)
    return code[:keep_head] + "*" * (len(code) - keep_head - keep_tail) + code[-keep_tail:]


def init_app(app: Flask) -> None:
    """The app's own templates, then the shared ones (frame, login, catalog pages)."""
    app.jinja_loader = ChoiceLoader([app.jinja_loader, FileSystemLoader(TEMPLATES)])
    app.jinja_env.filters["china_time"] = china_time
    app.jinja_env.filters["masked_id"] = masked_id
    # A person's document (居民身份证 unless the case names another), for screens and receipts.
    app.jinja_env.filters["id_type"] = lambda code: ID_TYPES.get(code or RESIDENT_ID, code)
