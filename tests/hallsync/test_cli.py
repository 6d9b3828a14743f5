"""The command-line contract operators and scripts rely on."""
from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from tests.processes import hallsync, last_json


def test_help_lists_the_groups():
    out = hallsync("--help").stdout
    for group in ("hub", "node", "centers", "audit", "bench", "demo"):
        assert f"  {group} " in out


def test_centers_lists_the_topology_as_json():
    everything = last_json(hallsync("centers", "--json"))
    assert everything["count"] == 209
    streets = last_json(hallsync("centers", "--level", "street", "--json"))
    assert streets["count"] == 189
    assert all(c["level"] == "street" and c["parent"] for c in streets["centers"])
    text = hallsync("centers", "--level", "district").stdout
    assert "和平区政务服务中心" in text and len(text.splitlines()) == 14


def test_json_is_one_object_on_the_last_line(hub):
    result = hub.cli("status", "--json")
    body = orjson.loads(result.stdout.strip().splitlines()[-1])
    assert body["centers_enrolled"] == 0 and body["events_held"] == 0


def test_token_for_an_unknown_center_is_a_clear_error(hub):
    result = hub.cli("enroll-token", "999999", check=False)
    assert result.returncode == 2 and "CENTER_UNKNOWN" in result.stderr


def test_enroll_token_prints_the_token_alone_on_its_last_line(hub):
    token = hub.cli("enroll-token", "210102001").stdout.strip().splitlines()[-1]
    center, hub_key_id, secret = token.split(".")
    assert center == "210102001" and len(hub_key_id) == 16 and len(secret) >= 32


def test_bad_setting_names_the_field(tmp_path):
    result = hallsync("node", "sync", "--data-dir", tmp_path, check=False,
                      env={"HALLSYNC_PUSH_INTERVAL_S": "0"})
    assert result.returncode == 2 and "push_interval_s: must be > 0" in result.stderr


def last_error_line(result) -> str:
    """The last line on stderr: ``error: CODE: detail``, as the README promises."""
    assert result.returncode == 2, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr, result.stderr
    return result.stderr.strip().splitlines()[-1]


def test_audit_verify_of_a_directory_holding_no_site_is_an_error(tmp_path):
    """A mistyped DIR must not become a new, empty hub reported intact."""
    empty = tmp_path / "empty"
    empty.mkdir()
    for data_dir in (tmp_path / "typo", empty):
        line = last_error_line(hallsync("audit", "verify", "--data-dir", data_dir, check=False))
        assert line.startswith("error: CONFIG_INVALID: data_dir: holds neither a node"), line
    elsewhere = f"sqlite:///{tmp_path / 'elsewhere.db'}"  # a mistyped --db
    line = last_error_line(hallsync("audit", "verify", "--data-dir", empty, "--db", elsewhere,
                                    check=False))
    assert line.startswith("error: CONFIG_INVALID: database_url: holds no hub"), line
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["empty"]  # nothing made


def cut_short(path: Path) -> None:
    """Half of a database file, as a full disk or an interrupted copy leaves it."""
    for leftover in (path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        leftover.unlink(missing_ok=True)
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


@pytest.mark.parametrize("site", ["hub", "node"])
def test_a_truncated_or_foreign_database_file_is_a_clear_error(tmp_path, site):
    db_file = tmp_path / f"{site}.db"
    hallsync(site, "status", "--data-dir", tmp_path, check=False)  # makes the database
    cut_short(db_file)
    line = last_error_line(hallsync(site, "status", "--data-dir", tmp_path, check=False))
    assert line.startswith("error: DATABASE_DAMAGED: ") and "malformed" in line, line
    db_file.write_text("not a database at all\n" * 100)
    line = last_error_line(hallsync(site, "status", "--data-dir", tmp_path, check=False))
    assert line.startswith("error: DATABASE_DAMAGED: "), line


@pytest.mark.parametrize("command", [("hub", "status"), ("audit", "verify")])
def test_an_unreachable_postgresql_is_a_clear_error(tmp_path, command):
    result = hallsync(*command, "--data-dir", tmp_path, "--db", "postgresql://127.0.0.1:1/x",
                      check=False)
    line = last_error_line(result)
    assert line.startswith("error: DATABASE_UNAVAILABLE: ") and "port 1" in line, line


@pytest.mark.parametrize("args, expected", [
    (["hub", "run", "--port", "70000"], "error: CONFIG_INVALID: port: must be a TCP port"),
    (["hub", "run", "--port", "-1"], "error: CONFIG_INVALID: port: must be a TCP port"),
    (["hub", "run", "--workers", "-2"], "error: CONFIG_INVALID: workers: must be > 0"),
    (["hub", "run", "--workers", "0"], "error: CONFIG_INVALID: workers: must be > 0"),
    (["hub", "run", "--port", "many"], "error: VALIDATION_FAILED: Invalid value for '--port'"),
    (["hub", "catalog", "diff", "1"], "error: VALIDATION_FAILED: Missing argument 'NEW'"),
    (["bench", "ingest", "--events", "-5"], "error: VALIDATION_FAILED: Invalid value for '--events'"),
    (["bench", "stats", "--cases", "-5"], "error: VALIDATION_FAILED: Invalid value for '--cases'"),
])
def test_bad_numbers_on_the_command_line_are_clear_errors(tmp_path, args, expected):
    site = [] if args[0] == "bench" else ["--data-dir", tmp_path]
    result = hallsync(*args, *site, check=False, timeout=60)
    assert result.returncode == 2
    line = last_error_line(result)
    assert line.startswith(expected), line
