"""Delivery reports from the SMS provider: ``POST /sms/v1/receipts``.

The provider POSTs a JSON list of reports, signed with the account's secret
(``sync.sms_api``). A report settles its message by our id, once: a duplicate
finds it settled and changes nothing; a report for a message still in doubt
settles it too (it was sent). An unsigned or badly signed body changes nothing.
"""
from __future__ import annotations

import orjson
from flask import Blueprint, current_app, jsonify, request

from hub.models import SmsMessage, database
from hub.sms.sender import DELIVERED, SENDING, SENT, UNDELIVERED
from sync import envelope as env
from sync import sms_api
from sync.errors import AuthError, Code, ValidationError
from web.auth import public, signed_api

bp = Blueprint("sms_receipts", __name__, url_prefix="/sms/v1")
MAX_REPORTS = 1000


def _reports(body: bytes) -> list[dict]:
    try:
        reports = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise ValidationError("body: must be a JSON list of reports", field="body") from None
    if not isinstance(reports, list) or len(reports) > MAX_REPORTS:
        raise ValidationError(f"body: must be a JSON list of at most {MAX_REPORTS} reports",
                              field="body")
    for i, r in enumerate(reports):
        if not (isinstance(r, dict) and isinstance(r.get("out_id"), str)
                and isinstance(r.get("success"), bool)):
            raise ValidationError(f"body[{i}]: needs out_id (string) and success (boolean)",
                                  field=f"body[{i}]")
    return reports


def settle(reports: list[dict], now_ms: int) -> dict:
    """Mark each reported message delivered or undelivered, once; say how many changed."""
    changed = 0
    with database.atomic():
        for status in (DELIVERED, UNDELIVERED):
            ids = [r["out_id"] for r in reports if r["success"] == (status == DELIVERED)]
            if ids:
                changed += SmsMessage.update(status=status, delivered_ms=now_ms).where(
                    SmsMessage.out_id.in_(ids)
                    & SmsMessage.status.in_([SENT, SENDING])).execute()
    return {"reports": len(reports), "settled": changed}


@bp.post("/receipts")
@public  # authenticated by the account's signature over the body, not a login
def receipts():
    secret = current_app.config["HALLSYNC"]["sms_access_key_secret"]
    signature = request.headers.get(sms_api.REPORT_SIGNATURE_HEADER, "")
    body = request.get_data()
    if not sms_api.verify(secret, signature, sms_api.sign_body(secret, body)):
        raise AuthError("delivery report: missing or wrong signature",
                        code=Code.SMS_REPORT_UNSIGNED)
    result = settle(_reports(body), env.now_ms())
    # The provider's convention: code 0 acknowledges the batch (it stops re-posting it).
    return jsonify({"code": 0, "msg": "成功", **result})


def init_app(app) -> None:
    signed_api(app, bp)
