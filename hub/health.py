"""The hub's heartbeat checks: its database and its signing key."""
from __future__ import annotations

from flask import current_app

from hub.models import database


def _database() -> bool:
    database.execute_sql("SELECT 1")
    return True


def _signing_key() -> bool:
    keys = current_app.extensions["hallsync"].keys
    return keys.public.verify(keys.sign(b"check"), b"check")


CHECKS = {"database": _database, "signing_key": _signing_key}
