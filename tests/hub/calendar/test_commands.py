"""``hallsync hub calendar list|apply``: signed calendar versions, on SQLite and PostgreSQL.

The commands open the hub's database as an operator would, with no server running.
"""
from __future__ import annotations

import pytest

from hub import db as hub_db
from hub.models import CalendarVersion, HubMessage
from sync.calendar import load_calendar
from tests.calendar_files import NEXT_YEAR, SHIPPED, first_weekdays, with_next_year, write
from tests.processes import HubServer, last_json

NEW_YEARS_DAY = first_weekdays(NEXT_YEAR, 1)


@pytest.fixture
def hub_dir(tmp_path, hub_db_url):
    """A hub's data directory and database, as its first command initialises them."""
    return HubServer(tmp_path / "hub-data", hub_db_url)


def versions(hub) -> list[dict]:
    return last_json(hub.cli("calendar", "list", "--json"))["versions"]


def stream_length(hub) -> int:
    database = hub_db.bind(hub.db_url)
    try:
        return HubMessage.select().count()
    finally:
        database.close()


def test_the_first_version_is_the_shipped_calendar(hub_dir):
    shipped = load_calendar()
    [first] = versions(hub_dir)
    assert first["version"] == 1 and first["digest"] == shipped.fingerprint
    assert first["years"] == [shipped.first_year, shipped.last_year] and first["applied_at"]
    text = hub_dir.cli("calendar", "list").stdout
    assert f"v1    {shipped.fingerprint}  {shipped.first_year}–{shipped.last_year}" in text


def test_a_new_year_is_the_next_signed_version(hub_dir, tmp_path):
    versions(hub_dir)  # the seed
    before = stream_length(hub_dir)
    applied = last_json(hub_dir.cli("calendar", "apply",
                                    write(tmp_path, "cal.toml", with_next_year(NEW_YEARS_DAY)),
                                    "--json"))
    assert applied["version"] == 2 and applied["years"][1] == NEXT_YEAR
    listed = versions(hub_dir)
    assert [v["version"] for v in listed] == [1, 2] and listed[1]["digest"] == applied["digest"]
    assert listed[1]["digest"] != listed[0]["digest"]
    assert stream_length(hub_dir) == before + 1  # sent to every center
    database = hub_db.bind(hub_dir.db_url)
    try:
        message = HubMessage.select().order_by(HubMessage.id.desc()).get()
        stored = CalendarVersion.get(CalendarVersion.version == 2)
    finally:
        database.close()
    assert (message.recipient, message.type) == ("*", "calendar.version")
    assert message.payload == stored.body and '"sig":' in stored.body


BROKEN = [  # (what the file says, the field the error names)
    (with_next_year([f"{NEXT_YEAR}-13-01"]), f"years.{NEXT_YEAR}.holidays[0]"),
    (with_next_year([]).replace("workdays = []", f'workdays = ["{NEW_YEARS_DAY[0]}"]'),
     f"years.{NEXT_YEAR}.workdays[0]"),
    (with_next_year(NEW_YEARS_DAY) + "holidayz = []\n", f"years.{NEXT_YEAR}.holidayz"),
    (SHIPPED + f"\n[years.{NEXT_YEAR + 1}]\nholidays = []\nworkdays = []\n", "years"),
    (SHIPPED + "\n[years.2027\n", "calendar"),
]


@pytest.mark.parametrize("text, field", BROKEN, ids=["bad-date", "weekday-workday",
                                                    "unknown-key", "gap", "not-toml"])
def test_a_mistake_names_its_field_and_changes_nothing(hub_dir, tmp_path, text, field):
    versions(hub_dir)
    before = stream_length(hub_dir)
    result = hub_dir.cli("calendar", "apply", write(tmp_path, "bad.toml", text), check=False)
    assert result.returncode == 2
    assert result.stderr.startswith(f"error: CONFIG_INVALID: {field}: "), result.stderr
    assert [v["version"] for v in versions(hub_dir)] == [1]
    assert stream_length(hub_dir) == before


@pytest.mark.parametrize("hub_db_url", ["sqlite"], indirect=True)
def test_a_version_that_is_not_newer_is_refused(hub_dir, tmp_path):
    same = hub_dir.cli("calendar", "apply", write(tmp_path, "same.toml", SHIPPED + "\n# 注释\n"),
                       check=False)
    assert same.returncode == 2 and same.stderr.startswith("error: CONFLICT: ")
    assert "与第 1 版完全相同" in same.stderr
    hub_dir.cli("calendar", "apply", write(tmp_path, "new.toml", with_next_year(NEW_YEARS_DAY)))
    older = hub_dir.cli("calendar", "apply", write(tmp_path, "old.toml", SHIPPED), check=False)
    assert older.returncode == 2 and older.stderr.startswith("error: VALIDATION_FAILED: years: ")
    assert f"第 2 版已含 2004–{NEXT_YEAR} 年" in older.stderr
    assert [v["version"] for v in versions(hub_dir)] == [1, 2]
