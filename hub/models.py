"""The hub's tables. Models never name a concrete database: ``database`` is a
proxy that ``hub.db.init_app`` (or a CLI command) points at the URL."""
from __future__ import annotations

from peewee import (SQL, AutoField, BigIntegerField, BooleanField, CharField, CompositeKey,
                    IntegerField, Model, TextField)

from sync.case_labels import OPEN  # the open cases' states, for a partial index
from sync.database import DatabaseProxy
from web import appointment_models, citizen_models, licence_models, logins, throttle  # as a node's

database = DatabaseProxy()


class BaseModel(Model):
    class Meta:
        database = database
        legacy_table_names = False


class CenterState(BaseModel):
    """What the hub knows of each enrolled center (coverage reads this)."""

    code = CharField(primary_key=True, max_length=16)
    enrolled_at = BigIntegerField(null=True)
    revoked_at = BigIntegerField(null=True)
    last_contact_ms = BigIntegerField(null=True)
    app_version = CharField(default="")
    catalog_version = IntegerField(default=0)
    calendar_version = IntegerField(default=0)  # the last working-day calendar it applied
    backlog = IntegerField(default=0)
    node_last_seq = BigIntegerField(default=0)
    clock_skew_ms = BigIntegerField(default=0)
    pull_cursor = BigIntegerField(default=0)
    last_error = TextField(default="")
    needs_recovery = BooleanField(default=False)
    backlog_rising_since_ms = BigIntegerField(null=True)  # hub.coverage.centers: growing since then


class NodeKey(BaseModel):
    """Every public key a center has held; old ones stay so history verifies."""

    key_id = CharField(primary_key=True, max_length=16)
    center = CharField(max_length=16, index=True)
    public_key = CharField(max_length=64)
    created_ms = BigIntegerField()
    retired_ms = BigIntegerField(null=True)  # replaced by rotation: history only
    revoked_ms = BigIntegerField(null=True)  # refused from now on
    previous_key_id = CharField(max_length=16, default="")
    rotation_sig = CharField(max_length=128, default="")


class EnrollToken(BaseModel):
    token_hash = CharField(primary_key=True, max_length=64)
    center = CharField(max_length=16)
    created_ms = BigIntegerField()
    expires_ms = BigIntegerField()
    used_ms = BigIntegerField(null=True)


class SeenNonce(BaseModel):
    key_id = CharField(max_length=16)
    nonce = CharField(max_length=64)
    seen_ms = BigIntegerField(index=True)

    class Meta:
        primary_key = CompositeKey("key_id", "nonce")


class SecurityEvent(BaseModel):
    """Every refusal: who, when, which code, and why.

    ``center`` is set only when the message proved it came from that center (its envelope
    authenticated): a claim of a name alone counts toward no center. Unauthenticated
    refusals are kept one row per address, code and minute, ``repeats`` counting them.
    """

    id = AutoField()
    at_ms = BigIntegerField(index=True)
    center = CharField(max_length=64, default="", index=True)
    key_id = CharField(max_length=64, default="")
    code = CharField(max_length=32, index=True)
    detail = TextField(default="")
    path = CharField(max_length=64, default="")
    remote = CharField(max_length=64, default="")
    repeats = IntegerField(default=1)


class Event(BaseModel):
    """The hub's copy of every center's events, under a unique (origin, seq)."""

    origin = CharField(max_length=16)
    seq = BigIntegerField()
    type = CharField(max_length=64)
    record = CharField(max_length=128, default="")
    created_at = CharField(max_length=32)
    payload = TextField()  # canonical JSON, exactly the bytes that were hashed
    prev_hash = CharField(max_length=64)
    hash = CharField(max_length=64)
    key_id = CharField(max_length=16)
    sig = CharField(max_length=128)
    received_ms = BigIntegerField()
    state = CharField(max_length=12)  # applied | quarantined | held | refused
    error_code = CharField(max_length=32, default="")
    error_detail = TextField(default="")

    class Meta:
        primary_key = CompositeKey("origin", "seq")


# Partial index: the quarantine is tiny next to the events, and is read on every push.
Event.add_index(Event.index(Event.origin, Event.record, Event.state,
                            where=(Event.state != "applied")))


class OriginHead(BaseModel):
    """The end of each origin's contiguous chain at the hub: what the ack reports."""

    origin = CharField(primary_key=True, max_length=16)
    seq = BigIntegerField(default=0)
    hash = CharField(max_length=64)


class Ownership(BaseModel):
    """Which center owns each record: only its owner's events may change it."""

    record = CharField(primary_key=True, max_length=128)
    owner = CharField(max_length=16, index=True)
    since_ms = BigIntegerField()


class RecordData(BaseModel):
    """The data of records written with ``record.put``."""

    record = CharField(primary_key=True, max_length=128)
    data = TextField()
    origin_seq = BigIntegerField()


class HubMessage(BaseModel):
    """The hub's ordered stream; ``recipient`` is a center code or ``*`` (everyone)."""

    id = AutoField()
    recipient = CharField(max_length=16, index=True)
    type = CharField(max_length=64)
    payload = TextField()
    created_at = CharField(max_length=32)
    sig = CharField(max_length=128)


class MessageReceipt(BaseModel):
    """A center applied a message (from its ``message.applied`` event)."""

    message_id = BigIntegerField()
    center = CharField(max_length=16)
    applied_at = CharField(max_length=32)

    class Meta:
        primary_key = CompositeKey("message_id", "center")


class HubKey(BaseModel):
    """The hub's own keys since its first rotation: each endorsed by the one before it
    (``hub.ledger.hub_keys``), so a node follows the chain from the key it pinned."""

    key_id = CharField(primary_key=True, max_length=16)
    public_key = CharField(max_length=64)
    created_ms = BigIntegerField()
    previous_key_id = CharField(max_length=16, default="")  # "" for the hub's first key
    endorsement = CharField(max_length=128, default="")  # by the previous key
    proof = CharField(max_length=128, default="")  # by this key


MODELS = (CenterState, NodeKey, EnrollToken, SeenNonce, SecurityEvent, Event, OriginHead,
          Ownership, RecordData, HubMessage, MessageReceipt, HubKey)


class CatalogVersion(BaseModel):
    """Each catalog change, in order, as signed by the hub (``body`` is canonical JSON)."""

    version = IntegerField(primary_key=True)
    op = CharField(max_length=16)
    author = CharField(max_length=100)
    reason = TextField()
    effective_date = CharField(max_length=10)
    created_at = CharField(max_length=32)
    body = TextField()


class CatalogMatter(BaseModel):
    """Every matter the catalog ever had: in force, or why it left and when."""

    code = CharField(primary_key=True, max_length=10)
    data = TextField()  # canonical JSON of the matter (sync.catalog_schema)
    status = CharField(max_length=12, index=True)  # in_force | cancelled | merged | converted
    version = IntegerField()  # the version that last changed it


MODELS = MODELS + (CatalogVersion, CatalogMatter)


class CalendarVersion(BaseModel):
    """Each working-day calendar the hub published, in order (``sync.calendar_versions``;
    ``body`` is the signed version's canonical JSON, its table included)."""

    version = IntegerField(primary_key=True)
    digest = CharField(max_length=16)
    first_year = IntegerField()
    last_year = IntegerField()
    created_at = CharField(max_length=32)
    body = TextField()


MODELS = MODELS + (CalendarVersion,)


class Alert(BaseModel):
    """A coverage alert (``hub.coverage.alerts``): open while ``cleared_ms`` is null."""

    id = AutoField()
    center = CharField(max_length=16, index=True)
    kind = CharField(max_length=24)  # one of hub.coverage.alerts.KINDS
    began_ms = BigIntegerField(index=True)
    cleared_ms = BigIntegerField(null=True)
    detail = TextField(default="")


# At most one open alert per center and kind, whatever runs the evaluation.
Alert.add_index(Alert.index(Alert.center, Alert.kind, unique=True,
                            where=Alert.cleared_ms.is_null()))
MODELS = MODELS + (Alert,)


class JobRun(BaseModel):
    """One run of a periodic hub job (``hub.scheduler``): at most one per job and time slot,
    whichever worker of whichever hub instance claimed it first; the others count as
    ``skipped``."""

    job = CharField(max_length=32)
    slot = BigIntegerField()  # the run's time divided by the job's interval
    instance = CharField(max_length=64)  # host:pid of the worker that ran it
    ran_ms = BigIntegerField(index=True)
    skipped = IntegerField(default=0)  # other workers' ticks in this slot
    result = TextField(default="")

    class Meta:
        primary_key = CompositeKey("job", "slot")


MODELS = MODELS + (JobRun,)


class HubCase(BaseModel):
    """The hub's copy of every case, kept from its events (the columns figures need)."""

    number = CharField(primary_key=True, max_length=40)
    center = CharField(max_length=16, index=True)  # the center that owns it
    matter_code = CharField(max_length=10, index=True)
    matter_version = IntegerField()
    matter = TextField()
    applicant_kind = CharField(max_length=12)
    applicant_id = CharField(max_length=18, index=True)  # a citizen's cases at the online hall
    green_channel = BooleanField(default=False)
    state = CharField(max_length=24, index=True)
    received_at = CharField(max_length=32)
    accepted_at = CharField(max_length=32, null=True)
    decided_at = CharField(max_length=32, null=True)
    outcome = CharField(max_length=12, null=True)
    document_number = CharField(max_length=64, null=True)
    received = TextField()
    actions = IntegerField(default=0)
    department = CharField(max_length=32, default="")  # the matter's, for per-department figures
    due_date = CharField(max_length=10, null=True)  # 承诺办结日 as of the last action (hub.stats.figures)
    # "year/code" of the key project of over ¥100m the case is linked to (hub.stats.rollups.projects)
    key_project = CharField(max_length=40, null=True, index=True)


# Open cases are a sliver of all cases: "pending and overdue now" (hub.stats.figures.pending)
# and the cards of open cases (hub.cases.cards) read this partial index only. SQLite matches
# it only to the same literal IN list, so they select by OPEN_LITERAL, not bound parameters
# (with parameters SQLite scans millions of rows).
OPEN_STATES = tuple(sorted(OPEN))
OPEN_LITERAL = SQL("(state IN ({}))".format(", ".join(f"'{s}'" for s in OPEN_STATES)))
for _first in (None, HubCase.matter_code, HubCase.department):  # unfiltered, per matter, per dept
    HubCase.add_index(HubCase.index(*filter(None, (_first, HubCase.center, HubCase.state,
                                                   HubCase.due_date)),
                                    where=HubCase.state.in_(OPEN_STATES)))


# 办件公示 (web.public_cases) pages through decided cases newest first by this index.
HubCase.add_index(HubCase.index(HubCase.decided_at, HubCase.number))


class HubCaseAction(BaseModel):
    number = CharField(max_length=40)
    n = IntegerField()
    action = CharField(max_length=24)
    role = CharField(max_length=16)
    user = CharField(max_length=64)
    at = CharField(max_length=32)
    data = TextField()

    class Meta:
        primary_key = CompositeKey("number", "n")


MODELS = MODELS + (HubCase, HubCaseAction)


class RollupCounters(BaseModel):
    """The counters every rollup table keeps (``hub.stats.rollups.FIELDS`` says what each counts)."""

    received = IntegerField(default=0)
    accepted = IntegerField(default=0)
    not_accepted = IntegerField(default=0)
    completed = IntegerField(default=0)
    completed_immediately = IntegerField(default=0)
    # of the cases accepted on this row's day, those completed since (on the accepting day's
    # row): the base of 办结率, which therefore cannot pass 100 %
    completed_of_accepted = IntegerField(default=0)
    approved = IntegerField(default=0)
    supplement_requests = IntegerField(default=0)
    withdrawn = IntegerField(default=0)
    handling_days = IntegerField(default=0)  # working days to 办结, paused days excluded
    received_enterprise = IntegerField(default=0)
    supplemented = IntegerField(default=0)
    completed_on_time = IntegerField(default=0)
    completed_early = IntegerField(default=0)
    days_0 = IntegerField(default=0)
    days_1 = IntegerField(default=0)
    days_2_3 = IntegerField(default=0)
    days_4_5 = IntegerField(default=0)
    days_6_10 = IntegerField(default=0)
    days_over_10 = IntegerField(default=0)
    promised_days = IntegerField(default=0)  # 承诺时限 of the cases accepted, summed
    handed_off = IntegerField(default=0)  # 移交: collected here, handed to the deciding center
    taken_over = IntegerField(default=0)  # 接收移交: handed here by a collecting center
    received_online = IntegerField(default=0)  # 网上申请 of the received
    evaluated = IntegerField(default=0)  # 好差评 given
    satisfied = IntegerField(default=0)  # of them 非常满意, 满意 or 基本满意
    bad_reviews = IntegerField(default=0)  # of them 不满意 or 非常不满意 (差评)
    evaluated_of_completed = IntegerField(default=0)  # 好差评 on the day of the case's 办结
    enterprises_registered = IntegerField(default=0)  # 企业设立登记 approved
    registered_capital = BigIntegerField(default=0)  # their 注册资本, 万元
    projects_over_100m = IntegerField(default=0)  # key projects ≥ 1 亿元, once each
    investment = BigIntegerField(default=0)  # their 总投资, 万元


class CaseRollup(RollupCounters):
    """Case figures per center, China day, matter: kept as case events are applied."""

    center = CharField(max_length=16)
    day = CharField(max_length=10)
    matter_code = CharField(max_length=10)
    department = CharField(max_length=32)

    class Meta:
        primary_key = CompositeKey("center", "day", "matter_code")


# The same counters at coarser grains, kept by the same ``hub.stats.rollups.add``, so a
# year of the whole city reads ~2,500 rows instead of millions (``hallsync bench stats``).
class CaseRollupMonth(RollupCounters):
    """Per center, month (YYYY-MM) and matter: whole months filtered by department or matter."""

    center = CharField(max_length=16)
    month = CharField(max_length=7)
    matter_code = CharField(max_length=10)
    department = CharField(max_length=32)

    class Meta:
        primary_key = CompositeKey("center", "month", "matter_code")


class CenterRollupDay(RollupCounters):
    """Per center and day, all matters."""

    center = CharField(max_length=16)
    day = CharField(max_length=10)

    class Meta:
        primary_key = CompositeKey("day", "center")


class CenterRollupMonth(RollupCounters):
    """Per center and month, all matters."""

    center = CharField(max_length=16)
    month = CharField(max_length=7)

    class Meta:
        primary_key = CompositeKey("month", "center")


# Filtered reads go by (department | matter, period) first.
CaseRollup.add_index(CaseRollup.index(CaseRollup.matter_code, CaseRollup.day))
CaseRollup.add_index(CaseRollup.index(CaseRollup.department, CaseRollup.day))
CaseRollupMonth.add_index(CaseRollupMonth.index(CaseRollupMonth.matter_code,
                                                CaseRollupMonth.month))
CaseRollupMonth.add_index(CaseRollupMonth.index(CaseRollupMonth.department,
                                                CaseRollupMonth.month))
ROLLUPS = (CaseRollup, CaseRollupMonth, CenterRollupDay, CenterRollupMonth)


MODELS = MODELS + ROLLUPS


class StaffUser(logins.User):
    """A login to the hub's pages; ``center`` is its scope (the hub: the whole city)."""

    class Meta:
        database = database
        table_name = "staff_user"


class StaffLoginAttempt(logins.LoginAttempt):
    """One login attempt at the hub (the same throttling as a node's)."""

    class Meta:
        database = database
        table_name = "staff_login_attempt"


class PublicHit(throttle.Hit):
    """The public pages' throttle (``web.throttle``), shared by the hub's workers."""

    class Meta:
        database = database


MODELS = MODELS + (StaffUser, StaffLoginAttempt, PublicHit)


class CaseStep(BaseModel):
    """Which stored event is each step of a case (n = 0: the receipt), so a handoff can send
    the handling center the signed events themselves. A step comes from the collecting
    center or, after a handoff, from the handling one: the steps' order is not the events'."""

    number = CharField(max_length=40)
    n = IntegerField()
    origin = CharField(max_length=16)
    seq = BigIntegerField()

    class Meta:
        primary_key = CompositeKey("number", "n")
        without_rowid = True


class CaseHandoff(BaseModel):
    """One handoff of a case (异地代收代办): where it went and how far it got."""

    number = CharField(max_length=40)
    k = IntegerField()  # the case's k-th handoff, from 1
    collecting = CharField(max_length=16)
    target = CharField(max_length=16, index=True)
    sent_ms = BigIntegerField()
    taken_ms = BigIntegerField(null=True)
    settled_ms = BigIntegerField(null=True)  # returned, undeliverable or decided
    state = CharField(max_length=16)  # a HANDOFF_* state (sync.case_handoffs)
    reason = TextField(default="")

    class Meta:
        primary_key = CompositeKey("number", "k")


MODELS = MODELS + (CaseStep, CaseHandoff)



class Supervision(BaseModel):
    """A district's subscription to its streets' case events (``hub.cases.supervision``)."""

    district = CharField(primary_key=True, max_length=16)
    active = BooleanField(default=False)
    changed_ms = BigIntegerField()
    seq = BigIntegerField()  # the district's ``supervision.subscribe`` event that set it


MODELS = MODELS + (Supervision,)


class SmsMessage(BaseModel):
    """One SMS to send through the city's gateway account, exactly once (``hub.sms``).

    ``out_id`` is our id of it, given to the provider with every attempt: a center's
    ``{origin}-{seq}`` (its ``sms.requested`` event) or ``hub-…`` for the hub's own.
    ``status``: queued → sending (an attempt was started and its answer is not yet
    known) → sent → delivered | undelivered; or failed (the provider refused it for
    good) or dropped (it could no longer be sent on time).
    """

    id = AutoField()
    out_id = CharField(max_length=64, unique=True)
    kind = CharField(max_length=32)
    phone = CharField(max_length=16, index=True)
    params = TextField()  # JSON
    case_number = CharField(max_length=40, default="")
    created_ms = BigIntegerField()
    not_before_ms = BigIntegerField(default=0)  # deferred (quiet hours, rate limit) until then
    expires_ms = BigIntegerField(null=True)  # dropped, never sent, after this
    status = CharField(max_length=12, default="queued", index=True)
    attempts = IntegerField(default=0)  # send calls started
    attempt_ms = BigIntegerField(null=True)  # when the current attempt (or claim) began
    first_attempt_ms = BigIntegerField(null=True, index=True)  # counts toward rate limits
    claim = CharField(max_length=32, default="")  # the sending round that holds it
    biz_id = CharField(max_length=64, default="")  # the provider's id of the sent message
    sent_ms = BigIntegerField(null=True)
    delivered_ms = BigIntegerField(null=True)
    checked_ms = BigIntegerField(null=True)  # last status query for a receipt that never came
    error = TextField(default="")

    class Meta:
        indexes = ((("status", "not_before_ms"), False),)


MODELS = MODELS + (SmsMessage,)


class CitizenCode(citizen_models.CitizenCode):
    """A citizen's SMS code asked at the hub's online hall (``web.citizens``)."""

    class Meta:
        database = database


class CitizenSession(citizen_models.CitizenSession):
    class Meta:
        database = database


MODELS = MODELS + (CitizenCode, CitizenSession)


class EvaluationLink(BaseModel):
    """A one-time 好差评 link a center sent by SMS (its token's SHA-256), usable once at the
    hub's online hall; the evaluation goes to that center, which records it."""

    token_hash = CharField(primary_key=True, max_length=64)
    number = CharField(max_length=40)
    center = CharField(max_length=16)
    created_ms = BigIntegerField()
    used_ms = BigIntegerField(null=True)


MODELS = MODELS + (EvaluationLink,)


class HubRectification(BaseModel):
    """The hub's copy of a rectification order (整改) replayed from the owning center's
    ``rectification.action`` events, and the appeal's decision, which is the hub's own."""

    number = CharField(primary_key=True, max_length=40)
    center = CharField(max_length=16, index=True)
    steps = TextField()
    level = CharField(max_length=24)
    opened_at = CharField(max_length=32)
    due = CharField(max_length=10)
    replied_at = CharField(max_length=32, null=True)
    appeal_state = CharField(max_length=8, default="")  # "" | pending | upheld | rejected
    decided_by = CharField(max_length=64, default="")
    decided_at = CharField(max_length=32, default="")
    decision_note = TextField(default="")


MODELS = MODELS + (HubRectification,)


class HubSupervisionOrder(BaseModel):
    """A 督办 order on a case's yellow card (``sync.cards.Order``): the hub's own record, one
    per card, sent to the center that collected the case (``hub.cases.orders``)."""

    number = CharField(max_length=40)
    clock = CharField(max_length=16)       # a ``sync.cards.CLOCKS`` code
    department = CharField(max_length=32, default="")  # a joint clock's department
    center = CharField(max_length=16)      # the collecting center, whose card it is
    due = CharField(max_length=10)
    note = TextField()
    by = CharField(max_length=16)          # the issuing login's center: a district or the city
    issued_by = CharField(max_length=64)   # the login (kept at the hub, never sent)
    issued_at = CharField(max_length=32)

    class Meta:
        primary_key = CompositeKey("number", "clock", "department")


MODELS = MODELS + (HubSupervisionOrder,)


class HubConsultation(BaseModel):
    """在线咨询 as the hub knows it: from the centers' events, and the questions asked at
    the online hall (their asker's mobile kept here only, to show them the answer)."""

    id = CharField(primary_key=True, max_length=40)
    center = CharField(max_length=16, index=True)
    matter_code = CharField(max_length=10)
    department = CharField(max_length=32, default="")
    question = TextField()
    asker_phone = CharField(max_length=11, default="")
    asked_at = CharField(max_length=32)
    due = CharField(max_length=10, default="")
    answer = TextField(default="")
    answered_at = CharField(max_length=32, null=True)
    published_version = IntegerField(null=True)  # the catalog version that put it in the FAQ


MODELS = MODELS + (HubConsultation,)


class HubComplaint(BaseModel):
    """投诉 as the hub knows it: from the centers' events (counted in the figures), and
    the complaints filed at the online hall (their complainant's mobile kept here only,
    to show them the answer)."""

    id = CharField(primary_key=True, max_length=40)
    center = CharField(max_length=16, index=True)
    category = CharField(max_length=16)
    case_number = CharField(max_length=40, default="")
    text = TextField()
    phone = CharField(max_length=11, default="")
    filed_at = CharField(max_length=32, index=True)
    due = CharField(max_length=10, default="")
    answer = TextField(default="")
    answered_at = CharField(max_length=32, null=True)


MODELS = MODELS + (HubComplaint,)


class HubAppointmentPlan(BaseModel):
    """网上预约: each center's plan as its last ``appointment.plan`` event gave it."""

    center = CharField(primary_key=True, max_length=16)
    windows = TextField()  # canonical JSON, as the center sent it
    online_percent = IntegerField()
    changed_at = CharField(max_length=32)


class HubAppointment(appointment_models.Appointment):
    """The online hall's bookings: the online places of the centers' slots."""

    class Meta:
        database = database


MODELS = MODELS + (HubAppointmentPlan, HubAppointment)


class HubApplication(BaseModel):
    """网上申请 made at the online hall: forwarded to the center that takes it, followed
    here by its citizen as the center's pre-review events come back."""

    id = CharField(primary_key=True, max_length=24)  # WS…, as a node's
    center = CharField(max_length=16, index=True)
    matter_code = CharField(max_length=10)
    applicant = TextField()  # the checked applicant, canonical JSON
    applicant_id = CharField(max_length=18, index=True)  # the citizen who logged in
    applicant_phone = CharField(max_length=12)
    state = CharField(max_length=12)  # sync.prereview.STATES
    round = IntegerField(default=1)
    submitted_at = CharField(max_length=32)
    case_number = CharField(max_length=40, null=True)
    declined = TextField(default="")  # why the center could not take it


class HubApplicationMaterial(BaseModel):
    """One material's file (kept under its digest, fetched by the center) and the
    center's last verdict on it."""

    application = CharField(max_length=24)
    name = CharField(max_length=200)
    sha256 = CharField(max_length=64, index=True)
    content_type = CharField(max_length=32)
    size = IntegerField()
    verdict = CharField(max_length=8, default="")
    reason = CharField(max_length=4, default="")
    note = TextField(default="")
    changed = BooleanField(default=False)  # replaced since the last verdict

    class Meta:
        primary_key = CompositeKey("application", "name")


MODELS = MODELS + (HubApplication, HubApplicationMaterial)


class HubAttendance(BaseModel):
    """Whether a booking's applicant came (到场 or 未到场), as its center's clerk recorded
    it (``appointment.marked``): counted per center and day in the figures."""

    id = CharField(primary_key=True, max_length=24)  # the booking's 预约号
    center = CharField(max_length=16)
    day = CharField(max_length=10)
    side = CharField(max_length=8)
    matter_code = CharField(max_length=10)
    state = CharField(max_length=10)

    class Meta:
        indexes = ((("center", "day"), False),)


MODELS = MODELS + (HubAttendance,)


class DepartmentKey(BaseModel):
    """A department's business system (市场监管, 规划, 住建, …) registered at the hub with a
    key of its own, like a node: it signs its requests to ``/dept/v1/`` (sync envelopes)
    and sees its own matters only (``hub.ledger.department_keys``)."""

    key_id = CharField(primary_key=True, max_length=16)
    department = CharField(max_length=32, index=True)  # a code of config/departments.toml
    public_key = CharField(max_length=64)
    added_ms = BigIntegerField()
    revoked_ms = BigIntegerField(null=True)


MODELS = MODELS + (DepartmentKey,)


class HubLicence(licence_models.Licence):
    """电子证照库 at the hub (``hub.cases.licences``): every licence the centers issued, and
    whether it was shared (relayed to every center: its holder consented)."""

    class Meta:
        database = database


MODELS = MODELS + (HubLicence,)
