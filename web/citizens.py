"""Citizens' identity: a mobile number proved by a one-time SMS code, plus the ID number.

No staff account and no password. The rules, each enforced here once:

- a code is 6 random digits, kept only as an HMAC under the site's secret, usable
  once, for ``citizen_code_ttl_s``, and voided after ``citizen_code_max_tries``
  wrong entries;
- codes are rate limited per number (one per ``citizen_code_resend_s``, at most
  ``citizen_codes_per_day``) and per address (``citizen_codes_per_address_hour``);
- the ID number is checked as every resident ID is (``sync.identity_codes``);
- a login is a random token in a cookie of its own; only its SHA-256 is stored.

``Citizens`` holds a site's two tables and how the site sends a code (the hub
queues the SMS itself; a node writes it into its outbox, in the same
transaction as the code).
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Callable

from peewee import fn

from sync.errors import Code, TooManyRequests, ValidationError
from sync.identity_codes import RESIDENT_ID, check_person_id
from sync.sms_templates import PHONE

DAY_MS, HOUR_MS = 86_400_000, 3_600_000


@dataclass(frozen=True)
class Citizen:
    phone: str
    id_code: str
    token_hash: str
    id_type: str = RESIDENT_ID  # sync.identity_codes.ID_TYPES

    @property
    def masked_phone(self) -> str:
        return self.phone[:3] + "****" + self.phone[-4:]

    @property
    def masked_id(self) -> str:
        keep_head, keep_tail = (6, 4) if len(self.id_code) >= 15 else (2, 2)
        return (self.id_code[:keep_head] + "*" * (len(self.id_code) - keep_head - keep_tail)
                + self.id_code[-keep_tail:])

    def as_applicant(self, name) -> dict:
        """The citizen as a case's applicant (checked by ``sync.case_records``)."""
        return {"kind": "person", "name": name, "id_code": self.id_code, "phone": self.phone,
                **({"id_type": self.id_type} if self.id_type != RESIDENT_ID else {})}


@dataclass
class Citizens:
    """One site's citizens: its tables, its secret, and how it sends a code."""

    code_model: type
    session_model: type
    secret: bytes
    # send(phone, code, ttl_s, now_ms), called inside the transaction that stores the code
    send: Callable[[str, str, int, int], None]

    def _hash(self, phone: str, code: str) -> str:
        return hmac.new(self.secret, f"{phone}:{code}".encode(), hashlib.sha256).hexdigest()

    def request_code(self, phone: str, remote: str, now_ms: int, settings: dict) -> int:
        """Make and send a code to ``phone``; returns its lifetime in seconds.

        :raises ValidationError: not a mainland mobile number (``field`` phone).
        :raises TooManyRequests: too soon, too many for the number or from the address.
        """
        phone = str(phone or "").strip()
        if not PHONE.match(phone):
            raise ValidationError("phone: 请输入 11 位手机号码", field="phone")
        model = self.code_model
        with model._meta.database.atomic():
            last, today = (model.select(fn.MAX(model.created_ms), fn.COUNT(model.id))
                           .where((model.phone == phone) & (model.created_ms > now_ms - DAY_MS))
                           .tuples().get())
            wait_ms = (last or 0) + settings["citizen_code_resend_s"] * 1000 - now_ms
            if last is not None and wait_ms > 0:
                raise TooManyRequests(f"phone: 验证码已发送，请 {-(-wait_ms // 1000)} 秒后再试",
                                      retry_after=-(-wait_ms // 1000), field="phone")
            if today >= settings["citizen_codes_per_day"]:
                raise TooManyRequests("phone: 该号码今日获取验证码次数已达上限，请明天再试",
                                      retry_after=DAY_MS // 1000, field="phone")
            from_here = model.select().where((model.remote == remote)
                                             & (model.created_ms > now_ms - HOUR_MS)).count()
            if from_here >= settings["citizen_codes_per_address_hour"]:
                raise TooManyRequests("phone: 请求过于频繁，请稍后再试", retry_after=HOUR_MS // 1000,
                                  field="phone")
            code = f"{secrets.randbelow(10 ** 6):06d}"
            ttl_s = settings["citizen_code_ttl_s"]
            model.create(phone=phone, code_hash=self._hash(phone, code), remote=remote[:64],
                         created_ms=now_ms, expires_ms=now_ms + ttl_s * 1000)
            self.send(phone, code, ttl_s, now_ms)
        return ttl_s

    def log_in(self, phone: str, code: str, id_code: str, now_ms: int,
               settings: dict, id_type=RESIDENT_ID) -> tuple[str, Citizen]:
        """Check the code and the identity document (the resident ID unless ``id_type``
        names another); returns (cookie token, citizen).

        :raises ValidationError: a bad document (``field`` id_code or id_type), or the code is wrong
            (``CODE_INVALID``), expired or voided by wrong tries (``CODE_EXPIRED``).
        """
        phone, code = str(phone or "").strip(), str(code or "").strip()
        if not PHONE.match(phone):
            raise ValidationError("phone: 请输入 11 位手机号码", field="phone")
        id_type = id_type or RESIDENT_ID
        id_code = check_person_id(id_type, str(id_code or ""), field="id_code")
        model = self.code_model
        wrong = False
        with model._meta.database.atomic():
            row = (model.select().where((model.phone == phone) & model.used_ms.is_null())
                   .order_by(model.created_ms.desc(), model.id.desc()).first())
            if row is None:
                raise ValidationError("code: 请先获取验证码", field="code", code=Code.CODE_INVALID)
            if row.expires_ms <= now_ms or row.tries >= settings["citizen_code_max_tries"]:
                raise ValidationError("code: 验证码已失效，请重新获取", field="code",
                                      code=Code.CODE_EXPIRED)
            if hmac.compare_digest(row.code_hash, self._hash(phone, code)):
                model.update(used_ms=now_ms).where(model.id == row.id).execute()
                token = secrets.token_urlsafe(32)
                token_hash = hashlib.sha256(token.encode()).hexdigest()
                self.session_model.create(token_hash=token_hash, phone=phone, id_code=id_code,
                                          id_type=id_type, created_ms=now_ms, seen_ms=now_ms)
            else:
                # Counted, and committed before the refusal: a wrong try must stick.
                model.update(tries=model.tries + 1).where(model.id == row.id).execute()
                wrong = True
        if wrong:
            raise ValidationError("code: 验证码不正确", field="code", code=Code.CODE_INVALID)
        return token, Citizen(phone, id_code, token_hash, id_type)

    def session(self, token: str, now_ms: int, timeout_s: int) -> Citizen | None:
        """The citizen a cookie's token names, if its login is open and not idle too long."""
        if not token:
            return None
        model = self.session_model
        token_hash = hashlib.sha256(token.encode()).hexdigest()
        row = model.get_or_none(model.token_hash == token_hash)
        if row is None or row.ended_ms is not None or now_ms - row.seen_ms > timeout_s * 1000:
            return None
        model.update(seen_ms=now_ms).where(model.token_hash == token_hash).execute()
        return Citizen(row.phone, row.id_code, token_hash, row.id_type)

    def log_out(self, citizen: Citizen, now_ms: int) -> None:
        model = self.session_model
        model.update(ended_ms=now_ms).where(model.token_hash == citizen.token_hash).execute()
