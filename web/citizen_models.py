"""The citizens' login tables, as bases each site binds to its own database (as
``web.logins`` does for staff): never synced, and no staff table is touched."""
from __future__ import annotations

from peewee import AutoField, BigIntegerField, CharField, IntegerField, Model


class CitizenCode(Model):
    """A one-time code sent by SMS to a mobile number; only its keyed hash is kept."""

    id = AutoField()
    phone = CharField(max_length=16, index=True)
    code_hash = CharField(max_length=64)  # HMAC-SHA256(site secret, phone:code), hex
    remote = CharField(max_length=64, index=True)
    created_ms = BigIntegerField(index=True)
    expires_ms = BigIntegerField()
    tries = IntegerField(default=0)  # wrong entries so far
    used_ms = BigIntegerField(null=True)

    class Meta:
        legacy_table_names = False


class CitizenSession(Model):
    """A citizen's login: the number the code reached and the ID number given with it."""

    token_hash = CharField(primary_key=True, max_length=64)  # SHA-256 of the cookie's token
    phone = CharField(max_length=16)
    id_code = CharField(max_length=18)
    id_type = CharField(max_length=20, default="resident_id")  # sync.identity_codes.ID_TYPES
    created_ms = BigIntegerField()
    seen_ms = BigIntegerField()
    ended_ms = BigIntegerField(null=True)

    class Meta:
        legacy_table_names = False
