"""A center's local tables, in one SQLite file (WAL) in the node's data directory."""
from __future__ import annotations

from peewee import (BigIntegerField, BooleanField, CharField, CompositeKey, IntegerField,
                    Model, TextField)

from sync.database import DatabaseProxy
from web import appointment_models, citizen_models, licence_models, logins, throttle

database = DatabaseProxy()


class BaseModel(Model):
    class Meta:
        database = database
        legacy_table_names = False


class NodeState(BaseModel):
    """The node's one row of sync state."""

    id = IntegerField(primary_key=True, default=1)
    center = CharField(max_length=16)
    hub_url = CharField()
    hub_key = CharField(max_length=64)      # pinned at enrollment
    hub_key_id = CharField(max_length=16)
    key_id = CharField(max_length=16)       # our current key
    acked_seq = BigIntegerField(default=0)  # the hub holds every event up to here
    acked_hash = CharField(max_length=64)
    pull_cursor = BigIntegerField(default=0)  # exclusive: last message applied
    last_sync_ok_ms = BigIntegerField(null=True)
    last_error = TextField(default="")
    needs_recovery = BooleanField(default=False)
    enrolled_ms = BigIntegerField()
    catalog_version = IntegerField(default=0)  # the last catalog version applied, in order


class OutboxEvent(BaseModel):
    """Every change made at this center, in seq order; never deleted (it is the record)."""

    seq = BigIntegerField(primary_key=True)
    type = CharField(max_length=64)
    record = CharField(max_length=128, default="")
    created_at = CharField(max_length=32)
    payload = TextField()  # canonical JSON, exactly the bytes that were hashed
    prev_hash = CharField(max_length=64)
    hash = CharField(max_length=64)
    key_id = CharField(max_length=16)
    sig = CharField(max_length=128)


class KnownKey(BaseModel):
    """Public keys this node can verify with: its own (all of them) and others' as learned."""

    key_id = CharField(primary_key=True, max_length=16)
    center = CharField(max_length=16)
    public_key = CharField(max_length=64)
    revoked = BooleanField(default=False)


class InboxMessage(BaseModel):
    """Each message applied from the hub's stream (its id is unique: applied once)."""

    id = BigIntegerField(primary_key=True)
    type = CharField(max_length=64)
    created_at = CharField(max_length=32)
    applied_ms = BigIntegerField()
    outcome = TextField(default="")


class Notice(BaseModel):
    """A notice from the hub, shown to the center's staff."""

    message_id = BigIntegerField(primary_key=True)
    title = CharField()
    body = TextField()
    created_at = CharField(max_length=32)


class HubSetting(BaseModel):
    """A node setting the hub set remotely (overrides the local default)."""

    name = CharField(primary_key=True, max_length=64)
    value = TextField()  # JSON
    message_id = BigIntegerField()


class LocalRecord(BaseModel):
    """Records this center owns, written with ``record.put``."""

    record = CharField(primary_key=True, max_length=128)
    data = TextField()


class CatalogMatter(BaseModel):
    """The matters of the catalog version this node runs (and those that left it)."""

    code = CharField(primary_key=True, max_length=10)
    name = CharField(max_length=200)  # a column of its own so search can use it
    department = CharField(max_length=32, index=True)
    data = TextField()  # canonical JSON (sync.catalog_schema)
    status = CharField(max_length=12, index=True)  # in_force | cancelled | merged | converted
    version = IntegerField()


class RefusedMessage(BaseModel):
    """A message from the hub's stream this node refused: a relay whose content did not hold
    (passed over: the stream goes on), or another kind (the stream waits on it)."""

    id = BigIntegerField(primary_key=True)
    type = CharField(max_length=64)
    code = CharField(max_length=32)
    detail = TextField()
    at_ms = BigIntegerField()


class User(logins.User):
    """A member of the center's staff who logs in to the node's pages (never synced)."""

    # The departments a reviewer or approver works for, comma-separated codes of
    # config/departments.toml (``node.departments``); "": center-wide. On the row, not a
    # table of its own, so the login each request loads already says its scope.
    departments = TextField(default="")

    class Meta:
        database = database


class LoginAttempt(logins.LoginAttempt):
    class Meta:
        database = database


class PublicHit(throttle.Hit):
    """The public pages' throttle (``web.throttle``; local, never synced)."""

    class Meta:
        database = database


class Case(BaseModel):
    """A case handled at this center: the columns its queues and figures need.

    The truth is the intake record and the action log (``CaseAction``); these
    columns are kept from them in the same transaction.
    """

    number = CharField(primary_key=True, max_length=40)
    matter_code = CharField(max_length=10, index=True)
    matter = TextField()  # snapshot of the matter at the version it was received under
    applicant_kind = CharField(max_length=12)
    applicant_name = CharField(max_length=100)
    applicant_id = CharField(max_length=18, index=True)
    applicant_phone = CharField(max_length=12)
    green_channel = BooleanField(default=False)
    state = CharField(max_length=24, index=True)
    received_at = CharField(max_length=32)
    accepted_at = CharField(max_length=32, null=True)
    promised_date = CharField(max_length=10, null=True)
    promised_provisional = BooleanField(default=False)
    decided_at = CharField(max_length=32, null=True)
    outcome = CharField(max_length=12, null=True)
    document_number = CharField(max_length=64, null=True)
    received = TextField()  # the case.received payload, to replay the state machine
    # 异地代收代办: the center that received it (its number says so too) and the one
    # that may act on it now; a handoff moves the second, as the hub's ownership does.
    collected_by = CharField(max_length=16, default="")
    owner = CharField(max_length=16, default="")
    # 并联审批: a copy of another center's case, held here only to give an opinion on
    # it; it is not this center's work, so its queues and figures leave it out.
    consulted = BooleanField(default=False)


# 办件公示 (web.public_cases) pages through decided cases newest first by this index.
Case.add_index(Case.index(Case.decided_at, Case.number))


class CaseAction(BaseModel):
    """The n-th action of a case, exactly as the state machine took it."""

    number = CharField(max_length=40)
    n = IntegerField()
    action = CharField(max_length=24)
    role = CharField(max_length=16)
    user = CharField(max_length=64)
    at = CharField(max_length=32)
    data = TextField()

    class Meta:
        primary_key = CompositeKey("number", "n")


class CaseMaterial(BaseModel):
    """The checklist of a case: each required material, provided or reused or missing."""

    number = CharField(max_length=40)
    name = CharField(max_length=200)
    required = BooleanField()
    provided = BooleanField()
    reused_from = CharField(max_length=40, default="")  # the case (or licence) on file
    # Where a material on file came from: "case" (a copy this center kept) or "licence" (电子证照库),
    # and its trust level (sync.licences.TRUST_LEVELS). None: handed in, missing, or before.
    source = CharField(max_length=8, null=True)
    trust_level = CharField(max_length=1, null=True)

    class Meta:
        primary_key = CompositeKey("number", "name")


class KeptMaterial(BaseModel):
    """A reusable material this center holds for a person from an approved case: not asked
    for again while it is trusted (``node.reuse``)."""

    id_type = CharField(max_length=32)  # sync.identity_codes.ID_TYPES
    id_code = CharField(max_length=32)
    name = CharField(max_length=200)
    number = CharField(max_length=40)  # the case it came with
    kept_on = CharField(max_length=10)  # the day that case was decided (ISO)

    class Meta:
        primary_key = CompositeKey("id_type", "id_code", "name")


class KeyProjectList(BaseModel):
    """A year's key-project list as last loaded (重点项目审批服务; local, never synced)."""

    year = IntegerField(primary_key=True)
    title = CharField(max_length=100)
    loaded_at = CharField(max_length=32)
    loaded_by = CharField(max_length=64)


class KeyProject(BaseModel):
    """One key project of a year's list: its plan as ``sync.key_projects.to_dict`` gives it."""

    year = IntegerField()
    code = CharField(max_length=32)
    name = CharField(max_length=200)
    data = TextField()  # canonical JSON

    class Meta:
        primary_key = CompositeKey("year", "code")


class KeyProjectCase(BaseModel):
    """A case received for a key project's step; the link itself is in its case.received."""

    number = CharField(primary_key=True, max_length=40)
    year = IntegerField()
    code = CharField(max_length=32)
    step = IntegerField()

    class Meta:
        indexes = ((("year", "code", "step"), False),)


MODELS = (NodeState, OutboxEvent, KnownKey, InboxMessage, Notice, HubSetting, LocalRecord,
          CatalogMatter, RefusedMessage, User, LoginAttempt, PublicHit, Case, CaseAction,
          CaseMaterial, KeptMaterial, KeyProjectList, KeyProject, KeyProjectCase)


class CalendarVersion(BaseModel):
    """The working-day calendar versions the hub sent, applied in order (``node.calendar_versions``);
    ``body`` is the signed version's canonical JSON, its table included."""

    version = IntegerField(primary_key=True)
    digest = CharField(max_length=16)
    first_year = IntegerField()
    last_year = IntegerField()
    body = TextField()


MODELS = MODELS + (CalendarVersion,)


class SupervisedCase(BaseModel):
    """A case of one of this district's streets, as the hub relayed it (督导; read only).

    Never this center's own work: not in its queue, figures or outbox. The truth
    is ``received`` and ``log`` (each checked against its origin's signature);
    the other columns are their replay, kept in the same transaction.
    """

    number = CharField(primary_key=True, max_length=40)
    street = CharField(max_length=16, index=True)  # the street that collected it
    matter_code = CharField(max_length=10)
    matter = TextField()  # the snapshot the case was received under
    applicant_kind = CharField(max_length=12)
    applicant_name = CharField(max_length=100)
    green_channel = BooleanField(default=False)
    state = CharField(max_length=24, index=True)
    received_at = CharField(max_length=32)
    accepted_at = CharField(max_length=32, null=True)
    promised_date = CharField(max_length=10, null=True)  # as of the last action, as the hub's
    decided_at = CharField(max_length=32, null=True)
    outcome = CharField(max_length=12, null=True)
    document_number = CharField(max_length=64, null=True)
    holder = CharField(max_length=16)  # who may act on it now (the street, or where it is handed)
    received = TextField()  # the case.received payload without the applicant's ID and phone
    log = TextField(default="[]")  # the case.action payloads, n = 1, 2, …


MODELS = MODELS + (SupervisedCase,)


class CitizenCode(citizen_models.CitizenCode):
    """A citizen's SMS code asked at this node's pages (``web.citizens``; never synced)."""

    class Meta:
        database = database


class CitizenSession(citizen_models.CitizenSession):
    class Meta:
        database = database


MODELS = MODELS + (CitizenCode, CitizenSession)


class EvaluationInvite(BaseModel):
    """A one-time invitation to rate a case (好差评): sent by SMS after completion, or opened
    on the window's evaluation pad. Only the token's SHA-256 is kept."""

    token_hash = CharField(primary_key=True, max_length=64)
    number = CharField(max_length=40, index=True)
    via = CharField(max_length=8)  # sms | window | hub (forwarded from the online hall)
    created_ms = BigIntegerField()
    used_ms = BigIntegerField(null=True)


MODELS = MODELS + (EvaluationInvite,)


class Rectification(BaseModel):
    """A bad review's rectification order (整改, ``sync.rectification``): its steps as
    written, and the hub's decision on an appeal (``appeal_state``: "" | pending | upheld |
    rejected) with the deciding admin's note."""

    number = CharField(primary_key=True, max_length=40)
    steps = TextField()  # JSON list of the steps, ``open`` first
    opened_at = CharField(max_length=32, index=True)
    due = CharField(max_length=10)
    replied_at = CharField(max_length=32, null=True)
    appeal_state = CharField(max_length=8, default="")
    appeal_note = TextField(default="")


MODELS = MODELS + (Rectification,)


class SupervisionOrder(BaseModel):
    """A 督办 order the hub sent on a yellow card of a case collected here
    (``sync.cards.ORDERED``); the cards of that case use its deadline (``node.cards``)."""

    number = CharField(max_length=40)
    clock = CharField(max_length=16)
    department = CharField(max_length=32, default="")
    due = CharField(max_length=10)
    note = TextField()
    by = CharField(max_length=16)
    issued_at = CharField(max_length=32)
    message_id = IntegerField()

    class Meta:
        primary_key = CompositeKey("number", "clock", "department")


MODELS = MODELS + (SupervisionOrder,)


class Consultation(BaseModel):
    """在线咨询 (``sync.consultation``): a question on a matter and its answer. The asker's
    mobile is kept only when asked here (to show them the answer), never in an event."""

    id = CharField(primary_key=True, max_length=40)
    matter_code = CharField(max_length=10)
    department = CharField(max_length=32)
    question = TextField()
    asker_phone = CharField(max_length=11, default="")
    channel = CharField(max_length=8)  # node | hub
    asked_at = CharField(max_length=32, index=True)
    due = CharField(max_length=10)
    answer = TextField(default="")
    answered_by = CharField(max_length=64, default="")
    answered_at = CharField(max_length=32, null=True)


MODELS = MODELS + (Consultation,)
class OnlineApplication(BaseModel):
    """An application made online (网上申请) waiting for or through its pre-review
    (``node.prereview``); local until it passes, when it becomes a case with channel
    ``online`` (``case_number``)."""

    id = CharField(primary_key=True, max_length=24)  # generated, shown to the applicant
    matter_code = CharField(max_length=10)
    applicant = TextField()  # the checked applicant, canonical JSON
    applicant_id = CharField(max_length=18, index=True)  # the citizen who logged in
    applicant_phone = CharField(max_length=12)
    state = CharField(max_length=12, index=True)  # sync.prereview.STATES
    round = IntegerField(default=1)  # 1, then one more at each resubmission
    submitted_at = CharField(max_length=32)  # the last (re)submission
    reviewed_by = CharField(max_length=64, default="")
    case_number = CharField(max_length=40, null=True)
    # "hub": made at the hub's online hall (node.forwarded_applications), whose citizen
    # pages show it: its review is reported there as events. "": made at this node.
    source = CharField(max_length=8, default="")


class OnlineMaterial(BaseModel):
    """One material of an online application: its file (stored under its SHA-256), and
    its verdict now and as the last notice gave it (the one-notice rule's memory)."""

    application = CharField(max_length=24)
    name = CharField(max_length=200)
    sha256 = CharField(max_length=64)
    content_type = CharField(max_length=32)
    size = IntegerField()
    verdict = CharField(max_length=8, default="")  # "" (not reviewed since the last change)
    reason = CharField(max_length=4, default="")
    note = TextField(default="")
    notice_sha256 = CharField(max_length=64, default="")  # the file the last notice judged
    notice_verdict = CharField(max_length=8, default="")
    notice_reason = CharField(max_length=4, default="")

    class Meta:
        primary_key = CompositeKey("application", "name")


MODELS = MODELS + (OnlineApplication, OnlineMaterial)


class AppointmentPlan(BaseModel):
    """网上预约: the center's one plan of windows and slots (``sync.appointments``) and the
    share of each slot's places (percent) the online hall at the hub books."""

    id = IntegerField(primary_key=True, default=1)
    windows = TextField()  # canonical JSON: [WindowPlan.as_dict(), …]
    online_percent = IntegerField()  # whole percent
    changed_at = CharField(max_length=32)


class Appointment(appointment_models.Appointment):
    """This center's bookings of its window's places, and those the hub forwards."""

    class Meta:
        database = database


MODELS = MODELS + (AppointmentPlan, Appointment)


class DecisionLetter(BaseModel):
    """The 文号 of a decided case's 决定书, allocated by this node when the letter is first
    printed and kept, so every reprint carries the same number (``node.letters``)."""

    number = CharField(primary_key=True, max_length=40)  # the case
    outcome = CharField(max_length=12)  # approved (准予) / refused (不予): numbered apart
    year = IntegerField()
    seq = IntegerField()
    document_number = CharField(max_length=64, unique=True)
    allocated_at = CharField(max_length=32)

    class Meta:
        indexes = ((("outcome", "year", "seq"), True),)


MODELS = MODELS + (DecisionLetter,)


class Complaint(BaseModel):
    """投诉 (``sync.complaints``): a complaint about a case or this center's window and
    the center admin's answer. The complainant's mobile is kept here for the answer's
    SMS and their own page, never in an event."""

    id = CharField(primary_key=True, max_length=40)
    category = CharField(max_length=16)
    case_number = CharField(max_length=40, default="")
    text = TextField()
    phone = CharField(max_length=11, default="")
    channel = CharField(max_length=8)  # node | hub
    filed_at = CharField(max_length=32, index=True)
    due = CharField(max_length=10)
    answer = TextField(default="")
    answered_by = CharField(max_length=64, default="")
    answered_at = CharField(max_length=32, null=True)


MODELS = MODELS + (Complaint,)


class Licence(licence_models.Licence):
    """电子证照库 (``node.licences``): the licences this center issued, and those the hub
    shared from every center with their holder's consent."""

    class Meta:
        database = database


MODELS = MODELS + (Licence,)
