"""The templates and static files both sites share: each app looks in its own first."""
from __future__ import annotations

from pathlib import Path

from flask import Flask
from jinja2 import ChoiceLoader, FileSystemLoader

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"  # pass as the app's ``static_folder``


def init_app(app: Flask) -> None:
    """The app's own templates, then the shared ones (frame, login, catalog pages)."""
    app.jinja_loader = ChoiceLoader([app.jinja_loader, FileSystemLoader(TEMPLATES)])
