"""A center's generated history for ``hallsync simulate``: raw cases in the historical
import's format (docs/import.md), each with the figures it adds, so what the nodes
generated can be counted without reading anything back.

Each case lives one life in the article's proportions: 即办率 83 % of completed
cases, 99.9 % of accepted cases completed (the rest are still under review when the
period ends), some asked to supplement at intake (一次性告知补正) or paused for a
supplement during review, some evaluated (好差评). The center's share of the
article's enterprise registrations (企业设立登记, with their registered capital) are
approved 承诺件 of ``SY24001``. Every step happens inside the period, so a report
over the period counts each case whole. Generation is deterministic (seeded by
center and chunk), so an interrupted run makes the very same cases again.
"""
from __future__ import annotations

import datetime
import random
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

from hallsync.bench.case_mix import APPLICANTS, BAD_REVIEW_COMMENT, EVALUATION_SHARES
from sync.case_results import REGISTERED_CAPITAL_MATTERS
from sync.matter_dates import Eras, exists_on

IMMEDIATE_RATE = 0.83      # 即办件 ÷ 办结件 (after the reform)
OPEN_SHARE = 0.001         # accepted, not completed by the period's end: 办结率 99.9 %
SUPPLEMENT_SHARE = 0.25    # of the promised cases: asked to supplement at intake
SUSPENDED_SHARE = 0.15     # of the promised cases: paused for a supplement in review
EVALUATED_SHARE = 0.3      # 主动评价率
LAST_STEP_DAYS = 4         # a promised case's steps span this many days after receipt
ENTERPRISE = APPLICANTS[1]
# The figures the simulation compares, counted here and read back from the hub.
COUNTED = ("received", "accepted", "completed", "completed_immediately", "promised_days",
           "enterprises_registered", "registered_capital", "projects_over_100m",
           "investment", "handed_off", "evaluated")


@dataclass(frozen=True)
class Quota:
    """What one center generates: its cases, and how many are enterprise registrations
    with their capitals (万元, one per registration)."""

    center: str
    cases: int
    capitals: tuple[int, ...] = ()
    investments: tuple[int, ...] = ()  # one key project of ≥ 1 亿元 each (万元)
    seed: int = 0


def spread(total: int, parts: int) -> list[int]:
    """``total`` split into ``parts`` whole shares differing by at most one."""
    return [total // parts + (i < total % parts) for i in range(parts)]


def amounts(count: int, total_wan: int, rng: random.Random, least: int = 1) -> list[int]:
    """``count`` sums of money (万元, each ≥ ``least``) varying around their mean, adding
    up to ``total_wan`` exactly: registered capitals, project investments."""
    if count == 0:
        return []
    least = min(least, total_wan // count)
    weights = [rng.uniform(0.2, 1.8) for _ in range(count)]
    scale = (total_wan - least * count) / sum(weights)
    values = [least + int(w * scale) for w in weights]
    values[-1] += total_wan - sum(values)  # the rounding's remainder
    return values


class History:
    """Raw import cases of one center over ``start`` … ``end``, in day order."""

    def __init__(self, quota: Quota, immediate: list[dict], promised: list[dict],
                 start: datetime.date, end: datetime.date):
        self.quota, self.start, self.end = quota, start, end
        # A case's matter is one that existed on its day (sync.matter_dates): none of the
        # matters created after the reform history is generated before its date.
        self.immediate, self.promised = Eras(immediate), Eras(promised)
        self.registration = next((m for m in promised
                                  if m["basic_code"] in REGISTERED_CAPITAL_MATTERS
                                  and exists_on(m, start)), None)
        if quota.capitals and self.registration is None:
            raise ValueError(f"center {quota.center} cannot register enterprises")
        self.days = (end - start).days + 1
        # Registrations and key projects are spread evenly through the center's cases.
        step = max(1, quota.cases // max(1, len(quota.capitals)))
        self.registrations = {i * step: c for i, c in enumerate(quota.capitals)}
        step = max(1, quota.cases // max(1, len(quota.investments)))
        self.projects: dict[int, tuple[int, int]] = {}
        for n, money in enumerate(quota.investments):
            i = (n * step + step // 2) % quota.cases
            while i in self.registrations or i in self.projects:  # one role per case
                i = (i + 1) % quota.cases
            self.projects[i] = (n, money)
        existing = self.promised.on(start)
        self.project_matter = next((m for m in existing if m["green_channel"]), existing[0])

    def day_of(self, i: int) -> datetime.date:
        return self.start + datetime.timedelta(days=i * self.days // self.quota.cases)

    def project_lists(self) -> dict[int, dict]:
        """Each year's key-project list for the node (``node.projects.load``): one project
        per linked case, a single step of ``project_matter``."""
        lists: dict[int, dict] = {}
        for i, (n, money) in sorted(self.projects.items()):
            day = self.day_of(i)
            year = lists.setdefault(day.year, {"year": day.year, "projects": []})
            year["projects"].append({
                "code": self._project_code(n), "name": f"模拟重点项目 {self.quota.center}-{n}",
                "owner": {"name": ENTERPRISE["name"], "credit_code": ENTERPRISE["id_code"]},
                "investment_wan": money, "start_date": day.isoformat(), "limit_days": 30,
                "steps": [{"matter": self.project_matter["basic_code"],
                           "department": self.project_matter["department"],
                           "responsible": "模拟责任人", "days": 10}]})
        return lists

    def _project_code(self, n: int) -> str:
        return f"SIM-{self.quota.center}-{n:04d}"  # the hub counts a project by year/code

    def cases(self, first: int, last: int) -> Iterator[tuple[dict, Counter]]:
        """Cases ``first`` … ``last - 1`` of the center: (raw case, figures it adds)."""
        rng = random.Random(f"{self.quota.seed}/{self.quota.center}/{first}")
        for i in range(first, last):
            yield self._case(i, rng)

    def _case(self, i: int, rng: random.Random) -> tuple[dict, Counter]:
        day = self.day_of(i)
        # The day's own counter: cases of a day are consecutive indices.
        first_of_day = -(-((day - self.start).days * self.quota.cases) // self.days)
        seq = i - first_of_day + 1
        at = datetime.datetime.combine(day, datetime.time(9), tzinfo=_CHINA) \
            + datetime.timedelta(minutes=(seq * 7) % 400)
        counts = Counter(received=1)
        capital, project = self.registrations.get(i), self.projects.get(i)
        if project is not None:
            raw = self._receipt(self.project_matter, ENTERPRISE, at, day, seq)
            raw["key_project"] = {"year": day.year, "code": self._project_code(project[0]),
                                  "step": 1}
            steps = []
            self._promised(raw, steps, rng, "accepted", None, counts)
            counts.update(projects_over_100m=1, investment=project[1])
        elif capital is not None:
            raw, steps = self._receipt(self.registration, ENTERPRISE, at, day, seq), []
            self._promised(raw, steps, rng, "accepted", capital, counts)
        elif rng.random() < OPEN_SHARE:
            raw, steps = self._receipt(rng.choice(self.promised.on(day)), rng.choice(APPLICANTS),
                                       at, day, seq), []
            self._promised(raw, steps, rng, "open", None, counts)
        elif rng.random() < IMMEDIATE_RATE:
            matter = rng.choice(self.immediate.on(day))
            raw = self._receipt(matter, rng.choice(APPLICANTS), at, day, seq)
            del raw["_matter"]
            steps = [_step("complete_immediate", "clerk", at, 15,
                           {"outcome": "approved", "document_number": f"沈即〔{day.year}〕{i}号"})]
            counts.update(accepted=1, completed=1, completed_immediately=1,
                          promised_days=matter["promised_limit_days"])
        else:
            matter = self._promised_matter(rng, day)
            raw, steps = self._receipt(matter, rng.choice(APPLICANTS), at, day, seq), []
            life = rng.random()
            kind = ("supplement" if life < SUPPLEMENT_SHARE else
                    "suspended" if life < SUPPLEMENT_SHARE + SUSPENDED_SHARE else "accepted")
            self._promised(raw, steps, rng, kind, None, counts)
        if counts["completed"] and rng.random() < EVALUATED_SHARE:
            steps.append(_evaluation(rng, _last_at(steps)))
            counts["evaluated"] += 1
        raw["steps"] = steps
        return raw, counts

    def _promised_matter(self, rng: random.Random, day: datetime.date) -> dict:
        # Registrations come from the quota alone: the article's count stays exact.
        while True:
            matter = rng.choice(self.promised.on(day))
            if matter["basic_code"] not in REGISTERED_CAPITAL_MATTERS:
                return matter

    def _receipt(self, matter: dict, applicant: dict, at: datetime.datetime,
                 day: datetime.date, seq: int) -> dict:
        return {"number": f"{self.quota.center}-{day:%Y%m%d}-{seq:05d}",
                "matter_code": matter["basic_code"], "applicant": applicant,
                "channel": "window", "materials": [m["name"] for m in matter["materials"]],
                "received_at": at.isoformat(), "received_by": "wang", "_matter": matter}

    def _promised(self, raw: dict, steps: list, rng: random.Random, kind: str,
                  capital: int | None, counts: Counter) -> None:
        """A 承诺件's steps: accepted (after a supplement at intake when ``kind`` says so),
        reviewed (paused once if ``suspended``), decided and delivered; ``open`` stops
        after the review starts."""
        matter, at = raw.pop("_matter"), datetime.datetime.fromisoformat(raw["received_at"])
        # Near the period's end every step happens on the day of receipt.
        day = 1 if at.date() + datetime.timedelta(days=LAST_STEP_DAYS) <= self.end else 0
        required = [m["name"] for m in matter["materials"] if m["required"]]
        if kind == "supplement" and required:
            raw["materials"] = [n for n in raw["materials"] if n != required[0]]
            steps += [_step("request_supplement", "clerk", at, 3, {"missing": [required[0]]}),
                      _step("supplement_in", "clerk", at, 60 + 1440 * day)]
        steps.append(_step("accept", "clerk", at, 70 + 1440 * day))
        steps.append(_step("start_review", "reviewer", at, 80 + 1440 * 2 * day))
        counts.update(accepted=1, promised_days=matter["promised_limit_days"])
        if kind == "open":
            return
        if kind == "suspended":
            steps += [_step("suspend_supplement", "reviewer", at, 90 + 1440 * 2 * day,
                            {"missing": [matter["materials"][0]["name"]]}),
                      _step("supplement_in", "clerk", at, 100 + 1440 * 3 * day)]
        decision = {"outcome": "approved", "document_number": f"沈审〔{at.year}〕{raw['number'][-5:]}号"}
        if capital is not None:
            decision["registered_capital"] = capital
            counts.update(enterprises_registered=1, registered_capital=capital)
        steps += [_step("submit_for_approval", "reviewer", at, 110 + 1440 * 3 * day),
                  _step("decide", "approver", at, 120 + 1440 * 3 * day, decision),
                  _step("deliver", "clerk", at, 130 + 1440 * LAST_STEP_DAYS * day,
                        {"method": "window"})]
        counts["completed"] += 1


_CHINA = datetime.timezone(datetime.timedelta(hours=8))


def _step(action: str, role: str, received: datetime.datetime, minutes: int,
          data: dict | None = None) -> dict:
    return {"action": action, "role": role,
            "user": {"clerk": "wang", "reviewer": "li", "approver": "zhao"}[role],
            "at": (received + datetime.timedelta(minutes=minutes)).isoformat(),
            "data": data or {}}


def _last_at(steps: list[dict]) -> datetime.datetime:
    return datetime.datetime.fromisoformat(steps[-1]["at"])


def _evaluation(rng: random.Random, after: datetime.datetime) -> dict:
    level = rng.choices(list(EVALUATION_SHARES), weights=list(EVALUATION_SHARES.values()))[0]
    data = {"level": level}
    if level in ("dissatisfied", "very_dissatisfied"):
        data["comment"] = BAD_REVIEW_COMMENT
    return {"action": "evaluate", "role": "clerk", "user": "wang",
            "at": (after + datetime.timedelta(minutes=1)).isoformat(), "data": data}
