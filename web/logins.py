"""The login tables' columns, as bases each site binds to its own database.

A node's ``User`` and ``LoginAttempt`` (``node/models.py``) and the hub's
``StaffUser`` and ``StaffLoginAttempt`` (``hub/models.py``) subclass these and
set ``Meta.database``: one set of columns, two databases, never synced.
"""
from __future__ import annotations

from peewee import BigIntegerField, BooleanField, CharField, Model


class User(Model):
    """A member of staff who logs in to a site's pages (never synced)."""

    username = CharField(unique=True, max_length=32)
    display_name = CharField(max_length=64, default="")
    password_hash = CharField(max_length=256)  # werkzeug "method:params$salt$hash", never clear
    roles = CharField(max_length=128)  # comma-separated keys of sync.roles
    center = CharField(max_length=16)  # a node: its own center; the hub: the login's scope
    disabled = BooleanField(default=False)
    created_ms = BigIntegerField()
    last_login_ms = BigIntegerField(null=True)

    class Meta:
        legacy_table_names = False

    @property
    def role_set(self) -> frozenset[str]:
        return frozenset(r for r in self.roles.split(",") if r)


class LoginAttempt(Model):
    """One login attempt; recent failures per username and address lock the pair out."""

    username = CharField(max_length=64)
    remote = CharField(max_length=64)
    at_ms = BigIntegerField()
    ok = BooleanField()

    class Meta:
        legacy_table_names = False
        indexes = ((("username", "remote", "at_ms"), False),)
