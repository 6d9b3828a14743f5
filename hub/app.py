"""The hub's Flask app factory."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import Flask
from jinja2 import ChoiceLoader, FileSystemLoader

from hub import catalog, db, handlers, health, stream, sync_api  # noqa: F401  (handlers: registry)
import node
from node import auth, errors  # logins and the JSON problem pages, shared with the node
from hub import alerts, coverage_api, reports, stats_api
from hub import catalog_edit, catalog_pages, coverage_pages, dashboard, handoff_pages, pages
from hub import case_pages
from hub import city_node
from hub.identity import load_or_create_key
from hub.staff import HUB_STAFF
from hub.settings import HUB
from sync.errors import ConfigError
from sync.settings import resolve
from sync.signing import KeyPair


NODE_WEB = Path(node.__file__).resolve().parent


@dataclass
class HubState:
    settings: dict
    keys: KeyPair
    gate: Any = field(default=None)
    nonces_pruned_ms: int = 0


def load_settings(config: dict | None = None) -> dict:
    """Hub settings: defaults → file → env → ``config``; the data directory is required."""
    settings = resolve(HUB, config)
    if not settings["data_dir"]:
        raise ConfigError("data_dir", "", "is required (--data-dir or HALLSYNC_DATA_DIR)")
    Path(settings["data_dir"]).mkdir(parents=True, exist_ok=True)
    return settings


def initialise(settings: dict) -> KeyPair:
    """Bind the database, make the tables and the hub's key, seed the catalog: once, idempotent."""
    keys = load_or_create_key(settings["data_dir"])
    stream.use_keys(keys)  # handlers that route handoffs publish with it
    database = db.bind(db.database_url(settings))
    with database.connection_context():
        catalog.seed_if_empty(keys)
    return keys


def create_app(config: dict | None = None) -> Flask:
    # The hub shows the node's catalog pages and style with its own frame
    # (templates/catalog/base.html): its templates first, then the node's.
    app = Flask(__name__, static_folder=str(NODE_WEB / "static"))
    app.jinja_loader = ChoiceLoader([app.jinja_loader, FileSystemLoader(NODE_WEB / "templates")])
    settings = load_settings(config)
    app.config.update(TESTING=bool((config or {}).get("TESTING")), HALLSYNC=settings)
    app.extensions["hallsync"] = HubState(settings, initialise(settings))
    db.init_app(app)
    errors.init_app(app)
    auth.init_app(app, HUB_STAFF)  # operators, district admins, auditors; views use auth.requires
    sync_api.init_app(app)
    app.register_blueprint(health.bp)
    alerts.init_app(app)
    app.register_blueprint(coverage_api.bp)
    app.register_blueprint(stats_api.bp)
    app.register_blueprint(reports.bp)
    app.register_blueprint(catalog_pages.bp)
    app.register_blueprint(catalog_edit.bp)
    app.register_blueprint(pages.bp)
    app.register_blueprint(coverage_pages.bp)
    app.register_blueprint(handoff_pages.bp)
    app.register_blueprint(case_pages.bp)  # one case's whole timeline
    app.register_blueprint(dashboard.bp)
    city_node.mount(app)  # the city's departments under /city, when city_node_dir is set
    return app
