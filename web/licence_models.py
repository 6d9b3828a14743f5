"""电子证照库's table, as a base each site binds to its own database (as
``web.citizen_models`` does): a node keeps the licences it issued and those shared with it
(``node.licences``), the hub every center's (``hub.cases.licences``); the columns are the
fields of ``licence.issued`` (``sync.licences``) and of its revocation."""
from __future__ import annotations

from peewee import BooleanField, CharField, Model, TextField


class Licence(Model):
    number = CharField(primary_key=True, max_length=40)
    name = CharField(max_length=200)
    holder_id_type = CharField(max_length=32)  # sync.identity_codes.ID_TYPES
    holder_id_code = CharField(max_length=32, index=True)
    holder_name = CharField(max_length=200)
    valid_from = CharField(max_length=10)
    valid_to = CharField(max_length=10)  # "" for 长期
    department = CharField(max_length=200)
    issuer = CharField(max_length=16, index=True)  # the issuing center
    case_number = CharField(max_length=40)
    consent = BooleanField()  # the holder lets every center reuse it
    trust_level = CharField(max_length=1)
    issued_at = CharField(max_length=32)
    revoked_at = CharField(max_length=32, null=True)
    revoke_reason = TextField(default="")

    class Meta:
        legacy_table_names = False
