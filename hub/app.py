"""The hub's Flask app factory."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import Flask

from hub import citizens, db, handlers, health  # noqa: F401  (handlers: registers every handler)
from hub.catalog import authority
from hub.coverage import alerts
from hub.identity import load_or_create_key
from hub.models import CitizenCode, CitizenSession
from hub.ledger import stream
from hub.settings import HUB
from hub.sms import receipts as sms_receipts
from hub.sms import sender as sms_sender
from hub.staff import HUB_STAFF
from hub.views import cases as case_pages
from hub.views import catalog as catalog_pages
from hub.views import catalog_edit
from hub.views import coverage as coverage_pages
from hub.views import coverage_api, dashboard
from hub.views import evaluation as evaluation_pages
from hub.views import handoffs as handoff_pages
from hub.views import pages, reports, stats_api, sync_api
from sync.errors import ConfigError
from sync.settings import resolve
from sync.signing import KeyPair
from web import auth, citizen_auth, errors, frame, heartbeat, security_headers


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
        authority.seed_if_empty(keys)
    return keys


def create_app(config: dict | None = None) -> Flask:
    app = Flask(__name__, static_folder=frame.STATIC)
    frame.init_app(app)  # the shared frame, login and catalog templates; the style sheet
    security_headers.init_app(app)  # CSP, nosniff, referrer policy on every response
    settings = load_settings(config)
    app.config.update(TESTING=bool((config or {}).get("TESTING")), HALLSYNC=settings)
    app.extensions["hallsync"] = HubState(settings, initialise(settings))
    db.init_app(app)
    errors.init_app(app)
    auth.init_app(app, HUB_STAFF)  # operators, district admins, auditors; views use auth.requires
    citizen_auth.init_app(app, CitizenCode, CitizenSession, citizens.send_code,
                          server="hub")  # the online hall's logins: a cookie apart from staff
    sync_api.init_app(app)
    heartbeat.init_app(app, health.CHECKS)
    alerts.init_app(app)
    sms_sender.init_app(app)  # sending rounds, once a gateway is configured
    sms_receipts.init_app(app)
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
    app.register_blueprint(evaluation_pages.bp)  # 好差评 by the SMS link, forwarded to its center
    return app
