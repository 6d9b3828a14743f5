"""Waiting for a started server and stopping it (``hallsync.child_processes``), with real
child processes on loopback ports."""
from __future__ import annotations

import subprocess
import sys
import time

import pytest

from hallsync.child_processes import NotAnswering, free_port, stop, wait_until_answers

# Listens at once but answers only after DELAY s, first with 503 then 200: as a gunicorn
# master holds connections while its workers start, then a hub answers before it is ready.
LATE_SERVER = """
import sys, time
from http.server import BaseHTTPRequestHandler, HTTPServer
port, delay = int(sys.argv[1]), float(sys.argv[2])
server = HTTPServer(("127.0.0.1", port), None, bind_and_activate=True)
answered = []
class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        answered.append(1)
        print(self.headers.get("Connection"), flush=True)
        self.send_response(503 if len(answered) == 1 else 200)
        self.send_header("Content-Length", "0")
        self.end_headers()
    def log_message(self, *args):
        pass
server.RequestHandlerClass = Handler
time.sleep(delay)
server.serve_forever()
"""
IGNORES_SIGTERM = "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); " \
                  "print('ready', flush=True); time.sleep(60)"


@pytest.fixture
def late_server():
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-c", LATE_SERVER, str(port), "2.5"],
                            stdout=subprocess.PIPE, text=True)
    yield f"http://127.0.0.1:{port}/", proc
    stop(proc)
    proc.stdout.close()


def test_a_server_that_holds_the_connection_past_the_read_timeout_is_waited_for(late_server):
    url, proc = late_server
    start = time.monotonic()
    wait_until_answers(url, proc, 20)
    assert time.monotonic() - start >= 2.4


def test_waiting_for_a_status_waits_past_other_answers(late_server):
    url, proc = late_server
    wait_until_answers(url, proc, 20, status=200)  # its first answer is a 503


def test_the_probe_leaves_no_connection_open(late_server):
    # A kept-alive probe would hold a stopping gunicorn worker for its linger, seconds.
    url, proc = late_server
    wait_until_answers(url, proc, 20, status=200)
    assert [proc.stdout.readline(), proc.stdout.readline()] == ["close\n", "close\n"]


def test_a_server_that_exits_first_is_named_at_once():
    proc = subprocess.Popen([sys.executable, "-c", "raise SystemExit(3)"])
    start = time.monotonic()
    with pytest.raises(NotAnswering, match="exited with 3"):
        wait_until_answers(f"http://127.0.0.1:{free_port()}/", proc, 20)
    assert time.monotonic() - start < 10


def test_a_server_that_never_answers_fails_after_the_timeout():
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        with pytest.raises(NotAnswering, match="did not answer within 1 s"):
            wait_until_answers(f"http://127.0.0.1:{free_port()}/", proc, 1)
    finally:
        stop(proc)


def test_stop_terminates_what_listens_and_kills_what_does_not():
    polite = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    stubborn = subprocess.Popen([sys.executable, "-c", IGNORES_SIGTERM], stdout=subprocess.PIPE)
    assert stubborn.stdout.readline() == b"ready\n"  # its SIGTERM handler is in place
    start = time.monotonic()
    stop(polite, stubborn, timeout=1)
    assert polite.returncode == -15 and stubborn.returncode == -9
    assert time.monotonic() - start < 10
    stubborn.stdout.close()
