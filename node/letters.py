"""Decision letters (准予 / 不予行政许可决定书) and their proof of service (送达回证).

A decided case's letter states the decision, the matter's legal basis
(设定依据) and result (结果名称) and, for a refusal, its
reasons and the applicant's remedies: 行政许可法 art. 38 requires a refusal
to give reasons and to tell the applicant of the right to administrative
reconsideration or an administrative lawsuit. The periods the notice names
are the statutory ones: 行政复议法 (2023) art. 20, sixty days from knowing of
the decision; 行政诉讼法 art. 46, six months.

The case keeps only a small snapshot of its matter, without the legal basis,
so the letter reads the basis from the catalog this node runs (which keeps
matters that have left it); the version is printed when it is not the one
the case was received under.

The letter's 文号 is this node's: allocated the first time the letter is
printed, numbered per outcome and year, and stored (``DecisionLetter``), so a
reprint carries the same number. The approver's own 决定文书或证照编号 stays on
the decision as before. Service (送达) is recorded by the case's ``deliver``
action; the 送达回证 only prints it, or leaves the lines to fill in by hand.
"""
from __future__ import annotations

import orjson
from peewee import fn

from node.case_log import load, now
from node.models import CatalogMatter, DecisionLetter, database
from sync.case_clock import CHINA
from sync.case_records import iso
from sync.errors import ConflictError
from sync.topology import Topology

RECONSIDERATION_DAYS = 60   # 行政复议法 art. 20
LAWSUIT_MONTHS = 6          # 行政诉讼法 art. 46
TITLES = {"approved": "准予行政许可决定书", "refused": "不予行政许可决定书"}
_WORD = {"approved": "准", "refused": "不准"}


def letter(number: str, center: str) -> dict:
    """The decided case's letter: its 文号 (allocated on first print), decision and date.

    :raises ConflictError: the case has no decision yet.
    """
    row, case, _ = load(number)
    decision = case.decision
    if decision is None:
        raise ConflictError(f"办件 {number} 尚未作出审批决定，没有决定书", state=case.state,
                            action="letter")
    decided = decision.decided_at.astimezone(CHINA).date()
    listed = CatalogMatter.get_or_none(CatalogMatter.code == row.matter_code)
    catalog = orjson.loads(listed.data) if listed else {}
    received_under = orjson.loads(row.matter)["version"]
    return {"legal_basis": catalog.get("legal_basis", ""),
            "result_name": catalog.get("result_name", ""),
            # None when the basis is read from the version the case was received under
            "catalog_version": (None if catalog.get("version") == received_under
                                else catalog.get("version")),
            "title": TITLES[decision.outcome], "outcome": decision.outcome,
            "letter_number": _allocate(number, center, decision.outcome, decided.year),
            "decided_on": decided.isoformat(), "reason": decision.reason,
            "delivery": None if case.delivery is None else {
                "method": case.delivery.method, "waybill": case.delivery.waybill,
                "at": iso(case.delivery.delivered_at)}}


def _allocate(number: str, center: str, outcome: str, year: int) -> str:
    with database.atomic():
        kept = DecisionLetter.get_or_none(DecisionLetter.number == number)
        if kept is not None:
            return kept.document_number
        last = (DecisionLetter.select(fn.MAX(DecisionLetter.seq))
                .where(DecisionLetter.outcome == outcome, DecisionLetter.year == year).scalar())
        seq = (last or 0) + 1
        return DecisionLetter.create(
            number=number, outcome=outcome, year=year, seq=seq,
            document_number=f"{center}行许{_WORD[outcome]}字〔{year}〕第{seq}号",
            allocated_at=iso(now())).document_number


def reconsideration_organ(setting: str, topology: Topology, center: str) -> str:
    """The 行政复议机关 a refusal names: the setting, else the people's government of the
    center's district or city (a street's or sub-center's parent)."""
    if setting:
        return setting
    here = topology.get(center)
    while here.level in ("street", "subcenter") and here.parent:
        here = topology.get(here.parent)
    return here.name.removesuffix("政务服务中心") + "人民政府"
