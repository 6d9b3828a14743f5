"""``hallsync node import``: past cases checked through the state machine, written all or
nothing, shown like the window's own, skipped on a second run, and synced to the hub."""
from __future__ import annotations

import datetime
import os
import shutil
import subprocess
import sys

import orjson
import pytest

from hub import db as hub_db
from hub.models import HubCase
from node import store
from node.models import Case, CaseAction, KeyProjectCase, OutboxEvent, database
from sync.case_clock import CHINA
from tests.node.test_window import (  # noqa: F401  (app, at, seed: fixtures)
    CENTER, ENTERPRISE, Staff, act, app, at, everything, new_case, seed)
from tests.processes import ROOT, child_env, hallsync, last_json

EXAMPLE = ROOT / "config" / "examples" / "import.jsonl"
EXAMPLE_CSV = ROOT / "config" / "examples" / "import.csv"
STATES = {"210102-20261102-00001": "completed",        # 即办件, evaluated
          "210102-20261102-00002": "delivered",        # promised: review, approval, delivery
          "210102-20261103-00001": "in_approval",      # supplement round, special procedure
          "210102-20261104-00001": "not_accepted",
          "210102-20261104-00002": "withdrawn",
          "210102-20261105-00001": "delivered"}        # suspended, returned, refused, evaluated
STEPS = sum(len(orjson.loads(line)["steps"]) for line in EXAMPLE.read_text().splitlines())


@pytest.fixture
def node_dir(seed, tmp_path):
    data_dir = tmp_path / "imported"  # beside the ``app`` fixture's copy ("node")
    shutil.copytree(seed, data_dir)
    return data_dir


def run_import(data_dir, path, check: bool = True):
    return hallsync("node", "import", path, "--data-dir", data_dir, "--json", check=check)


def counts(data_dir) -> tuple[int, int, int]:
    store.bind(data_dir)
    with database.connection_context():
        return (Case.select().count(), CaseAction.select().count(),
                OutboxEvent.select().count())


def test_the_example_imports_and_a_second_run_imports_nothing(node_dir):
    before = counts(node_dir)
    first = last_json(run_import(node_dir, EXAMPLE))
    assert (first["cases_imported"], first["cases_skipped"]) == (6, 0)
    assert first["events_written"] == 6 + STEPS and first["cases_per_s"] > 0
    after = counts(node_dir)
    assert after == (before[0] + 6, before[1] + STEPS, before[2] + 6 + STEPS)
    second = run_import(node_dir, EXAMPLE)
    assert (last_json(second)["cases_imported"], last_json(second)["cases_skipped"]) == (0, 6)
    assert counts(node_dir) == after
    plain = hallsync("node", "import", EXAMPLE, "--data-dir", node_dir)
    assert "nothing to import: all 6 cases" in plain.stdout


def test_a_terminal_sees_the_progress_and_stdout_keeps_its_json(node_dir):
    """On a terminal the import draws its bar on stderr; stdout is the same JSON as piped."""
    terminal, screen = os.openpty()
    try:
        done = subprocess.run([sys.executable, "-m", "hallsync", "node", "import", str(EXAMPLE),
                               "--data-dir", str(node_dir), "--json"], stdout=subprocess.PIPE,
                              stderr=screen, env=child_env(), cwd=ROOT, timeout=120, check=True)
        os.close(screen)
        drawn = b""
        while chunk := _read(terminal):
            drawn += chunk
    finally:
        os.close(terminal)
    assert "导入办件" in drawn.decode() and "6/6" in drawn.decode()
    assert orjson.loads(done.stdout.splitlines()[-1])["cases_imported"] == 6
    piped = run_import(node_dir, EXAMPLE)  # piped: nothing drawn
    assert "导入办件" not in piped.stderr


def _read(fd: int) -> bytes:
    try:
        return os.read(fd, 65536)
    except OSError:  # the terminal's other end closed: all read
        return b""


def test_imported_cases_show_in_the_pages_and_the_api(node_dir):
    run_import(node_dir, EXAMPLE)
    from node.app import create_app
    clerk = Staff(create_app({"data_dir": str(node_dir), "TESTING": True}), "clerk")
    for number, state in STATES.items():
        case = clerk.get(f"/api/cases/{number}").get_json()
        assert case["state"] == state, number
        assert clerk.get(f"/window/cases/{number}").status_code == 200
    delivered = clerk.get("/api/cases/210102-20261102-00002").get_json()
    assert [h["action"] for h in delivered["history"]] == [
        "receive", "accept", "start_review", "submit_for_approval", "decide", "deliver",
        "evaluate"]
    assert [h["user"] for h in delivered["history"]][:3] == ["wang", "wang", "li"]
    assert delivered["document_number"] == "沈电审〔2026〕18号"
    assert delivered["evaluation"]["level"] == "satisfied"
    listed = {c["number"] for c in clerk.get("/api/cases").get_json()["cases"]}
    assert set(STATES) & listed


def test_the_csv_form_imports_the_same_cases(node_dir):
    result = last_json(run_import(node_dir, EXAMPLE_CSV))
    assert (result["cases_imported"], result["events_written"]) == (2, 2 + 8)
    store.bind(node_dir)
    with database.connection_context():
        states = dict(Case.select(Case.number, Case.state).tuples())
    assert states["210102-20261102-00001"] == "completed"
    assert states["210102-20261102-00002"] == "delivered"


def payloads(data_dir, number: str) -> list[tuple[str, dict]]:
    store.bind(data_dir)
    with database.connection_context():
        return [(type_, orjson.loads(payload)) for type_, payload in
                OutboxEvent.select(OutboxEvent.type, OutboxEvent.payload)
                .where(OutboxEvent.record == f"case:{number}").order_by(OutboxEvent.seq).tuples()]


def rate(app, number: str, data: dict) -> None:
    from node import evaluation
    with database.connection_context():
        token = evaluation.open_pad(number, "210102")
        evaluation.submit(store.load_keys(app.config["HALLSYNC"]["data_dir"]), "210102",
                          evaluation.token_hash(token), data)


def test_an_imported_case_writes_the_events_a_window_would(app, at, node_dir, tmp_path):
    """The same history taken live at the window and imported: the same payloads."""
    # the window's intake form always sends a reason, empty when none is given
    steps = [("accept", "clerk", {"reason": ""}), ("start_review", "reviewer", {}),
             ("submit_for_approval", "reviewer", {}),
             ("decide", "approver", {"outcome": "approved", "document_number": "沈电审〔2026〕9号"}),
             ("deliver", "clerk", {"method": "window"}),
             ("evaluate", "applicant", {"level": "basically_satisfied"})]
    # step i at minute i: the intake accepts at the moment of receipt (minute 0)
    times = [datetime.datetime(2026, 11, 2, 9, minute, tzinfo=CHINA) for minute in range(6)]
    at(times[0])
    number = new_case(app, "accept")
    for when, (action, role, data) in zip(times[1:], steps[1:]):
        at(when)
        if action == "evaluate":  # the applicant's own, on the window's pad
            rate(app, number, data)
        else:
            act(app, number, action, role, data)
    live = payloads(app.config["HALLSYNC"]["data_dir"], number)
    line = {"number": number, "matter_code": "SY04001", "applicant": ENTERPRISE,
            "materials": everything(), "received_at": times[0].isoformat(),
            "received_by": "clerk",
            "steps": [{"action": action, "role": role,
                       "user": "申请人" if role == "applicant" else role, "at": when.isoformat(),
                       "data": data} for when, (action, role, data) in zip(times, steps)]}
    path = tmp_path / "one.jsonl"
    path.write_bytes(orjson.dumps(line) + b"\n")
    run_import(node_dir, path)
    # Past cases carry no query-code hash: 4 ms of PBKDF2 each would slow an import of
    # millions by hours, and the receiving center still answers their progress (docs/import.md).
    assert "query_hash" in live[0][1]
    del live[0][1]["query_hash"]
    assert payloads(node_dir, number) == live


def _bad(line: dict) -> dict:
    line = orjson.loads(orjson.dumps(line))
    steps = line["steps"]
    return {"matter": {**line, "matter_code": "SY99999"},
            "backwards": {**line, "steps": [steps[0], {**steps[1],
                                                        "at": "2026-11-02T08:00:00+08:00"}]},
            "transition": {**line, "steps": [steps[0], {**steps[3]}]},
            "future": {**line, "steps": [steps[0], {**steps[1],
                                                     "at": "2099-01-05T09:00:00+08:00"}]},
            "applicant": {**line, "applicant": {**line["applicant"],
                                                "id_code": "91210100MA0Q123431"}},
            "other_center": {**line, "number": "210103-20261102-00002"},
            "role": {**line, "steps": [steps[0], {**steps[1], "role": "clerk"}]},
            "misspelt": {**line, "steps": [steps[0], {**steps[1], "usr": "li"}]}}


@pytest.mark.parametrize("kind, code, field", [
    ("matter", "MATTER_UNKNOWN", "matter_code"),
    ("backwards", "VALIDATION_FAILED", "steps[1].at"),
    ("transition", "CONFLICT", "steps[1].action"),
    ("future", "VALIDATION_FAILED", "steps[1].at"),
    ("applicant", "VALIDATION_FAILED", "applicant.id_code"),
    ("other_center", "VALIDATION_FAILED", "number"),
    ("role", "VALIDATION_FAILED", "steps[1].role"),
    ("misspelt", "VALIDATION_FAILED", "steps[1].usr"),
])
def test_a_bad_line_is_named_and_nothing_is_written(node_dir, tmp_path, kind, code, field):
    lines = EXAMPLE.read_text().splitlines()
    lines[1] = orjson.dumps(_bad(orjson.loads(lines[1]))[kind]).decode()
    path = tmp_path / "bad.jsonl"
    path.write_text("\n".join(lines) + "\n")
    before = counts(node_dir)
    result = run_import(node_dir, path, check=False)
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.startswith(f"error: {code}: line 2: {field}: "), result.stderr
    assert counts(node_dir) == before


def test_the_hub_holds_imported_cases_in_the_same_states(hub, make_node):
    node = make_node(CENTER)
    node.enroll(hub)
    node.sync()  # the catalog
    last_json(run_import(node.data_dir, EXAMPLE))
    pushed = node.sync()
    assert pushed["errors"] == []
    database_ = hub_db.bind(hub.db_url)
    try:
        copies = {row.number: (row.state, row.actions, row.center)
                  for row in HubCase.select().where(HubCase.number.in_(list(STATES)))}
    finally:
        database_.close()
    lines = [orjson.loads(line) for line in EXAMPLE.read_text().splitlines()]
    assert copies == {line["number"]: (STATES[line["number"]], len(line["steps"]), CENTER)
                      for line in lines}


def test_a_csv_step_error_names_its_row_and_a_repeated_number_its_line(node_dir, tmp_path):
    rows = EXAMPLE_CSV.read_text().splitlines()
    rows[5] = rows[5].replace("submit_for_approval,reviewer", "submit_for_approval,clerk")
    bad = tmp_path / "bad.csv"
    bad.write_text("\n".join(rows) + "\n")
    result = run_import(node_dir, bad, check=False)
    assert result.returncode == 2
    assert result.stderr.startswith("error: VALIDATION_FAILED: line 6: steps[2].role: ")
    twice = tmp_path / "twice.jsonl"
    first = EXAMPLE.read_text().splitlines()[0]
    twice.write_text(f"{first}\n{first}\n")
    result = run_import(node_dir, twice, check=False)
    assert result.stderr.startswith("error: VALIDATION_FAILED: line 2: number: "), result.stderr
    assert result.returncode == 2


def test_a_key_project_link_is_imported_as_intake_records_it(node_dir, tmp_path):
    hallsync("node", "projects", "load", ROOT / "config" / "key_projects.example.toml",
             "--data-dir", node_dir)
    line = {"number": "210102-20261102-00009", "matter_code": "SY11006",
            "applicant": orjson.loads(EXAMPLE.read_text().splitlines()[1])["applicant"],
            "received_at": "2026-11-02T10:00:00+08:00",
            "key_project": {"year": 2026, "code": "ZD2026-001", "step": 1}, "steps": []}
    path = tmp_path / "linked.jsonl"
    path.write_text(orjson.dumps(line).decode() + "\n")
    assert last_json(run_import(node_dir, path))["cases_imported"] == 1
    (kind, received), = payloads(node_dir, line["number"])
    assert kind == "case.received" and received["green_channel"] is True
    assert received["key_project"]["code"] == "ZD2026-001"
    assert received["key_project"]["investment_wan"] == 86000
    with database.connection_context():
        assert KeyProjectCase.get(KeyProjectCase.number == line["number"]).step == 1

    unknown = {**line, "number": "210102-20261102-00010",
               "key_project": {"year": 2026, "code": "ZD2026-999", "step": 1}}
    path.write_text(orjson.dumps(unknown).decode() + "\n")
    refused = run_import(node_dir, path, check=False)
    assert refused.returncode == 2
    assert refused.stderr.startswith("error: VALIDATION_FAILED: line 1: key_project.code: ")
