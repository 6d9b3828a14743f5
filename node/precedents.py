"""案例援引 at a node: find decided cases of the same matter to cite, and resolve a citation.

A decision may cite one precedent: a case of this center, of the same matter,
already 办结 or 送达. ``search`` finds the candidates by any text their record
holds; ``resolve`` turns the decider's ``{number, note}`` into the citation the
state machine checks (``sync.case_results``) and the event records, with what
was found of the cited case, so the hub's replay can check it too.
"""
from __future__ import annotations

import orjson
from peewee import fn

from node.models import Case, CaseAction
from sync import case_inputs, case_labels
from sync.case_numbers import parse_case_number
from sync.errors import NotFound, ValidationError

DECIDED = (case_labels.COMPLETED, case_labels.DELIVERED)
MAX_QUERY = 100
MAX_RESULTS = 50


def _texts(value) -> list[str]:
    """Every string inside an action's data (its values, never its keys)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [t for v in value.values() for t in _texts(v)]
    if isinstance(value, list):
        return [t for v in value for t in _texts(v)]
    return []


def search(number: str, q: str = "") -> dict:
    """Decided cases of ``number``'s matter at this center whose record holds ``q``; newest first.

    ``q`` is matched (as a substring; ASCII without case) against the number,
    the applicant's name and ID, the document number, and every reason, note
    and result written in the cases' actions.
    """
    row = Case.get_or_none(Case.number == number)
    if row is None:
        raise NotFound(f"没有办件 {number}")
    q = (q or "").strip()
    if len(q) > MAX_QUERY:
        raise ValidationError(f"q: 检索内容不能超过 {MAX_QUERY} 个字符", field="q")
    query = Case.select().where(Case.matter_code == row.matter_code, Case.state.in_(DECIDED),
                                Case.number != number)
    if q:
        # instr, not LIKE: a % typed by a reviewer is a character; SQLite's upper() folds
        # ASCII only, as str.upper() below does for it. The action data is JSON text, so
        # a hit there is confirmed below against its values only.
        upper = q.upper()

        def holds(column):
            return fn.instr(fn.upper(column), upper) > 0

        written = CaseAction.select(CaseAction.number).where(holds(CaseAction.data))
        query = query.where(holds(Case.number) | holds(Case.applicant_name)
                            | holds(Case.applicant_id) | holds(Case.document_number)
                            | Case.number.in_(written))
    rows = list(query.order_by(Case.decided_at.desc(), Case.number.desc()))
    actions: dict[str, list[dict]] = {}
    for a in (CaseAction.select().where(CaseAction.number.in_([r.number for r in rows]))
              .order_by(CaseAction.n)):
        actions.setdefault(a.number, []).append({"action": a.action,
                                                 "data": orjson.loads(a.data)})
    found = []
    for r in rows:
        logged = actions.get(r.number, [])
        text = " ".join([r.number, r.applicant_name, r.applicant_id, r.document_number or "",
                         *(t for a in logged for t in _texts(a["data"]))])
        if q and q.upper() not in text.upper():
            continue
        decided = next((a["data"] for a in reversed(logged)
                        if a["action"] in ("decide", "complete_immediate")), {})
        found.append({"number": r.number, "applicant_name": r.applicant_name,
                      "state": r.state, "state_label": case_labels.STATES[r.state],
                      "outcome": r.outcome,
                      "outcome_label": case_labels.OUTCOMES.get(r.outcome, ""),
                      "document_number": r.document_number, "decided_at": r.decided_at,
                      "reason": decided.get("reason", "")})
    return {"number": number, "matter_code": row.matter_code,
            "matter_name": orjson.loads(row.matter)["name"], "q": q, "count": len(found),
            "shown": min(len(found), MAX_RESULTS), "cases": found[:MAX_RESULTS]}


def resolve(number: str, given) -> dict:
    """The citation of a decision on ``number``: the decider's number and note, and what was found.

    :raises ValidationError: ``precedent.*`` named; no such case at this center,
        or a field the decider may not give (the found ones are filled in here).
    """
    if not isinstance(given, dict):
        raise ValidationError("precedent: 必须是对象：被援引办件的编号（number）和援引理由（note）",
                              field="precedent")
    for key in given:
        if key not in case_inputs.PRECEDENT_GIVEN:
            raise ValidationError(f"precedent.{key}: 只需填写被援引办件的编号和援引理由",
                                  field=f"precedent.{key}")
    cited = case_inputs.case_number(given.get("number"), "precedent.number")
    if parse_case_number(cited).center != parse_case_number(number).center:
        raise ValidationError(f"precedent.number: 办件 {cited} 不是本中心的办件，只能援引本中心的案例",
                              field="precedent.number")
    row = Case.get_or_none(Case.number == cited)
    if row is None:
        raise ValidationError(f"precedent.number: 本中心没有办件 {cited}",
                              field="precedent.number")
    return {"number": cited, "note": given.get("note"), "matter_code": row.matter_code,
            "state": row.state, "outcome": row.outcome or "",
            "document_number": row.document_number or ""}
