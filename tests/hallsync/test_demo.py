"""``hallsync demo``: the day played once with its figures, and the sites served until Ctrl-C.

Real processes on loopback ports from the OS; the demo's data (and, when it
chooses, its temporary directory) under the test's ``tmp_path``.
"""
from __future__ import annotations

import queue
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests

from hallsync.demo_day import NODES
from tests.processes import ROOT, child_env, hallsync

pytestmark = pytest.mark.slow

FIGURES = re.compile(r"cases made at the windows today: (\d+); "
                     r"received as counted at the hub: (\d+)")
URL = re.compile(r"http://127\.0\.0\.1:\d+/\S*")


def test_once_plays_the_day_and_prints_the_consolidated_figures(tmp_path):
    data = tmp_path / "demo"
    out = hallsync("demo", "--once", "--data-dir", data, timeout=600).stdout
    made, counted = map(int, FIGURES.search(out).groups())
    # Two window cases, a handoff, a parallel approval and two 即办件 while offline.
    assert made == counted == 5
    assert "收件 5，受理 5，办结 5（即办 2），移交办理 2，好差评 3" in out
    assert "audit of every chain and signature: intact" in out
    assert "the same at all three centers: True" in out
    assert "runs catalog v2" in out and "event(s) wait at its node" in out
    assert "Ctrl-C" not in out  # --once does not serve
    assert (data / "hub").is_dir() and (data / "node-210102001" / "node.db").is_file()
    # Each street's appointment plan reached the hub: its online hall offers their slots.
    hub = sqlite3.connect(data / "hub" / "hub.db")
    planned = {c for (c,) in hub.execute("SELECT center FROM hub_appointment_plan")}
    hub.close()
    assert planned == set(NODES)


def _descendants(pid: int) -> set[int]:
    """Every live process below PID, read from /proc."""
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                after_name = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue  # gone meanwhile
            if after_name[0] != "Z":
                parents.setdefault(int(after_name[1]), []).append(int(entry.name))
    found, todo = set(), [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _lines(stream) -> tuple[queue.Queue, threading.Thread]:
    """The stream's lines as they come (None at its end), read by a thread so that the
    test can wait with a timeout."""
    lines: queue.Queue = queue.Queue()

    def read():
        for line in stream:
            lines.put(line)
        lines.put(None)
    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    return lines, reader


def _logs_in(site: str, username: str, password: str) -> bool:
    http = requests.Session()
    token = http.get(f"{site}api/csrf", timeout=10).json()["csrf_token"]
    answer = http.post(f"{site}login", allow_redirects=False, timeout=10, data={
        "username": username, "password": password, "csrf_token": token})
    return answer.status_code == 302


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_serves_until_ctrl_c_then_stops_every_process(tmp_path):
    # No --data-dir: the demo's own temporary directory, here under tmp_path.
    proc = subprocess.Popen([sys.executable, "-m", "hallsync", "demo"], cwd=ROOT, text=True,
                            env=child_env({"TMPDIR": str(tmp_path)}), stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    lines, reader = _lines(proc.stdout)
    out = []
    try:
        deadline = time.monotonic() + 600
        while not out or out[-1] != "Ctrl-C stops them all.\n":
            line = lines.get(timeout=max(1.0, deadline - time.monotonic()))
            assert line is not None, "".join(out)
            out.append(line)
        urls = URL.findall("".join(out[next(i for i, line in enumerate(out)
                                             if "serve until Ctrl-C" in line):]))
        assert len(urls) == 5  # the hub, the city's departments, three nodes
        for url in urls:  # a page, or the login page a node's status page sends one to
            answer = requests.get(url, timeout=10)
            assert answer.status_code == 200, url
        assert "/login" in requests.get(urls[-1], timeout=10).url
        text = "".join(out)
        operator = re.search(r"^ +operator +/ (\S+) +市中心管理员$", text, re.M)
        clerks = re.findall(r"^ +clerk +/ (\S+) +窗口受理人员$", text, re.M)
        assert operator and len(clerks) == 4  # the city's departments and the three nodes
        hub_url, city_url = urls[0], urls[1]
        assert city_url == f"{hub_url}city/"
        assert _logs_in(hub_url, "operator", operator[1])
        assert _logs_in(city_url, "clerk", clerks[0])
        assert _logs_in(urls[-1], "clerk", clerks[-1])
        started = _descendants(proc.pid)
        assert len(started) >= 5  # the hub (a server and its worker) and three one-process nodes

        began = time.monotonic()
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=20) == 0
        assert time.monotonic() - began < 20
        time.sleep(0.5)  # a worker whose server was killed notices its new parent in a moment
        assert not [pid for pid in started if _alive(pid)]
        assert not list(tmp_path.glob("hallsync-demo-*"))  # the temporary data went with it
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        reader.join(10)
        proc.stdout.close()
