"""``GET /__heartbeat__``: each part registers a check; 200 when all pass, else 503."""
from __future__ import annotations

from flask import Blueprint, current_app

from node.auth import public
from node.health import report

from hub.models import database

bp = Blueprint("health", __name__)


def _database() -> bool:
    database.execute_sql("SELECT 1")
    return True


def _signing_key() -> bool:
    keys = current_app.extensions["hallsync"].keys
    return keys.public.verify(keys.sign(b"check"), b"check")


CHECKS = {"database": _database, "signing_key": _signing_key}


@bp.get("/__heartbeat__")
@public  # load balancers and monitors ask without a login
def heartbeat():
    return report(CHECKS)
