"""Where one case stands: ``CaseState`` and its parts, all immutable.

``sync.case_machine`` builds a ``CaseState`` (``new_case``) and returns a
changed copy for each action (``apply``); nothing else makes or changes one.
The codes in its fields are those of ``sync.case_labels``.

A transition that does not fit the case as it stands raises ``Refused``, saying
why; ``apply`` turns it into the ``ConflictError`` that names the state and the
action, so the transitions need not know the action's name or label.
"""
from __future__ import annotations

import dataclasses
import datetime
from typing import NamedTuple


class Refused(Exception):
    """An action the case's state does not allow now, why in Chinese and English."""

    def __init__(self, why_zh: str, why_en: str):
        super().__init__(why_zh, why_en)
        self.why_zh, self.why_en = why_zh, why_en


@dataclasses.dataclass(frozen=True)
class Suspension:
    """A span when the clock stood still: 补正 during review or a special procedure."""

    kind: str                          # SUPPLEMENT or a SPECIAL_PROCEDURES code
    start: datetime.datetime
    end: datetime.datetime | None = None
    reason: str = ""
    limit_days: int | None = None      # 特别程序时限, told to the applicant in writing
    result: str = ""                   # 特别程序结果


@dataclasses.dataclass(frozen=True)
class Precedent:
    """A completed case of the same matter cited in a decision (案例援引), as found when cited."""

    number: str
    note: str                          # why it applies
    matter_code: str
    state: str
    outcome: str
    document_number: str


@dataclasses.dataclass(frozen=True)
class Decision:
    """The result of 办结: approved or refused, with the licence or decision document number."""

    outcome: str
    document_number: str
    decided_at: datetime.datetime
    reason: str = ""
    precedent: Precedent | None = None
    registered_capital: int | None = None  # 注册资本，万元 (REGISTERED_CAPITAL_MATTERS, approved)


@dataclasses.dataclass(frozen=True)
class Evaluation:
    """The applicant's rating of the service (好差评), one per case ("一事一评")."""

    level: str                         # an EVALUATION_LEVELS code
    evaluated_at: datetime.datetime
    comment: str = ""


@dataclasses.dataclass(frozen=True)
class Delivery:
    """How the result reached the applicant (送达)."""

    method: str
    delivered_at: datetime.datetime
    waybill: str = ""


@dataclasses.dataclass(frozen=True)
class Handoff:
    """One handoff of the case to the center that decides it (收件 here, 办理 there)."""

    target: str                        # the handling center's code
    sent_at: datetime.datetime
    resumes_to: str                    # the state the case was in when handed off
    waybill: str = ""                  # the originals by post (双向寄递)
    taken_at: datetime.datetime | None = None
    returned_at: datetime.datetime | None = None
    return_reason: str = ""


@dataclasses.dataclass(frozen=True)
class SubApproval:
    """One department's part of a joint approval (联合审批)."""

    department: str
    deadline: datetime.date
    decision: str | None = None        # a JOINT_DECISIONS code once decided
    decided_at: datetime.datetime | None = None
    reason: str = ""
    center: str = ""                   # where it gives its opinion; "" = the handling center
    missing: tuple[str, ...] = ()      # materials it asked for and still waits on


class Step(NamedTuple):
    """One entry of a case's history: who (role) did what, when and why."""

    action: str
    at: datetime.datetime
    role: str
    reason: str


@dataclasses.dataclass(frozen=True)
class CaseState:
    """Where one case stands; build with ``new_case`` and change only with ``apply``."""

    state: str
    handling: str                                  # catalog HANDLING_TYPES code
    history: tuple[Step, ...]
    accepted_at: datetime.datetime | None = None
    missing: tuple[str, ...] = ()                  # materials still to be supplied
    pauses: tuple[Suspension, ...] = ()
    resumes_to: str | None = None                  # the state a running pause returns to
    decision: Decision | None = None
    delivery: Delivery | None = None
    withdrawal_reason: str = ""
    joint: tuple[SubApproval, ...] = ()            # sorted by department
    handoffs: tuple[Handoff, ...] = ()             # the last one is the current one
    evaluation: Evaluation | None = None
    # Who the case is, for rules that compare it with another case (案例援引).
    number: str = ""
    matter_code: str = ""

    @property
    def received_at(self) -> datetime.datetime:
        """When the application was received (收件)."""
        return self.history[0].at

    @property
    def open_pause(self) -> Suspension | None:
        """The running pause, if the clock is stopped now."""
        return self.pauses[-1] if self.pauses and self.pauses[-1].end is None else None

    @property
    def handling_center(self) -> str | None:
        """The center the case was handed to and that took it over (None: not handed off)."""
        last = self.handoffs[-1] if self.handoffs else None
        return last.target if last and last.taken_at else None

    def changed(self, **changes) -> CaseState:
        """A copy with ``changes``, as ``dataclasses.replace`` makes it but five times faster:
        ``apply`` makes one for every action, and the hub replays thousands a second."""
        unknown = changes.keys() - _CASE_FIELDS
        if unknown:
            raise TypeError(f"CaseState has no field {', '.join(sorted(unknown))}")
        copy = object.__new__(type(self))
        copy.__dict__.update(self.__dict__, **changes)  # frozen: no __setattr__ to go through
        return copy


_CASE_FIELDS = frozenset(field.name for field in dataclasses.fields(CaseState))
