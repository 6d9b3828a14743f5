"""A matter's guide (办事指南) narrowed to the applicant's case: the answers to the
matter's questions (情形, ``Matter.questions``) pick the materials that apply.

Pure, and the same at the hub and every node. A material with no ``when`` always
applies; one with conditions applies when each condition's question is unanswered
(it cannot be ruled out yet) or answered with one of its values.
"""
from __future__ import annotations

from sync.errors import ValidationError

PREFIX = "q."  # the answers' parameter names: ?q.kind=new


def answers_from(matter: dict, args) -> dict[str, str]:
    """The answers given in ``args`` (``q.<id>=<value>``); an unknown value is refused."""
    answers = {}
    for question in matter.get("questions") or ():
        value = args.get(PREFIX + question["id"])
        if not value:
            continue
        if value not in {option["value"] for option in question["options"]}:
            raise ValidationError(f"{PREFIX}{question['id']}: 请从所列选项中选择“{question['text']}”",
                                  field=PREFIX + question["id"])
        answers[question["id"]] = value
    return answers


def applies(material: dict, answers: dict[str, str]) -> bool:
    return all(condition["question"] not in answers
               or answers[condition["question"]] in condition["values"]
               for condition in material.get("when") or ())


def narrowed(matter: dict, answers: dict[str, str]) -> list[dict]:
    """The materials that apply to these answers, in the catalog's order; each with
    ``conditional``: it applies only in some cases (shown as 视情形提交)."""
    return [{**material, "conditional": bool(material.get("when"))}
            for material in matter["materials"] if applies(material, answers)]


def guide(matter: dict, args) -> tuple[dict, int]:
    """What a matter's page shows of its materials for ``args``, and the page's status:
    422 (and every material, with the message) when an answer is not one of the options."""
    try:
        answers, error = answers_from(matter, args), ""
    except ValidationError as exc:
        answers, error = {}, exc.detail.split(": ", 1)[-1]
    return ({"answers": answers, "materials": narrowed(matter, answers), "error": error,
             "total": len(matter["materials"])}, 422 if error else 200)
