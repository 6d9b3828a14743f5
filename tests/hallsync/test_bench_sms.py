"""``hallsync bench sms`` at a small size: every message delivered exactly once through faults."""
from __future__ import annotations

from tests.processes import hallsync, last_json


def test_bench_sms_delivers_each_message_exactly_once_through_faults(tmp_path):
    result = last_json(hallsync("bench", "sms", "--messages", "400", "--faults",
                                "timeout=0.05,error=0.1,delay_s=0.8", "--work-dir",
                                tmp_path / "work", "--json"))
    assert result["exactly_once"] is True
    assert result["messages"] == result["delivered"] == 400 and result["duplicates"] == 0
    assert result["timeouts_injected"] > 0 and result["errors_injected"] > 0
