"""Reporting periods: a day, month, quarter, year or custom range, and the one before it.

``Period.parse("month", "2026-10")`` is October 2026; its ``previous()`` is
September. A custom range's previous period is the same number of days just
before it. ``Period.split`` cuts a range into whole months and the days left
over, which is how ``hub.stats.figures`` reads the monthly and daily rollups.
"""
from __future__ import annotations

import dataclasses
import datetime
import re

from sync.errors import ValidationError

KINDS = {"day": "日", "month": "月", "quarter": "季度", "year": "年", "range": "自定义"}
# kind → (pattern, how a person is told to write it)
_FORMS = {"day": (re.compile(r"(\d{4})-(\d{2})-(\d{2})"), "年-月-日，例如 2026-11-05"),
          "month": (re.compile(r"(\d{4})-(\d{2})"), "年-月，例如 2026-11"),
          "quarter": (re.compile(r"(\d{4})-Q([1-4])"), "年-Q季度，例如 2026-Q4"),
          "year": (re.compile(r"(\d{4})"), "四位数的年份，例如 2026")}
ONE_DAY = datetime.timedelta(days=1)


@dataclasses.dataclass(frozen=True)
class Period:
    kind: str
    start: datetime.date
    end: datetime.date

    @classmethod
    def parse(cls, kind: str, text: str) -> "Period":
        """The period of ``kind`` that ``text`` names; ``ValidationError`` names the field."""
        if kind not in _FORMS:
            raise ValidationError(f"period: 周期应为日、月、季度或年，实际为 {kind!r}",
                                  field="period")
        pattern, shape = _FORMS[kind]
        found = pattern.fullmatch(text or "")
        try:
            if not found:
                raise ValueError(text)
            numbers = [int(part) for part in found.groups()]
            if kind == "day":
                day = datetime.date(*numbers)
                return cls(kind, day, day)
            if kind == "month":
                return cls.of_month(numbers[0], numbers[1])
            if kind == "quarter":
                first = cls.of_month(numbers[0], 3 * numbers[1] - 2)
                return cls(kind, first.start, cls.of_month(numbers[0], 3 * numbers[1]).end)
            return cls(kind, datetime.date(numbers[0], 1, 1), datetime.date(numbers[0], 12, 31))
        except ValueError:
            raise ValidationError(f"date: 按{KINDS[kind]}查看时应写作{shape}；填写的是 {text!r}",
                                  field="date") from None

    @classmethod
    def of_month(cls, year: int, month: int) -> "Period":
        start = datetime.date(year, month, 1)
        following = datetime.date(year + month // 12, month % 12 + 1, 1)
        return cls("month", start, following - ONE_DAY)

    @classmethod
    def custom(cls, start: datetime.date, end: datetime.date) -> "Period":
        if end < start:
            raise ValidationError("end: 结束日期不能早于开始日期", field="end")
        return cls("range", start, end)

    @classmethod
    def current(cls, kind: str, today: datetime.date) -> "Period":
        """The ``kind`` period containing ``today``."""
        if kind not in _FORMS:
            return cls.parse(kind, "")  # raises, naming the field
        text = {"day": today.isoformat(), "month": today.isoformat()[:7],
                "quarter": f"{today.year}-Q{(today.month - 1) // 3 + 1}",
                "year": str(today.year)}[kind]
        return cls.parse(kind, text)

    def whole(self) -> bool:
        """Whether it is the entire day, month, quarter or year (not cut at today)."""
        return self.kind == "range" or Period.current(self.kind, self.start) == self

    def to_date(self, today: datetime.date) -> "Period":
        """The part that has happened by ``today`` of a period still running, else itself."""
        if self.start <= today < self.end:
            return dataclasses.replace(self, end=today)
        return self

    def previous(self) -> "Period":
        """The period of the same kind just before (a custom range: as many days); of a
        period cut at today, as many days from the start of the one before (like with
        like: 1–2 December beside 1–2 November, not all of November)."""
        before = self.start - ONE_DAY
        if self.kind == "range":
            return Period("range", self.start - (self.end - self.start) - ONE_DAY, before)
        full = Period.current(self.kind, before)
        if self.whole():
            return full
        return Period(self.kind, full.start, min(full.start + (self.end - self.start), full.end))

    def year_before(self) -> "Period":
        """The same days a year earlier (29 February: the 28th); a whole month, quarter or
        year: the whole one a year earlier."""
        start, end = _year_earlier(self.start), _year_earlier(self.end)
        if self.kind != "range" and self.whole():
            return Period.current(self.kind, start)
        return Period(self.kind, start, end)

    def label(self) -> str:
        """How a Chinese page names it: 2026年10月, 2026年第4季度, 2026年12月（1日至2日）…"""
        s, e = self.start, self.end
        if not self.whole():
            days = (f"{s.day}日至{e.day}日" if s.month == e.month
                    else f"{s.month}月{s.day}日至{e.month}月{e.day}日")
            return f"{Period.current(self.kind, s).label()}（{days}）"
        if self.kind == "day":
            return f"{s.year}年{s.month}月{s.day}日"
        if self.kind == "month":
            return f"{s.year}年{s.month}月"
        if self.kind == "quarter":
            return f"{s.year}年第{(s.month - 1) // 3 + 1}季度"
        if self.kind == "year":
            return f"{s.year}年"
        return f"{s.isoformat()} 至 {self.end.isoformat()}"

    @staticmethod
    def split(start: datetime.date, end: datetime.date
              ) -> tuple[list[str], list[tuple[datetime.date, datetime.date]]]:
        """(whole months as YYYY-MM, contiguous; day ranges left over before and after)."""
        months, days = [], []
        day = start
        while day <= end:
            month = Period.of_month(day.year, day.month)
            if day == month.start and month.end <= end:
                months.append(day.isoformat()[:7])
                day = month.end + ONE_DAY
            else:
                last = min(month.end, end)
                if days and days[-1][1] + ONE_DAY == day:
                    days[-1] = (days[-1][0], last)
                else:
                    days.append((day, last))
                day = last + ONE_DAY
        return months, days


def _year_earlier(day: datetime.date) -> datetime.date:
    if day.month == 2 and day.day == 29:
        return datetime.date(day.year - 1, 2, 28)
    return day.replace(year=day.year - 1)


def _day(args, *names: str) -> datetime.date | None:
    for name in names:
        raw = args.get(name)
        if raw:
            try:
                return datetime.date.fromisoformat(raw)
            except ValueError:
                raise ValidationError(f"{name}: 日期应写作年-月-日，例如 2026-11-05；填写的是 {raw!r}",
                                      field=name) from None
    return None


def period_from(args, today: datetime.date) -> Period:
    """``period=day|month|quarter|year`` and ``date=`` (default: the current one),
    or a custom ``start=&end=`` (also spelled ``from=&to=``)."""
    start, end = _day(args, "start", "from"), _day(args, "end", "to")
    if start or end:
        return Period.custom(start or today.replace(day=1), end or today)
    kind = args.get("period") or "month"
    if kind == "range":  # 自定义 chosen on a page, its two days left empty
        raise ValidationError("start: 自定义周期请填写起止日期，例如 2026-11-01 至 2026-11-30",
                              field="start")
    return Period.parse(kind, args["date"]) if args.get("date") else Period.current(kind, today)
