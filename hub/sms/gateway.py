"""The SMS provider interface, and its adapter for a Chinese SMS API (``sync.sms_api``).

A provider does two things: send one message under our id, and say what became
of a message with our id. The sender never retries a send whose answer it did
not get without asking first (``query``): a timeout may hide a message that was
sent, and sending it again would reach the citizen twice.
"""
from __future__ import annotations

import datetime
import secrets
from dataclasses import dataclass
from typing import Protocol

import orjson
import requests

from sync import sms_api
from sync.errors import Code, TransportError


class GatewayUnavailable(TransportError):
    """The provider did not answer clearly (timeout, refused connection, 5xx, a reply we
    cannot read): whether it sent the message is unknown until it is asked."""

    code = Code.SMS_GATEWAY_UNAVAILABLE
    title = "SMS gateway unavailable"


@dataclass(frozen=True)
class Outgoing:
    out_id: str
    phone: str
    template_code: str
    params: dict


@dataclass(frozen=True)
class Answer:
    """The provider's clear answer to a send: accepted (with its id) or refused."""

    accepted: bool
    biz_id: str = ""
    code: str = ""
    message: str = ""

    @property
    def permanent(self) -> bool:
        return not self.accepted and self.code in sms_api.PERMANENT


@dataclass(frozen=True)
class Found:
    """What the provider knows of a message it holds under our id."""

    biz_id: str
    send_status: int  # sms_api.WAITING | FAILED | DELIVERED


class Gateway(Protocol):
    def send(self, message: Outgoing) -> Answer:
        """:raises GatewayUnavailable: no clear answer (the message may have been sent)."""

    def query(self, out_id: str, phone: str) -> Found | None:
        """None: the provider never took a message with this id.
        :raises GatewayUnavailable: it cannot tell now."""


class HttpGateway:
    """The adapter: signed form posts to the provider's ``SendSms`` and ``QuerySendDetails``."""

    def __init__(self, url: str, access_key_id: str, secret: str, sign_name: str,
                 timeout_s: float, pool: int = 8):
        self.url = url.rstrip("/")
        self.access_key_id = access_key_id
        self.secret = secret
        self.sign_name = sign_name
        self.timeout_s = timeout_s
        self.session = requests.Session()
        adapter = requests.adapters.HTTPAdapter(pool_connections=1, pool_maxsize=pool)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)

    @classmethod
    def from_settings(cls, settings: dict) -> "HttpGateway":
        return cls(settings["sms_gateway_url"], settings["sms_access_key_id"],
                   settings["sms_access_key_secret"], settings["sms_sign_name"],
                   settings["sms_timeout_s"], pool=settings["sms_concurrency"])

    def _post(self, path: str, fields: dict) -> dict:
        fields = {**fields, "AccessKeyId": self.access_key_id,
                  "Timestamp": datetime.datetime.now(datetime.timezone.utc)
                  .strftime("%Y-%m-%dT%H:%M:%SZ"),
                  "SignatureNonce": secrets.token_hex(16)}
        fields["Signature"] = sms_api.sign(self.secret, "POST", path, fields)
        try:
            reply = self.session.post(self.url + path, data=fields, timeout=self.timeout_s)
        except requests.RequestException as exc:
            raise GatewayUnavailable(f"{path}: {exc.__class__.__name__}", original=exc) from None
        if reply.status_code >= 500:
            raise GatewayUnavailable(f"{path}: HTTP {reply.status_code}")
        try:
            body = orjson.loads(reply.content)
        except orjson.JSONDecodeError as exc:
            raise GatewayUnavailable(f"{path}: HTTP {reply.status_code}, not JSON",
                                     original=exc) from None
        if not isinstance(body, dict) or not isinstance(body.get("Code"), str):
            raise GatewayUnavailable(f"{path}: HTTP {reply.status_code}, no Code in the reply")
        return body

    def send(self, message: Outgoing) -> Answer:
        body = self._post(sms_api.SEND_PATH, {
            "PhoneNumbers": message.phone, "SignName": self.sign_name,
            "TemplateCode": message.template_code,
            "TemplateParam": orjson.dumps(message.params).decode(), "OutId": message.out_id})
        if body["Code"] == sms_api.OK:
            return Answer(True, biz_id=str(body.get("BizId", "")))
        return Answer(False, code=body["Code"], message=str(body.get("Message", "")))

    def query(self, out_id: str, phone: str) -> Found | None:
        body = self._post(sms_api.QUERY_PATH, {"OutId": out_id, "PhoneNumber": phone})
        if body["Code"] != sms_api.OK:
            raise GatewayUnavailable(f"query {out_id}: {body['Code']} {body.get('Message', '')}")
        details = body.get("Details") or []
        if not details:
            return None
        first = details[0]
        return Found(str(first.get("BizId", "")), int(first.get("SendStatus", sms_api.WAITING)))
