"""The command-line contract operators and scripts rely on."""
from __future__ import annotations

import orjson

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
