"""A network that drops, delays, cuts, resets and duplicates: nothing lost, nothing doubled.

The proxy (``hallsync.bench.fault_proxy``) sits between real node processes and
a real hub; each fault is first shown to do what it says against a counting
HTTP server, then the whole world syncs through it.
"""
from __future__ import annotations

import http.server
import random
import resource
import threading
import time

import pytest
import requests

from hallsync.bench.fault_proxy import FAULTS, FaultProxy
from tests.faults.world import (DISTRICT, STREET, assert_exactly_once, hand_off, notify,
                                rounds, settle, sync_once, write)

pytestmark = pytest.mark.slow


class _Counting(http.server.BaseHTTPRequestHandler):
    seen: list = []

    def do_POST(self):  # noqa: N802 — the http.server name
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.seen.append(body)
        reply = b"x" * 5000
        self.send_response(200)
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, *args):
        pass


@pytest.fixture
def counting_server():
    _Counting.seen = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Counting)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


def _post(url: str) -> requests.Response:
    with requests.Session() as session:
        return session.post(url + "/x", data=b"hello", timeout=5)


@pytest.mark.parametrize("fault, reaches_server, answered", [
    ("clean", 1, True), ("drop_request", 0, False), ("drop_reply", 1, False),
    ("truncate", 1, False), ("reset", 1, False), ("delay", 1, True), ("duplicate", 2, True)])
def test_each_fault_does_what_it_says(counting_server, fault, reaches_server, answered):
    rate, faults = (0.0, FAULTS) if fault == "clean" else (1.0, (fault,))
    with FaultProxy(counting_server.server_address, rate=rate, faults=faults,
                    delay_s=0.3) as proxy:
        started = time.monotonic()
        try:
            response = _post(proxy.url)
            ok = response.status_code == 200 and len(response.content) == 5000
        except requests.RequestException:
            ok = False
        elapsed = time.monotonic() - started
        deadline = time.monotonic() + 3
        while len(_Counting.seen) < reaches_server and time.monotonic() < deadline:
            time.sleep(0.02)
    assert ok is answered
    assert _Counting.seen == [b"hello"] * reaches_server
    assert proxy.counts[fault] == 1
    if fault == "delay":
        assert elapsed >= 0.6  # the request and the reply each waited


def test_the_proxy_serves_a_process_with_many_files_open(counting_server, tmp_path):
    """A long test run holds descriptors above 1023, which ``select.select`` refuses:
    every connection through the proxy failed then, and a whole fault test with it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < 1200:
        pytest.skip(f"this machine allows {hard} open files")
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, 1200), hard))
    held = []
    try:
        while len(held) < 1100 and (not held or held[-1].fileno() < 1100):
            held.append(open(tmp_path / "held", "a"))
        with FaultProxy(counting_server.server_address) as proxy:
            response = _post(proxy.url)
        assert response.status_code == 200 and len(response.content) == 5000
        assert _Counting.seen == [b"hello"]
    finally:
        for file in held:
            file.close()
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def test_the_world_syncs_through_a_faulty_network(hub, make_node):
    with FaultProxy(("127.0.0.1", hub.port), seed=13) as proxy:
        street, district = make_node(STREET), make_node(DISTRICT)
        for node in (street, district):
            node.enroll(hub, via=proxy.url)
            node.sync()  # the catalog, before any work
        write(street, 3000)
        write(district, 2000)
        numbers = hand_off(street, 3)
        notices = len(notify(hub, 40))
        rng = random.Random(13)
        # Every fault for certain, one round each, then random ones at a high rate.
        plan = [(1.0, (fault,)) for fault in FAULTS] + [(0.6, FAULTS)] * rounds(4, 40)
        for rate, faults in plan:
            proxy.set(rate=rate, faults=faults)
            for node in (street, district):
                write(node, rng.randint(1, 300))
                sync_once(node)
            numbers += hand_off(street, 1)
            notices += len(notify(hub, rng.randint(0, 20)))
        assert all(proxy.counts[fault] for fault in FAULTS), proxy.counts
        proxy.set(rate=0.0)
        settle([street, district])
        checked = assert_exactly_once(hub, [street, district], handoffs=numbers,
                                      notices=notices)
    assert checked["handoffs"] == len(plan) + 3
