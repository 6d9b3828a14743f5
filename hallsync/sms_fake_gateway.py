"""A fake SMS provider for the tests and the demo: a real HTTP server on loopback that
speaks ``sync.sms_api`` like the provider, and misbehaves on request.

It checks what a provider checks (the account's signature, an approved
signature and template, the parameters, a mobile number, no link outside the
template) and keeps every message it delivered, *without* removing duplicates
of an ``OutId`` (a real provider does not either), so a test can see whether
each of our ids went out exactly once (``GET /_fake/state``).

Faults, each at a rate from 0 to 1 (``--faults timeout=0.1,error=0.05,…``):

- ``timeout``: the message is delivered, the answer comes ``delay_s`` later
  (after the client gave up), so the sender cannot know it went out;
- ``error``: HTTP 500, nothing delivered;
- ``lost_receipt``: the delivery report is never posted;
- ``duplicate_receipt``: the delivery report is posted twice.

``POST /_fake/faults`` (JSON, the same names) changes them while it runs.
"""
from __future__ import annotations

import itertools
import json
import queue
import random
import threading
import time
from dataclasses import asdict, dataclass, fields
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl

import requests

from sync import sms_api, sms_templates
from sync.errors import ValidationError

RATES = ("timeout", "error", "lost_receipt", "duplicate_receipt")


@dataclass
class Faults:
    timeout: float = 0.0
    error: float = 0.0
    lost_receipt: float = 0.0
    duplicate_receipt: float = 0.0
    delay_s: float = 2.0  # how late a timed-out answer comes

    @classmethod
    def parse(cls, spec: str) -> "Faults":
        """``name=value,…``; every rate within 0..1."""
        values = {}
        for part in filter(None, (p.strip() for p in (spec or "").split(","))):
            name, _, raw = part.partition("=")
            if name not in {f.name for f in fields(cls)}:
                raise ValidationError(f"--faults: unknown fault {name!r}; known: "
                                      f"{', '.join(f.name for f in fields(cls))}", field="faults")
            try:
                value = float(raw)
            except ValueError:
                raise ValidationError(f"--faults: {name} needs a number (got {raw!r})",
                                      field="faults") from None
            if name in RATES and not 0 <= value <= 1 or value < 0:
                raise ValidationError(f"--faults: {name} must be within 0..1 (got {value})",
                                      field="faults")
            values[name] = value
        return cls(**values)


def _problem(kind, phone, params) -> str | None:
    """The provider's code refusing a message, as ``sms_templates.check`` words the reason."""
    reason = sms_templates.check(kind, phone, params)
    if reason is None:
        return None
    if reason.startswith("phone"):
        return "isv.MOBILE_NUMBER_ILLEGAL"
    if "link" in reason:
        return "isv.LINK_NOT_IN_TEMPLATE"
    if "longer than" in reason:
        return "isv.PARAM_LENGTH_LIMIT"
    return "isv.TEMPLATE_PARAMS_ILLEGAL"


class FakeGateway:
    """The provider's state: its account, approved signatures, deliveries and reports."""

    def __init__(self, access_key_id: str, secret: str, sign_names: set[str],
                 receipt_url: str = "", faults: Faults | None = None, seed: int = 0):
        self.access_key_id, self.secret, self.sign_names = access_key_id, secret, sign_names
        self.receipt_url = receipt_url
        self.faults = faults or Faults()
        self.random = random.Random(seed)
        self.lock = threading.Lock()
        self.deliveries: dict[str, list[dict]] = {}
        self.counts = {"requests": 0, "refused": 0, "errors_injected": 0,
                       "timeouts_injected": 0, "reports_posted": 0, "reports_lost": 0,
                       "reports_duplicated": 0, "report_posts_failed": 0}
        self.biz_ids = itertools.count(1)
        self.reports: queue.Queue = queue.Queue()
        self.stopping = threading.Event()

    # -- the provider's API
    def _authentic(self, path: str, form: dict) -> str | None:
        if form.get("AccessKeyId") != self.access_key_id:
            return "InvalidAccessKeyId.NotFound"
        if not sms_api.verify(self.secret, form.get("Signature", ""),
                              sms_api.sign(self.secret, "POST", path, form)):
            return "SignatureDoesNotMatch"
        return None

    def send(self, form: dict) -> tuple[int, dict, float]:
        """(HTTP status, body, seconds to wait before answering)."""
        denied = self._authentic(sms_api.SEND_PATH, form)
        if denied:
            return 403, {"Code": denied, "Message": "签名校验失败"}, 0
        template = sms_templates.BY_CODE.get(form.get("TemplateCode", ""))
        try:
            params = json.loads(form.get("TemplateParam", ""))
        except ValueError:
            params = None
        code = ("isv.SMS_TEMPLATE_ILLEGAL" if template is None else
                "isv.SMS_SIGNATURE_ILLEGAL" if form.get("SignName") not in self.sign_names else
                _problem(template.kind, form.get("PhoneNumbers"), params))
        with self.lock:
            self.counts["requests"] += 1
            if code:
                self.counts["refused"] += 1
                return 200, {"Code": code, "Message": "模板或参数不合规"}, 0
            roll = self.random.random()
            if roll < self.faults.error:
                self.counts["errors_injected"] += 1
                return 500, {"Code": "isp.SYSTEM_ERROR", "Message": "系统错误"}, 0
            late = roll < self.faults.error + self.faults.timeout
            biz_id = f"{next(self.biz_ids):012d}^0"
            self.deliveries.setdefault(form.get("OutId", ""), []).append(
                {"biz_id": biz_id, "phone": form["PhoneNumbers"],
                 "text": f"【{form['SignName']}】" + template.render(params),
                 "at": datetime.now(timezone.utc).isoformat(timespec="milliseconds")})
            self._report(form.get("OutId", ""), biz_id, form["PhoneNumbers"])
            if late:
                self.counts["timeouts_injected"] += 1
        return 200, {"Code": "OK", "Message": "OK", "BizId": biz_id,
                     "RequestId": f"fake-{biz_id}"}, self.faults.delay_s if late else 0

    def query(self, form: dict) -> tuple[int, dict]:
        denied = self._authentic(sms_api.QUERY_PATH, form)
        if denied:
            return 403, {"Code": denied, "Message": "签名校验失败"}
        with self.lock:
            sent = list(self.deliveries.get(form.get("OutId", ""), []))
        return 200, {"Code": "OK", "Message": "OK", "TotalCount": len(sent), "Details": [
            {"OutId": form.get("OutId"), "BizId": d["biz_id"], "PhoneNum": d["phone"],
             "SendStatus": sms_api.DELIVERED, "SendDate": d["at"], "Content": d["text"]}
            for d in sent]}

    # -- delivery reports
    def _report(self, out_id: str, biz_id: str, phone: str) -> None:
        """Queue the report of one delivery (under the lock), faults applied."""
        roll = self.random.random()
        if roll < self.faults.lost_receipt:
            self.counts["reports_lost"] += 1
            return
        report = {"phone_number": phone, "success": True, "err_code": "DELIVERED",
                  "err_msg": "用户接收成功", "biz_id": biz_id, "out_id": out_id,
                  "report_time": datetime.now(timezone.utc).isoformat(timespec="seconds")}
        self.reports.put(report)
        if roll < self.faults.lost_receipt + self.faults.duplicate_receipt:
            self.counts["reports_duplicated"] += 1
            self.reports.put(report)

    def post_reports(self) -> None:
        """Post queued reports in batches to the account's callback URL, until stopped."""
        session = requests.Session()
        while not self.stopping.is_set():
            try:
                batch = [self.reports.get(timeout=0.2)]
            except queue.Empty:
                continue
            while len(batch) < 200 and not self.reports.empty():
                batch.append(self.reports.get_nowait())
            if not self.receipt_url:
                continue
            body = json.dumps(batch, ensure_ascii=False).encode()
            for attempt in range(5):
                try:
                    reply = session.post(self.receipt_url, data=body, timeout=10, headers={
                        "Content-Type": "application/json",
                        sms_api.REPORT_SIGNATURE_HEADER: sms_api.sign_body(self.secret, body)})
                    if reply.status_code == 200:
                        with self.lock:
                            self.counts["reports_posted"] += len(batch)
                        break
                except requests.RequestException:
                    pass
                time.sleep(0.2 * (attempt + 1))
            else:
                with self.lock:
                    self.counts["report_posts_failed"] += len(batch)

    def state(self, full: bool) -> dict:
        with self.lock:
            duplicates = sorted(k for k, v in self.deliveries.items() if len(v) > 1)
            result = {"delivered": sum(map(len, self.deliveries.values())),
                      "messages": len(self.deliveries), "duplicates": duplicates,
                      "faults": asdict(self.faults), **self.counts}
            if full:
                result["deliveries"] = {k: list(v) for k, v in self.deliveries.items()}
        return result


def _handler(gateway: FakeGateway):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):  # quiet: tests read stdout for the address only
            pass

        def _answer(self, status: int, body: dict) -> None:
            data = json.dumps(body, ensure_ascii=False).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True  # a late answer: the client gave up already

        def do_GET(self):
            if self.path.split("?")[0] == "/_fake/state":
                return self._answer(200, gateway.state(full="full=1" in self.path))
            return self._answer(404, {"Code": "NotFound"})

        def do_POST(self):
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if self.path == "/_fake/faults":
                try:
                    changes = json.loads(raw or b"{}")
                    gateway.faults = Faults(**{**asdict(gateway.faults), **changes})
                except (ValueError, TypeError) as exc:
                    return self._answer(400, {"Code": "BadFaults", "Message": str(exc)})
                return self._answer(200, asdict(gateway.faults))
            form = dict(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))
            if self.path == sms_api.SEND_PATH:
                status, body, wait = gateway.send(form)
                if wait:
                    time.sleep(wait)
                return self._answer(status, body)
            if self.path == sms_api.QUERY_PATH:
                return self._answer(*gateway.query(form))
            return self._answer(404, {"Code": "NotFound"})
    return Handler


def serve(gateway: FakeGateway, host: str, port: int) -> ThreadingHTTPServer:
    """Bind (port 0: any free port) and start the report poster; call ``serve_forever``."""
    server = ThreadingHTTPServer((host, port), _handler(gateway))
    server.daemon_threads = True
    threading.Thread(target=gateway.post_reports, daemon=True, name="reports").start()
    return server
