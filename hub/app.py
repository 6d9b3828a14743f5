"""The hub's Flask app factory."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import Flask

from hub import citizens, db, handlers, health, scheduler  # noqa: F401  (handlers: registry)
from hub.cases import applications
from hub.cases.appointments import OnlineHall
from hub.calendar import authority as calendar_authority
from hub.catalog import authority
from hub.identity import HubKeyFile
from hub.ledger import hub_keys, stream
from hub.models import CitizenCode, CitizenSession
from hub.settings import HUB
from hub.sms import receipts as sms_receipts
from hub.sms import sender as sms_sender
from hub.staff import HUB_STAFF
from hub.views import cases as case_pages
from hub.views import complaints as complaint_pages
from hub.views import consultations as consultation_pages
from hub.views import rectifications as rectification_pages
from hub.views import catalog as catalog_pages
from hub.views import catalog_edit
from hub.views import coverage as coverage_pages
from hub.views import coverage_api, dashboard, department_api
from hub.views import evaluation as evaluation_pages
from hub.views import cards as card_pages
from hub.views import handoffs as handoff_pages
from hub.views import form_files, pages, public, public_figures, reports, stats_api, sync_api
from sync.errors import ConfigError
from sync.settings import resolve
from sync.signing import KeyPair
from web import (application_pages, appointment_pages, auth, citizen_auth, errors, frame,
                 heartbeat, security_headers)


@dataclass
class HubState:
    settings: dict
    key_file: HubKeyFile
    gate: Any = field(default=None)

    @property
    def keys(self) -> KeyPair:
        """The hub's key now (a rotation in another process takes effect at once)."""
        return self.key_file.current()


def load_settings(config: dict | None = None) -> dict:
    """Hub settings: defaults → file → env → ``config``; the data directory is required."""
    settings = resolve(HUB, config)
    if not settings["data_dir"]:
        raise ConfigError("data_dir", "", "is required (--data-dir or HALLSYNC_DATA_DIR)")
    Path(settings["data_dir"]).mkdir(parents=True, exist_ok=True)
    return settings


def initialise(settings: dict) -> HubKeyFile:
    """Bind the database, make the tables and the hub's key, seed the catalog and the
    working-day calendar: once, idempotent."""
    database = db.bind(db.database_url(settings))
    with database.connection_context():
        hub_keys.finish_rotation(settings["data_dir"])  # one a crash interrupted
        key_file = HubKeyFile(settings["data_dir"])
        stream.use_keys(key_file.current)  # handlers that route handoffs publish with it
        authority.seed_if_empty(key_file.current())
        calendar_authority.seed_if_empty(key_file.current())
    return key_file


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
                          server="hub",  # the online hall's logins: a cookie apart from staff
                          cases_of=citizens.cases_of, cases_scope="全市各中心",  # the whole city
                          services=(("网上申请", "online.matters",
                                     "网上办理深度三级及以上事项的申请，转所选中心预审；我的网上申请"),
                                    ("网上预约", "appointments.index",
                                     "预约到各政务服务中心窗口办理的时段、我的预约"),
                                    ("投诉", "complaint_pages.file_page",
                                     "对办件或窗口服务的投诉，转所涉中心答复；我的投诉")))
    sync_api.init_app(app)
    department_api.init_app(app)  # 部门业务系统: signed like nodes, their own matters only
    heartbeat.init_app(app, health.CHECKS)
    scheduler.init_app(app)  # coverage alerts, nonce cleanup: once per interval in all
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
    app.register_blueprint(card_pages.bp)
    app.register_blueprint(case_pages.bp)  # one case's whole timeline
    app.register_blueprint(rectification_pages.bp)  # 差评整改: orders, appeals decided here
    app.register_blueprint(consultation_pages.bp)  # 在线咨询: the online hall's form, answers
    app.register_blueprint(complaint_pages.bp)  # 投诉: the online hall's form, every center's
    appointment_pages.init_app(app, OnlineHall())  # 网上预约: the online places of each slot
    app.register_blueprint(dashboard.bp)
    public.init_app(app)  # 进度查询 and 办件公示, no login, from the hub's copy of each case
    app.register_blueprint(public_figures.bp)  # the figures per center, no login
    app.register_blueprint(form_files.bp)  # the catalog's form files, by digest, no login
    application_pages.init_app(app, applications.OnlineHall())  # 网上申请, to the chosen center
    app.register_blueprint(evaluation_pages.bp)  # 好差评 by the SMS link, forwarded to its center
    return app
