"""Materials never asked for twice, and only those that may be reused (材料复用).

What may be reused is what the catalog marks ``e_licence``: identity documents,
licences and certificates an authority issued. An application form (申请书), a
pledge or a proof made for one case is never on file for another. A material goes on
file when a case that had it handed in is completed with approval, at the center
that holds the case (the collecting one when a relayed decision reaches it too), and
is trusted for ``KEPT_DAYS`` after that decision. Kept per person by ID document type
and number, so a passport and a resident ID with the same digits never meet.

The licence register (电子证照库, ``node.licences``) is the other source: a licence of
the applicant in force today (not expired, not revoked), named as the material is,
satisfies it. Which source is good enough is the trust level's (国办函〔2016〕108号):
a licence issued by an authority is A, a copy this window checked and kept is B; a
material accepts A and B unless the catalog lowers (C, D) or raises (A only) its
``reusable_trust_level``. Where both sources hold a material, the higher level wins.
"""
from __future__ import annotations

import datetime
from dataclasses import dataclass

import orjson

from node import licences
from node.models import Case, CatalogMatter, KeptMaterial
from sync import case_labels
from sync.identity_codes import RESIDENT_ID
from sync.licences import satisfies

# A copy on file is trusted for a year after the decision it served: documents are
# renewed and registrations change, which a window cannot see in a copy.
KEPT_DAYS = 365


def person(applicant: dict) -> tuple[str, str]:
    """(ID document type, number) of an applicant as its record holds them."""
    return applicant.get("id_type") or RESIDENT_ID, applicant["id_code"]


def reusable_names(matter: dict) -> set[str]:
    return {m["name"] for m in matter["materials"] if m["e_licence"]}


# A copy the window checked against the original and kept (108号 B级).
KEPT_LEVEL = "B"
DEFAULT_ACCEPTED = "B"  # a material's ``reusable_trust_level`` when the catalog names none


@dataclass(frozen=True)
class OnFile:
    """Where a material is on file from: ``ref`` the case ("case") or licence ("licence")."""

    ref: str
    source: str
    trust_level: str


def on_file(matter: dict, applicant: dict, today: datetime.date,
            declined=()) -> dict[str, OnFile]:
    """Material name → where it is on file from, for the matter's reusable materials that
    a source trusted today satisfies, unless the clerk ``declined`` it."""
    id_type, id_code = person(applicant)
    since = (today - datetime.timedelta(days=KEPT_DAYS)).isoformat()
    found: list[tuple[str, OnFile]] = []
    sources: dict[str, list[OnFile]] = {}
    for name, number in (KeptMaterial.select(KeptMaterial.name, KeptMaterial.number)
                         .where((KeptMaterial.id_type == id_type)
                                & (KeptMaterial.id_code == id_code)
                                & (KeptMaterial.kept_on >= since)).tuples()):
        sources.setdefault(name, []).append(OnFile(number, "case", KEPT_LEVEL))
    for row in licences.held(id_type, id_code, today):
        sources.setdefault(row.name, []).append(OnFile(row.number, "licence", row.trust_level))
    for m in matter["materials"]:
        if not m["e_licence"] or m["name"] in declined:
            continue
        accepted = m.get("reusable_trust_level") or DEFAULT_ACCEPTED
        usable = [s for s in sources.get(m["name"], ()) if satisfies(s.trust_level, accepted)]
        if usable:
            found.append((m["name"], min(usable, key=lambda s: (s.trust_level, s.source))))
    return dict(found)


def keep(received: dict, decided_at: str) -> None:
    """Put on file what an approved, completed case had handed in (not itself reused),
    if the catalog lets it be reused. Run again for the same case, it changes nothing."""
    listed = CatalogMatter.get_or_none(CatalogMatter.code == received["matter"]["basic_code"])
    if listed is None:
        return
    reusable = reusable_names(orjson.loads(listed.data))
    id_type, id_code = person(received["applicant"])
    kept_on = decided_at[:10]
    rows = [{"id_type": id_type, "id_code": id_code, "name": m["name"],
             "number": received["number"], "kept_on": kept_on}
            for m in received["materials"]
            if m["provided"] and not m["reused_from"] and m["name"] in reusable]
    for row in rows:  # the newest decision wins; an older one never replaces it
        (KeptMaterial.insert(**row)
         .on_conflict(conflict_target=[KeptMaterial.id_type, KeptMaterial.id_code,
                                       KeptMaterial.name],
                      update={KeptMaterial.number: row["number"],
                              KeptMaterial.kept_on: row["kept_on"]},
                      where=KeptMaterial.kept_on <= row["kept_on"])
         .execute())


def completes(state: str, outcome: str | None) -> bool:
    """Whether a case in ``state`` with ``outcome`` lets its materials go on file."""
    return state in (case_labels.COMPLETED, case_labels.DELIVERED) and outcome == "approved"


def open_cases(matter_code: str, applicant: dict, *, besides: str = "") -> list[str]:
    """This applicant's open cases of the matter (another application of the same matter
    is flagged to the clerk, never refused: a second one may be legitimate)."""
    id_type, id_code = person(applicant)
    found = []
    for number, received in (Case.select(Case.number, Case.received)
                             .where((Case.matter_code == matter_code)
                                    & (Case.applicant_id == id_code)
                                    & (Case.state.in_(sorted(case_labels.OPEN)))
                                    & (Case.number != besides))
                             .order_by(Case.number).tuples()):
        if person(orjson.loads(received)["applicant"])[0] == id_type:
            found.append(number)
    return found
