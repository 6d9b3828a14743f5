"""Which center may accept a matter, and which decides it (the catalog's 通办 rule).

A center accepts a matter it exercises at its own level and decides it there.
Otherwise the matter's 通办 scope may let it *collect* the application and hand
it to the deciding center: ``district`` scope within the same district (to the
district's center), ``city`` scope anywhere (to the district's center when the
matter is exercised at district level, else to the city). Cases (issue 4) and
handoffs (issue 5) call this; a cancelled matter is never accepted.
"""
from __future__ import annotations

from dataclasses import dataclass

from sync.topology import Topology

_LEVEL_OF = {"city": "city", "subcenter": "city", "district": "district", "street": "street"}


@dataclass(frozen=True)
class Acceptance:
    allowed: bool
    decided_by: str  # the center code that decides it ("" when not allowed)
    reason: str      # Chinese, for the window clerk


def acceptance(matter: dict, status: str, center_code: str, topology: Topology) -> Acceptance:
    """May ``center_code`` accept a new case of ``matter`` (whose catalog status is ``status``)?"""
    if status != "in_force":
        return Acceptance(False, "", f"事项 {matter['basic_code']} 已不在现行目录中（{status}），不予受理")
    center = topology.get(center_code)
    if decides_here(matter, center.code, topology):
        return Acceptance(True, center.code, "本中心受理并办理")
    district = topology.district_of(center.code)
    scope = matter["tongban_scope"]
    if scope == "none":
        return Acceptance(False, "", "该事项不通办，请到行使层级的中心办理")
    if "district" in matter["levels"] and district is not None:
        return Acceptance(True, district.code, f"收件后转{district.name}办理")
    if scope == "district":
        return Acceptance(False, "", "该事项仅在本区范围内通办")
    if "city" in matter["levels"]:
        return Acceptance(True, topology.hub.code, f"收件后转{topology.hub.name}办理")
    return Acceptance(False, "", "该事项在本级不办理，且无可转交的办理中心")


def decides_here(matter: dict, center_code: str, topology: Topology) -> bool:
    """Whether ``center_code`` decides ``matter`` itself (else it only collects, 代收)."""
    return _LEVEL_OF[topology.get(center_code).level] in matter["levels"]
