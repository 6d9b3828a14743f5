"""The fake SMS gateway as a real process (``hallsync sms fake-gateway``), for the tests."""
from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass, field

import requests

from tests.processes import ROOT, child_env, stop

SECRET = "sms-test-secret-0123456789abcdef"
SIGN_NAME = "沈阳政务服务"


def sms_settings(url: str, **overrides) -> dict:
    """The hub's SMS settings pointing at a fake gateway (as ``hub.settings`` names them)."""
    return {"sms_gateway_url": url, "sms_access_key_id": "hallsync",
            "sms_access_key_secret": SECRET, "sms_sign_name": SIGN_NAME, "sms_interval_s": 0.5,
            "sms_batch": 200, "sms_concurrency": 8, "sms_timeout_s": 2.0,
            "sms_per_number_hour": 5, "sms_per_number_day": 10, "sms_quiet_hours": "",
            "sms_receipt_wait_s": 600, **overrides}


@dataclass
class FakeGateway:
    faults: str = ""
    receipt_url: str = ""
    seed: int = 1
    proc: subprocess.Popen | None = None
    url: str = ""
    extra: list = field(default_factory=list)

    def start(self) -> "FakeGateway":
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "hallsync", "sms", "fake-gateway", "--port", "0",
             "--access-key-secret", SECRET, "--faults", self.faults, "--seed", str(self.seed),
             "--receipt-url", self.receipt_url, *self.extra],
            env=child_env(), cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True)
        line = self.proc.stdout.readline()
        if "listening on" not in line:
            self.stop()
            raise AssertionError(f"fake gateway did not start: {line}")
        self.url = line.strip().rsplit(" ", 1)[-1]
        return self

    def state(self, full: bool = False) -> dict:
        return requests.get(self.url + "/_fake/state" + ("?full=1" if full else ""),
                            timeout=10).json()

    def set_faults(self, **faults) -> dict:
        return requests.post(self.url + "/_fake/faults", json=faults, timeout=10).json()

    def stop(self) -> None:
        if self.proc is not None:
            stop(self.proc)
            self.proc.stdout.close()
            self.proc.stderr.close()
