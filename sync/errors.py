"""The one exception hierarchy of hallsync, and the one JSON problem shape.

::

    HallsyncError                  status 500, code INTERNAL
    ├── ConfigError                a setting or config file is wrong (names the field)
    ├── SchemaError                a database cannot be brought up to the models (names
    │                              the table and column; ``sync.schema``)
    ├── DatabaseUnusable           503: the database cannot be reached, opened or read;
    │                              507 STORAGE_FULL: the disk is full (``sync.database_errors``,
    │                              at the command line's and the sites' edges)
    ├── ProtocolError              400/401/409: the peer sent something we refuse
    │   ├── AuthError              401: unknown/revoked key, bad signature, skew, nonce;
    │   │                          NOT_AUTHENTICATED: no staff login (node pages, API)
    │   └── SequenceError          409: gap in sequence numbers, diverged chain
    ├── TransportError             the network failed; the sync job RETRIES these
    │   ├── HubUnavailable         connection refused, timeout, 5xx
    │   └── HubBusy                503 + Retry-After: the hub asks us to back off
    ├── ConflictError              409: ownership, duplicate, state conflict
    ├── Forbidden                  403: logged in, but not this role or not this center
    ├── NotFound                   404
    ├── TooManyRequests            429 + Retry-After: asked too often (a public page, SMS codes)
    └── ValidationError            400/422: bad input; names the field

Only ``TransportError`` is retried by the scheduled jobs; everything else is
reported and left for a person, because retrying it cannot change the answer.

Every JSON error that hub or node returns is ``problem_body(error)``::

    {"code": "SIGNATURE_INVALID", "status": 401, "title": "...", "detail": "...", ...extra}
"""
from __future__ import annotations

import enum


class Code(str, enum.Enum):
    """Stable error codes. Scripts match on these; never rename one."""

    INTERNAL = "INTERNAL"
    CONFIG_INVALID = "CONFIG_INVALID"
    # the database itself
    DATABASE_UNAVAILABLE = "DATABASE_UNAVAILABLE"
    DATABASE_DAMAGED = "DATABASE_DAMAGED"
    STORAGE_FULL = "STORAGE_FULL"
    # envelope and authentication
    ENVELOPE_MALFORMED = "ENVELOPE_MALFORMED"
    BODY_TOO_LARGE = "BODY_TOO_LARGE"
    BODY_MALFORMED = "BODY_MALFORMED"
    KEY_UNKNOWN = "KEY_UNKNOWN"
    KEY_REVOKED = "KEY_REVOKED"
    SIGNATURE_INVALID = "SIGNATURE_INVALID"
    DIGEST_MISMATCH = "DIGEST_MISMATCH"
    NONCE_REUSED = "NONCE_REUSED"
    CLOCK_SKEW = "CLOCK_SKEW"
    WRONG_RECIPIENT = "WRONG_RECIPIENT"
    # enrollment
    TOKEN_INVALID = "TOKEN_INVALID"
    TOKEN_EXPIRED = "TOKEN_EXPIRED"
    TOKEN_USED = "TOKEN_USED"
    CENTER_UNKNOWN = "CENTER_UNKNOWN"
    # events
    ORIGIN_MISMATCH = "ORIGIN_MISMATCH"
    SEQUENCE_GAP = "SEQUENCE_GAP"
    CHAIN_BROKEN = "CHAIN_BROKEN"
    NODE_DIVERGED = "NODE_DIVERGED"
    EVENT_MALFORMED = "EVENT_MALFORMED"
    EVENT_TYPE_UNKNOWN = "EVENT_TYPE_UNKNOWN"
    APPLY_FAILED = "APPLY_FAILED"
    BLOCKED_BY_QUARANTINE = "BLOCKED_BY_QUARANTINE"
    NOT_OWNER = "NOT_OWNER"
    # transport
    HUB_UNAVAILABLE = "HUB_UNAVAILABLE"
    HUB_BUSY = "HUB_BUSY"
    REPLY_INVALID = "REPLY_INVALID"
    # generic
    NOT_FOUND = "NOT_FOUND"
    VALIDATION_FAILED = "VALIDATION_FAILED"
    CONFLICT = "CONFLICT"
    NOT_ENROLLED = "NOT_ENROLLED"
    # cases
    MATTER_UNKNOWN = "MATTER_UNKNOWN"
    MATTER_NOT_ACCEPTABLE = "MATTER_NOT_ACCEPTABLE"
    # an applicant acting through an agent (委托代理人)
    AGENT_IS_APPLICANT = "AGENT_IS_APPLICANT"
    POWER_OF_ATTORNEY_MISSING = "POWER_OF_ATTORNEY_MISSING"
    # online applications and their pre-review (网上申请, 网上预审)
    UPLOAD_REFUSED = "UPLOAD_REFUSED"
    PREREVIEW_NEW_REASON = "PREREVIEW_NEW_REASON"
    # appointments (网上预约)
    SLOT_FULL = "SLOT_FULL"
    HOLD_EXPIRED = "HOLD_EXPIRED"
    # staff login at a node
    NOT_AUTHENTICATED = "NOT_AUTHENTICATED"
    # SMS and the citizens' logins
    SMS_GATEWAY_UNAVAILABLE = "SMS_GATEWAY_UNAVAILABLE"
    SMS_REPORT_UNSIGNED = "SMS_REPORT_UNSIGNED"
    CODE_INVALID = "CODE_INVALID"
    CODE_EXPIRED = "CODE_EXPIRED"
    FORBIDDEN = "FORBIDDEN"
    # the public pages (no login)
    PROGRESS_NOT_FOUND = "PROGRESS_NOT_FOUND"
    TOO_MANY_REQUESTS = "TOO_MANY_REQUESTS"


class HallsyncError(Exception):
    """Base of every error hallsync raises on purpose."""

    status = 500
    code = Code.INTERNAL
    title = "Internal error"

    def __init__(self, detail: str = "", *, code: Code | None = None, status: int | None = None,
                 **extra):
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status
        self.extra = extra


class ConfigError(HallsyncError):
    """A setting or config file is wrong; the message names the field."""

    status = 500
    code = Code.CONFIG_INVALID
    title = "Invalid configuration"

    def __init__(self, field: str, value, reason: str):
        super().__init__(f"{field}: {reason} (got {value!r})", field=field)
        self.field, self.value, self.reason = field, value, reason


class SchemaError(HallsyncError):
    """An existing database cannot be upgraded to the models; the message names the column."""

    title = "Database schema cannot be upgraded"

    def __init__(self, table: str, column: str, reason: str):
        super().__init__(f"{table}.{column}: {reason}", table=table, column=column)
        self.table, self.column, self.reason = table, column, reason


class DatabaseUnusable(HallsyncError):
    """The database cannot be reached or opened (``DATABASE_UNAVAILABLE``), or its file is
    not a database or is damaged (``DATABASE_DAMAGED``)."""

    status = 503
    code = Code.DATABASE_UNAVAILABLE
    title = "Database unusable"


class ProtocolError(HallsyncError):
    status = 400
    code = Code.ENVELOPE_MALFORMED
    title = "Protocol error"


class AuthError(ProtocolError):
    status = 401
    code = Code.SIGNATURE_INVALID
    title = "Not authenticated"


class SequenceError(ProtocolError):
    status = 409
    code = Code.SEQUENCE_GAP
    title = "Sequence error"


class TransportError(HallsyncError):
    """The network failed. Retryable; ``original`` keeps the foreign exception."""

    status = 503
    code = Code.HUB_UNAVAILABLE
    title = "Hub unreachable"

    def __init__(self, detail: str = "", *, original: BaseException | None = None, **kw):
        super().__init__(detail, **kw)
        self.original = original


class HubUnavailable(TransportError):
    pass


class HubBusy(TransportError):
    code = Code.HUB_BUSY
    title = "Hub busy, retry later"

    def __init__(self, detail: str = "", *, retry_after: float = 30.0, **kw):
        super().__init__(detail, **kw)
        self.retry_after = retry_after


class ConflictError(HallsyncError):
    status = 409
    code = Code.CONFLICT
    title = "Conflict"


class Forbidden(HallsyncError):
    """The logged-in user lacks the role, or the record belongs to another center."""

    status = 403
    code = Code.FORBIDDEN
    title = "Forbidden"


class NotFound(HallsyncError):
    status = 404
    code = Code.NOT_FOUND
    title = "Not found"


class TooManyRequests(HallsyncError):
    """Asked more often than allowed: a public page by one address (``web.throttle``), SMS
    codes for one number or from one address (``web.citizens``). ``retry_after``: seconds,
    in the body and the ``Retry-After`` header."""

    status = 429
    code = Code.TOO_MANY_REQUESTS
    title = "Too many requests"

    def __init__(self, detail: str = "", *, retry_after: int, **kw):
        super().__init__(detail, retry_after=retry_after, **kw)
        self.retry_after = retry_after


class ValidationError(HallsyncError):
    status = 422
    code = Code.VALIDATION_FAILED
    title = "Validation failed"

    def __init__(self, detail: str = "", *, field: str | None = None, **kw):
        super().__init__(detail, **kw)
        self.field = field
        if field is not None:
            self.extra.setdefault("field", field)


def problem_body(error: HallsyncError) -> dict:
    """The JSON body of every error response, from hub and node alike."""
    body = {"code": str(error.code.value), "status": error.status, "title": error.title,
            "detail": error.detail}
    body.update(error.extra)
    return body


def error_from_problem(body: dict, http_status: int) -> HallsyncError:
    """Rebuild our exception from a peer's problem body (used by the sync client)."""
    try:
        code = Code(body.get("code"))
    except ValueError:
        code = Code.INTERNAL
    extra = {k: v for k, v in body.items() if k not in ("code", "status", "title", "detail")}
    cls = _CLASS_BY_CODE.get(code, HallsyncError)
    err = cls.__new__(cls)
    HallsyncError.__init__(err, body.get("detail", ""), code=code, status=http_status, **extra)
    if isinstance(err, TransportError):
        err.original = None
    if isinstance(err, HubBusy):
        err.retry_after = float(extra.get("retry_after", 30))
    if isinstance(err, ValidationError):
        err.field = extra.get("field")
    return err


_AUTH = {Code.KEY_UNKNOWN, Code.KEY_REVOKED, Code.SIGNATURE_INVALID, Code.DIGEST_MISMATCH,
         Code.NONCE_REUSED, Code.CLOCK_SKEW, Code.WRONG_RECIPIENT, Code.TOKEN_INVALID,
         Code.TOKEN_EXPIRED, Code.TOKEN_USED}
_CLASS_BY_CODE: dict[Code, type[HallsyncError]] = {
    **{c: AuthError for c in _AUTH},
    Code.SEQUENCE_GAP: SequenceError, Code.NODE_DIVERGED: SequenceError,
    Code.CHAIN_BROKEN: SequenceError,
    Code.HUB_BUSY: HubBusy, Code.HUB_UNAVAILABLE: HubUnavailable,
    Code.NOT_OWNER: ConflictError, Code.CONFLICT: ConflictError,
    Code.NOT_FOUND: NotFound, Code.CENTER_UNKNOWN: NotFound, Code.PROGRESS_NOT_FOUND: NotFound,
    Code.NOT_AUTHENTICATED: AuthError, Code.FORBIDDEN: Forbidden,
    Code.VALIDATION_FAILED: ValidationError, Code.MATTER_UNKNOWN: ValidationError,
    Code.MATTER_NOT_ACCEPTABLE: ValidationError, Code.UPLOAD_REFUSED: ValidationError,
    Code.AGENT_IS_APPLICANT: ValidationError, Code.POWER_OF_ATTORNEY_MISSING: ValidationError,
    Code.PREREVIEW_NEW_REASON: ConflictError,
    Code.ENVELOPE_MALFORMED: ProtocolError, Code.BODY_MALFORMED: ProtocolError,
    Code.BODY_TOO_LARGE: ProtocolError, Code.ORIGIN_MISMATCH: ProtocolError,
    Code.EVENT_MALFORMED: ProtocolError, Code.REPLY_INVALID: ProtocolError,
    Code.DATABASE_UNAVAILABLE: DatabaseUnusable, Code.DATABASE_DAMAGED: DatabaseUnusable,
}
