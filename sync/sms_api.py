"""The SMS provider's HTTP conventions, shared by our adapter and the fake gateway.

Modelled on the public conventions of the large Chinese SMS APIs (no SDK of
theirs is used): a request is form fields signed with the account's secret;
``SendSms`` takes ``PhoneNumbers``, ``SignName`` (the approved 签名),
``TemplateCode`` (the approved template), ``TemplateParam`` (its parameters as
JSON) and ``OutId`` (our own id, returned in delivery reports and searchable);
the answer is JSON ``{"Code": "OK", "BizId": …}`` or another ``Code``.
``QuerySendDetails`` by ``OutId`` says whether and how a message was sent
(``SendStatus`` 1 waiting for its receipt, 2 failed, 3 delivered). Delivery
reports are POSTed to the account's callback URL as a JSON list, signed the
same way in a header.

Signing: base64 of HMAC-SHA256 with the secret over
``METHOD&PATH&`` + the fields (without ``Signature``) sorted by name,
percent-encoded (RFC 3986) and joined as ``k=v`` with ``&``.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
from urllib.parse import quote

SEND_PATH = "/sms/send"
QUERY_PATH = "/sms/query"
REPORT_SIGNATURE_HEADER = "X-Sms-Signature"
OK = "OK"
# SendStatus of QuerySendDetails
WAITING, FAILED, DELIVERED = 1, 2, 3
# Codes that refuse a message for good: retrying cannot change the answer.
PERMANENT = frozenset({"isv.MOBILE_NUMBER_ILLEGAL", "isv.SMS_TEMPLATE_ILLEGAL",
                       "isv.SMS_SIGNATURE_ILLEGAL", "isv.TEMPLATE_PARAMS_ILLEGAL",
                       "isv.TEMPLATE_MISSING_PARAMETERS", "isv.PARAM_LENGTH_LIMIT",
                       "isv.LINK_NOT_IN_TEMPLATE", "isv.BLACK_KEY_CONTROL_LIMIT"})


def _encode(value: str) -> str:
    return quote(str(value), safe="-_.~")


def string_to_sign(method: str, path: str, fields: dict) -> bytes:
    pairs = "&".join(f"{_encode(k)}={_encode(v)}" for k, v in sorted(fields.items())
                     if k != "Signature")
    return f"{method.upper()}&{_encode(path)}&{_encode(pairs)}".encode("utf-8")


def sign(secret: str, method: str, path: str, fields: dict) -> str:
    digest = hmac.new(secret.encode(), string_to_sign(method, path, fields), hashlib.sha256)
    return base64.b64encode(digest.digest()).decode("ascii")


def sign_body(secret: str, body: bytes) -> str:
    """The signature of a delivery report's body."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def verify(secret: str, signature: str, expected: str) -> bool:
    return bool(secret) and hmac.compare_digest(signature.encode(), expected.encode())
