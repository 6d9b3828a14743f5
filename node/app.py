"""The node's Flask app factory."""
from __future__ import annotations

from flask import Flask

from node import (api, appointment_pages, appointments, catalog_pages, citizens,
                  complaint_pages, consultation_pages, evaluation_pages, frame, health,
                  licence_pages, memory, prereview, prereview_pages, public,
                  rectification_pages, status, store, supervision, window)
from node.models import CitizenCode, CitizenSession, database
from node.settings import NODE
from node.users import STAFF
from sync.database import connect_per_request
from sync.errors import ConfigError
from sync.settings import resolve
from web import application_pages
from web import appointment_pages as appointment_site
from web import auth, citizen_auth, errors
from web import frame as shared_frame
from web import heartbeat, security_headers


def load_settings(config: dict | None = None) -> dict:
    settings = resolve(NODE, config)
    if not settings["data_dir"]:
        raise ConfigError("data_dir", "", "is required (--data-dir or HALLSYNC_DATA_DIR)")
    return settings


def create_app(config: dict | None = None) -> Flask:
    app = Flask(__name__, static_folder=shared_frame.STATIC)
    settings = load_settings(config)
    app.config.update(TESTING=bool((config or {}).get("TESTING")), HALLSYNC=settings)
    store.bind(settings["data_dir"])
    connect_per_request(app, database)
    memory.init_app(app)  # what a page freed goes back to the street PC once it is sent

    shared_frame.init_app(app)  # the frame, login and catalog templates; the style sheet
    security_headers.init_app(app)  # CSP, nosniff, referrer policy on every response
    frame.init_app(app)  # the center's name and the node's sections in that frame
    errors.init_app(app)
    auth.init_app(app, STAFF)  # secret key, session, CSRF, /login; views use auth.requires
    citizen_auth.init_app(app, CitizenCode, CitizenSession, citizens.send_code, server="node",
                          cases_of=citizens.cases_of,  # /citizen/: a cookie apart from staff
                          services=(("网上申请", "online.matters",
                                     "可网上申请的事项、我的网上申请及预审意见"),
                                    ("网上预约", "appointments.index",
                                     "预约到本中心窗口办理的时段、我的预约"),
                                    ("投诉", "complaint_pages.file_page",
                                     "对办件或窗口服务的投诉、我的投诉及答复")))
    heartbeat.init_app(app, health.CHECKS)
    app.register_blueprint(status.bp)
    app.register_blueprint(catalog_pages.bp)
    app.register_blueprint(window.bp)  # the window's pages; api.bp the same as JSON
    app.register_blueprint(api.bp)
    app.register_blueprint(supervision.bp)  # a district's streets, read only
    app.register_blueprint(supervision.api_bp)
    public.init_app(app)  # 进度查询, 办件公示: the pages open without a login
    app.register_blueprint(evaluation_pages.bp)  # the applicant's 好差评, by a one-time link
    app.register_blueprint(rectification_pages.bp)  # 差评整改: the center admin's orders
    app.register_blueprint(consultation_pages.bp)  # 在线咨询: the citizen's form
    app.register_blueprint(consultation_pages.staff_bp)  # … and the staff's answers
    app.register_blueprint(complaint_pages.bp)  # 投诉: the citizen's form and API
    app.register_blueprint(complaint_pages.staff_bp)  # … and the center admin's answers
    app.register_blueprint(licence_pages.bp)  # 电子证照库: the licences issued here
    application_pages.init_app(app, prereview.CenterSite())  # 网上申请 by the citizen
    app.register_blueprint(prereview_pages.bp)  # … and 网上预审 by the clerk
    appointment_site.init_app(app, appointments.NodeSite())  # 网上预约: the citizen's
    app.register_blueprint(appointment_pages.bp)  # … and the clerk's list of the day
    return app
