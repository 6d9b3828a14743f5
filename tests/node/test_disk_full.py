"""Point 9 of issue 13: a node whose disk fills up says so clearly, and keeps its data.

The disk is real: a small tmpfs mounted for the test and filled with a file, so SQLite
meets the ENOSPC a full disk gives (SQLITE_FULL). A size limit on the process
(RLIMIT_FSIZE) would not do: SQLite reports that as an I/O error, not a full disk.
The command line ends with ``error: STORAGE_FULL: …`` and status 2; the API answers a
507 problem; a page says it in Chinese, in the site's frame. Nothing half-written stays:
after space is freed the node's chain audits intact and its work goes on.
"""
from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import uuid

import pytest
import requests

from hub import db as hub_db
from hub.ledger import stream
from node import store
from node.users import add_user
from sync import envelope as env
from sync.signing import KeyPair
from tests.node.test_case_api import INTAKE
from tests.processes import HubServer, NodeDir, hallsync, last_json, node_run

CENTER = "210102"
PASSWORD = "correct horse"


@pytest.fixture
def small_disk(tmp_path):
    """A 4 MiB filesystem of its own (tmpfs), unmounted after the test."""
    mount_point = tmp_path / f"disk-{uuid.uuid4().hex[:6]}"
    mount_point.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root (the project's machines and CI run as "
                    "root)")
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount_point)],
                   check=True)
    yield mount_point
    subprocess.run(["umount", "-l", str(mount_point)], check=True)


def fill(disk, name: str, leave: int = 0) -> None:
    """Write a file on ``disk`` until no more than ``leave`` bytes are free."""
    with open(disk / name, "ab") as filler:
        while True:
            free = shutil.disk_usage(disk).free - leave
            if free <= 0:
                return
            try:
                filler.write(b"\0" * min(free, 1 << 16))
                filler.flush()
            except OSError:
                return


@pytest.fixture
def full_node(tmp_path, small_disk):
    """An enrolled, synced node whose data directory sits on the small disk; the hub."""
    hub = HubServer(tmp_path / "hub-data", f"sqlite:///{tmp_path / 'hub-data' / 'hub.db'}")
    hub.data_dir.mkdir(parents=True)
    hub.start()
    staged = NodeDir(tmp_path / "staged", CENTER)
    staged.enroll(hub)
    staged.sync()  # the catalog
    store.bind(staged.data_dir)
    add_user("clerk1", PASSWORD, ["clerk"], now_ms=env.now_ms())
    store.database.close()
    with sqlite3.connect(staged.data_dir / "node.db") as db:  # the WAL into the file
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    node = NodeDir(small_disk / "node", CENTER)
    shutil.copytree(staged.data_dir, node.data_dir,
                    ignore=shutil.ignore_patterns("node.db-wal", "node.db-shm"))
    yield hub, node, small_disk
    hub.stop()


def audit_intact(node: NodeDir) -> dict:
    result = last_json(hallsync("audit", "verify", "--data-dir", node.data_dir, "--json"))
    assert result["intact"], result
    return result


def test_the_command_line_says_the_disk_is_full_and_keeps_the_data(full_node):
    hub, node, disk = full_node
    before = node.status()
    events_before = audit_intact(node)["events"]
    database = hub_db.bind(hub.db_url)
    stream.publish(KeyPair.load(hub.data_dir / "hub.key"), "*", "notice",
                   {"title": "停电通知", "body": "各中心：" + "本周六机房检修。" * 40_000})  # ~1 MB
    database.close()
    fill(disk, "filler", leave=200_000)  # room to open the database, not for the notice

    result = node.sync(check=False)
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("error: STORAGE_FULL: ")
    assert "Traceback" not in result.stderr

    (disk / "filler").unlink()
    assert audit_intact(node)["events"] == events_before
    assert node.status()["pull_cursor"] == before["pull_cursor"]
    assert node.sync()["pulled"] >= 1  # with space again, the notice arrives
    assert audit_intact(node)["events"] > events_before


def login(url: str) -> requests.Session:
    session = requests.Session()
    token = session.get(url + "/api/csrf", timeout=30).json()["csrf_token"]
    answer = session.post(url + "/login", data={"username": "clerk1", "password": PASSWORD,
                                                "csrf_token": token},
                          timeout=30, allow_redirects=False)
    assert answer.status_code == 302, answer.text
    session.headers["X-CSRFToken"] = session.get(url + "/api/csrf", timeout=30).json()[
        "csrf_token"]
    return session


def test_the_api_and_the_pages_say_the_disk_is_full_and_keep_the_data(full_node, tmp_path):
    hub, node, disk = full_node
    with node_run(node.data_dir, tmp_path / "node.log") as url:
        clerk = login(url)
        fill(disk, "filler")  # not a byte left
        created, refused = [], None
        for _ in range(300):  # until the WAL's own spare room is used up too
            answer = clerk.post(url + "/api/cases", json=INTAKE, timeout=30)
            if answer.status_code != 201:
                refused = answer
                break
            created.append(answer.json()["number"])
        assert refused is not None and refused.status_code == 507, refused.text
        problem = refused.json()
        assert problem["code"] == "STORAGE_FULL" and problem["status"] == 507

        form = {"matter_code": INTAKE["matter_code"], "applicant_kind": "enterprise",
                "applicant_name": INTAKE["applicant"]["name"],
                "applicant_id_code": INTAKE["applicant"]["id_code"],
                "applicant_phone": INTAKE["applicant"]["phone"],
                "materials": INTAKE["materials"], "outcome": "accept", "step": "decide",
                "csrf_token": clerk.headers["X-CSRFToken"]}
        page = clerk.post(url + "/window/intake", data=form, timeout=30,
                          headers={"Accept": "text/html"})
        assert page.status_code == 507
        assert "本机磁盘空间已满" in page.text and "STORAGE_FULL" in page.text
        assert "Traceback" not in page.text and "Internal Server Error" not in page.text

        (disk / "filler").unlink()
        listed = clerk.get(url + "/api/cases", timeout=30).json()
        assert listed["count"] == len(created)  # every case acknowledged is there, no other
        assert {case["number"] for case in listed["cases"]} <= set(created)
        again = clerk.post(url + "/api/cases", json=INTAKE, timeout=30)
        assert again.status_code == 201
    assert "Traceback" not in (tmp_path / "node.log").read_text()
    audit_intact(node)
