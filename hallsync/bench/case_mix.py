"""The case mix of a center's windows, made through the node's own code.

Each case lives one life, chosen in the article's proportions: 即办率 83 %, so most
cases are immediate matters completed at the window; the rest are promised
matters accepted, reviewed, approved and delivered, some asked to supplement at
intake (一次性告知补正) or paused for a supplement during review, and, at a street,
some collected for the district that decides them (收件后移交, with the
applicant's consent). Some completed cases are then evaluated (好差评).

Every step goes through ``node.cases.intake`` / ``node.cases.act``, so each event
is the node's own: stored, chained and signed as a clerk's action would be. The
bench makes the mix before it times anything; a simulation can reuse ``CaseMix``.
"""
from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass

import orjson

from node import cases, evaluation, outbox, store
from node.case_log import Actor
from node.models import CatalogMatter, database
from sync.case_labels import BAD_REVIEWS
from sync.case_results import REGISTERED_CAPITAL_MATTERS
from sync.catalog_scope import acceptance
from sync.topology import load_topology

# Share of cases living each life (即办率 18 % → 83 % after the reform).
LIFE_SHARES = {"immediate": 0.83, "promised": 0.10, "supplement": 0.03, "suspended": 0.02,
               "handoff": 0.02}
# Events each life writes at the node that receives it (an evaluation adds one, and so does
# each SMS its steps send a person's mobile: 补正, 受理, 办结 and the 好差评 link).
LIFE_EVENTS = {"immediate": 2, "promised": 6, "supplement": 8, "suspended": 8, "handoff": 3}
EVALUATED_SHARE = 0.3  # 主动评价率: not every applicant rates the service
EVALUATION_SHARES = {"very_satisfied": 0.62, "satisfied": 0.28, "basically_satisfied": 0.07,
                     "dissatisfied": 0.02, "very_dissatisfied": 0.01}
BAD_REVIEW_COMMENT = "等候时间较长"  # a 差评 must say why
APPLICANTS = ({"kind": "person", "name": "张伟", "id_code": "210102198503150013",
               "phone": "13800000000"},
              {"kind": "enterprise", "name": "沈阳某建设有限公司", "id_code": "91210100MA0Q123430",
               "phone": "02423456789"})
CLERK, REVIEWER, APPROVER = (Actor("wang", "clerk"), Actor("li", "reviewer"),
                             Actor("zhao", "approver"))
SMS_PER_LIFE = 4  # at most: a supplement notice, the acceptance, the completion, the 好差评 link
# A life at its longest: its steps, its SMS, a rating, and the rectification order a 差评 opens.
_LONGEST_LIFE = max(LIFE_EVENTS.values()) + SMS_PER_LIFE + 2


@dataclass(frozen=True)
class Matters:
    """The matters this center's windows see, by how they are handled."""

    immediate: list[dict]   # 即办件 decided here
    promised: list[dict]    # 承诺件 decided here (joint approvals are left out)
    handed_off: list[dict]  # collected here, decided by the district (代收)

    @classmethod
    def of(cls, center: str) -> Matters:
        topology = load_topology()
        district = topology.district_of(center)
        pools: dict[str, list[dict]] = {"immediate": [], "promised": [], "handed_off": []}
        for row in CatalogMatter.select().order_by(CatalogMatter.code):
            matter = orjson.loads(row.data)
            allowed = acceptance(matter, row.status, center, topology)
            if not allowed.allowed or matter["handling_type"] == "joint":
                continue
            if allowed.decided_by == center:
                pools[matter["handling_type"]].append(matter)
            elif (district is not None and allowed.decided_by == district.code
                  and matter["handling_type"] == "promised"):
                pools["handed_off"].append(matter)
        return cls(**pools)


class CaseMix:
    """Makes cases at one bound node, life by life, and counts what it made."""

    def __init__(self, keys, center: str, rng: random.Random):
        self.keys, self.center, self.rng = keys, center, rng
        self.matters = Matters.of(center)
        if not self.matters.immediate or not self.matters.promised:
            raise ValueError(f"center {center} has no immediate or no promised matter to use")
        self.counts: Counter = Counter()
        self.unevaluated: list[str] = []  # completed cases nobody has rated yet
        self.first_seq: int | None = None

    @property
    def events(self) -> int:
        """Events written so far, as the outbox counts them (SMS included)."""
        seq = outbox.last()[0]
        if self.first_seq is None:
            self.first_seq = seq
        return seq - self.first_seq

    def make(self, events: int) -> Counter:
        """Cases writing exactly ``events`` events; the last few are short lives that fit:
        an enterprise's 即办件 (no SMS to a landline: 2 events) and good ratings (no
        rectification order opens with them: 1)."""
        target = self.events + events  # (the first call fixes the start)
        while self.events < target:
            left = target - self.events
            if left >= _LONGEST_LIFE:
                self.play(self.choose_life(), self.rng.random() < EVALUATED_SHARE)
            elif left == 1 and self.unevaluated:
                self.evaluate(self.unevaluated.pop(), good=True)
            elif left == 1:
                raise ValueError("one event left and no completed case to evaluate")
            else:
                self.play("immediate", evaluate=left % 2 == 1, applicant=APPLICANTS[1],
                          good=True)
        return self.counts

    def choose_life(self) -> str:
        life = self.rng.choices(list(LIFE_SHARES), weights=list(LIFE_SHARES.values()))[0]
        if life == "handoff" and not self.matters.handed_off:
            return "promised"  # a district decides what it would hand off: the share stays
        return life

    def play(self, life: str, evaluate: bool, applicant: dict | None = None,
             good: bool = False) -> None:
        """One case living ``life``, then (if it completed here) its evaluation (``good``:
        satisfied or better)."""
        self.counts[life] += 1
        if life == "immediate":
            number = self._intake(self.rng.choice(self.matters.immediate), "complete_immediate",
                                  applicant=applicant)
        elif life == "handoff":
            self._intake(self.rng.choice(self.matters.handed_off), "accept", consent=True)
            return  # the district decides it: no evaluation here
        else:
            number = self._promised(life, self.rng.choice(self.matters.promised))
        if evaluate:
            self.evaluate(number, good)
        else:
            self.unevaluated.append(number)

    def evaluate(self, number: str, good: bool = False) -> None:
        """The applicant rates the case (``good``: satisfied or better, which writes one
        event; a 差评 opens a rectification order too)."""
        shares = {level: share for level, share in EVALUATION_SHARES.items()
                  if not good or level not in BAD_REVIEWS}
        level = self.rng.choices(list(shares), weights=list(shares.values()))[0]
        data = {"level": level}
        if level in BAD_REVIEWS:
            data["comment"] = BAD_REVIEW_COMMENT
        # The applicant rates on the window's evaluation pad; the clerk only opens it.
        token = evaluation.open_pad(number, self.center)
        evaluation.submit(self.keys, self.center, evaluation.token_hash(token), data)
        self.counts["evaluated"] += 1

    def _promised(self, life: str, matter: dict) -> str:
        required = [m["name"] for m in matter["materials"] if m["required"]]
        if life == "supplement" and required:
            number = self._intake(matter, "request_supplement", left_out=required[0])
            self._act(number, "supplement_in", CLERK)
            self._act(number, "accept", CLERK)
        else:
            number = self._intake(matter, "accept")
        self._act(number, "start_review", REVIEWER)
        if life == "suspended" or (life == "supplement" and not required):
            self._act(number, "suspend_supplement", REVIEWER,
                      {"missing": [matter["materials"][0]["name"]]})
            self._act(number, "supplement_in", CLERK)
        self._act(number, "submit_for_approval", REVIEWER)
        self._act(number, "decide", APPROVER, self._decision(matter))
        self._act(number, "deliver", CLERK, {"method": "window"})
        return number

    def _decision(self, matter: dict) -> dict:
        decision = {"outcome": "approved",
                    "document_number": f"沈审〔bench〕{sum(self.counts.values())}号"}
        if matter["basic_code"] in REGISTERED_CAPITAL_MATTERS:
            decision["registered_capital"] = self.rng.choice((50, 300, 1000, 5000))
        return decision

    def _intake(self, matter: dict, outcome: str, *, left_out: str = "",
                consent: bool = False, applicant: dict | None = None) -> str:
        form = {"matter_code": matter["basic_code"],
                "applicant": applicant or self.rng.choice(APPLICANTS),
                "materials": [m["name"] for m in matter["materials"] if m["name"] != left_out],
                "outcome": outcome, "reason": "", **({"consent": True} if consent else {})}
        if left_out:
            form["missing"] = [left_out]  # told at once even when a copy is on file
        if outcome == "complete_immediate":
            form["document_number"] = f"沈即〔bench〕{self.events}号"
        return cases.intake(self.keys, self.center, CLERK, form)["number"]

    def _act(self, number: str, action: str, actor: Actor, data: dict | None = None) -> None:
        cases.act(self.keys, self.center, number, action, actor, data or {})


def make_cases(data_dir, events: int, seed: int) -> Counter:
    """At a node's data directory (enrolled, catalog pulled): cases writing ``events`` events.

    One transaction holds them all (each case's own is a savepoint inside it): the bench
    makes the mix, it does not time it.
    """
    store.bind(data_dir)
    mix = CaseMix(store.load_keys(data_dir), store.state().center, random.Random(seed))
    with database.connection_context():
        before = outbox.last()[0]
        with database.atomic():
            mix.make(events)
        written = outbox.last()[0] - before
    if written != events:
        raise AssertionError(f"the mix wrote {written} events at {mix.center}, not {events}")
    return mix.counts
