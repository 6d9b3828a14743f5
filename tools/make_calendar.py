"""Write ``config/calendar.toml`` from the ``chinese_calendar`` package.

Run once per package release, review the diff, and commit the TOML as data::

    python -m tools.make_calendar > config/calendar.toml

The TOML, not the package, is what hub and node read at run time: it keeps
working after the package's last year and can be edited by hand when the
State Council publishes a new schedule before the package catches up.
"""
from __future__ import annotations

import datetime
import sys
from collections.abc import Iterator

from chinese_calendar import constants

HEADER = """\
# China's working-day calendar: statutory holidays (法定节假日) and make-up
# workdays (调休上班), one table per year. This file is the hub's first calendar
# version; the hub sends each later version to every center itself (signed, on the
# pull stream), so there is nothing to copy to the centers by hand.
#
# Generated from the `chinesecalendar` package by
#     python -m tools.make_calendar > config/calendar.toml
# and then kept as data: edit it by hand when needed.
#
# Rules (checked at load time; a mistake names the field, e.g. years.2027.holidays[3]):
#   - holidays: days off that would otherwise be weekdays (Mon-Fri). Weekend
#     days inside a holiday break need not be listed (listing them is harmless).
#   - workdays: Saturdays or Sundays that are working days because of 调休.
#   - every date is "YYYY-MM-DD", lies in its table's year, and appears once;
#     no date may be both a holiday and a workday.
#   - years must be contiguous. A year not in this file is computed as
#     Monday-Friday, and every deadline that touches it is marked provisional.
#
# Adding a new year (the State Council usually publishes it in November, as
# 国务院办公厅关于{year}年部分节假日安排的通知, on www.gov.cn/zhengce/):
#   1. add a [years.YYYY] table at the end with the weekday holidays and the
#      weekend make-up workdays from the notice, the holiday name as a comment;
#   2. run the calendar tests: .venv/bin/python -m pytest tests/sync/test_calendar.py
#   3. publish it at the hub: hallsync hub calendar apply config/calendar.toml
#      --data-dir DIR; every center applies it at its next sync, and the open
#      cases' provisional deadlines are counted again (hallsync hub calendar list,
#      and the hub's /catalog/consistency page, show who runs which version).
# Once `chinesecalendar` covers that year too, regenerating must give the same table.
"""


def _names() -> dict[str, str]:
    """English holiday name (the package's key) -> '中文 English' comment."""
    return {h.value: f"{h.chinese} {h.value}" for h in constants.Holiday}


def _years() -> range:
    days = list(constants.holidays) + list(constants.workdays)
    return range(min(days).year, max(days).year + 1)


def _array(key: str, days: dict[datetime.date, str], year: int, suffix: str) -> Iterator[str]:
    names = _names()
    rows = sorted(d for d in days if d.year == year)
    if not rows:
        yield f"{key} = []"
        return
    yield f"{key} = ["
    for day in rows:
        yield f'  "{day.isoformat()}",  # {names.get(days[day], days[day])}{suffix}'
    yield "]"


def render() -> str:
    """The whole TOML text, deterministic for a given package version."""
    lines = [HEADER.rstrip("\n"), ""]
    weekday_holidays = {d: n for d, n in constants.holidays.items() if d.weekday() < 5}
    for year in _years():
        lines.append(f"[years.{year}]")
        lines.extend(_array("holidays", weekday_holidays, year, ""))
        lines.extend(_array("workdays", constants.workdays, year, " 调休上班"))
        lines.append("")
    return "\n".join(lines)


def main() -> None:
    sys.stdout.write(render())


if __name__ == "__main__":
    main()
