"""The node's Flask app factory."""
from __future__ import annotations

from flask import Flask

from node import api, auth, catalog_pages, health, status, store, supervision, window
from node.models import database
from node.settings import NODE
from sync.database import connect_per_request
from node import errors
from sync.errors import ConfigError
from sync.settings import resolve


def load_settings(config: dict | None = None) -> dict:
    settings = resolve(NODE, config)
    if not settings["data_dir"]:
        raise ConfigError("data_dir", "", "is required (--data-dir or HALLSYNC_DATA_DIR)")
    return settings


def create_app(config: dict | None = None) -> Flask:
    app = Flask(__name__)
    settings = load_settings(config)
    app.config.update(TESTING=bool((config or {}).get("TESTING")), HALLSYNC=settings)
    store.bind(settings["data_dir"])
    connect_per_request(app, database)

    errors.init_app(app)
    auth.init_app(app)  # secret key, session, CSRF, /login; views use auth.requires
    app.register_blueprint(status.bp)
    app.register_blueprint(health.bp)
    app.register_blueprint(catalog_pages.bp)
    app.register_blueprint(window.bp)  # the window's pages; api.bp the same as JSON
    app.register_blueprint(api.bp)
    app.register_blueprint(supervision.bp)  # a district's streets, read only
    app.register_blueprint(supervision.api_bp)
    return app
