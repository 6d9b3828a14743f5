"""The catalog authority: the hub's versions of the matters, and their distribution.

A change is checked against the catalog in force (``sync.catalog_changes``),
stored as the next signed version together with the matters it changes, and
queued on the pull stream for every center, all in one transaction. The
first version is the city's catalog as shipped in ``config/catalog``.
"""
from __future__ import annotations

import orjson
from peewee import fn

from hub.calendar.in_force import current_version as current_calendar_version
from hub.ledger.stream import EVERYONE, publish
from hub.models import CatalogMatter, CatalogVersion, CenterState, HubCase, database
from sync import codec
from sync.case_labels import COMPLETED, TERMINAL
from sync.catalog_changes import Delta, apply_delta, delta_of, plan, sign_version, version_body
from sync.catalog_history import load_departments, load_matters
from sync.catalog_schema import matter_to_dict
from sync.errors import ConflictError
from sync.events import utc_now_iso
from sync.signing import KeyPair
from sync.topology import load_topology

IN_FORCE = "in_force"
STAMPED = ("version", "effective_date", "cancelled_date")  # a matter's fields a version sets
CLOSED_STATES = sorted(TERMINAL | {COMPLETED})
SEED_REASON = "沈阳市市级行政审批事项目录：1229 项经六批取消和调整后保留 106 项（2015 年）"


def current_version() -> int:
    return CatalogVersion.select(CatalogVersion.version).order_by(
        CatalogVersion.version.desc()).scalar() or 0


def in_force() -> dict[str, dict]:
    """The matters in force, by basic code."""
    rows = CatalogMatter.select(CatalogMatter.code, CatalogMatter.data).where(
        CatalogMatter.status == IN_FORCE).tuples()
    return {code: orjson.loads(data) for code, data in rows}


def matter_data(code: str) -> dict:
    """A matter as the catalog holds it now, in force or not (what a past record names)."""
    return orjson.loads(CatalogMatter.get(CatalogMatter.code == code).data)


def _store(body: dict) -> None:
    CatalogVersion.create(version=body["version"], op=body["op"], author=body["author"],
                          reason=body["reason"], effective_date=body["effective_date"],
                          created_at=body["created_at"],
                          body=codec.canonical(body).decode("utf-8"))
    for matter in body["put"]:
        (CatalogMatter.insert(code=matter["basic_code"], data=codec.canonical(matter).decode(),
                              status=IN_FORCE, version=body["version"])
         .on_conflict(conflict_target=[CatalogMatter.code],
                      update={CatalogMatter.data: codec.canonical(matter).decode(),
                              CatalogMatter.status: IN_FORCE,
                              CatalogMatter.version: body["version"]}).execute())
    for removed in body["removed"]:
        CatalogMatter.update(status=removed["status"], version=body["version"]).where(
            CatalogMatter.code == removed["code"]).execute()


def preview(change: dict) -> dict:
    """What applying ``change`` would do, without doing it (the diff and its reach)."""
    version = current_version() + 1
    before = in_force()
    delta = plan(change, before, version, set(load_departments()))
    return {"version": version, **_describe(before, delta)}


def apply_change(change: dict, *, keys: KeyPair, base_version: int | None = None) -> dict:
    """Check, store, sign and distribute one change; returns the signed version.

    ``base_version``: the version the change was previewed against; if another
    change was published since, nothing is applied (CONFLICT).
    """
    with database.atomic():
        if base_version is not None and current_version() != base_version:
            raise ConflictError(f"目录已从第 {base_version} 版更新到第 {current_version()} 版，"
                                "请重新预览后再发布", field="base_version")
        version = current_version() + 1
        delta = plan(change, in_force(), version, set(load_departments()))
        body = sign_version(version_body(version, change, delta, utc_now_iso()), keys)
        _store(body)
        publish(keys, EVERYONE, "catalog.version", body)
    return body


def seed_if_empty(keys: KeyPair) -> int | None:
    """Version 1: the city's catalog as shipped, on a hub's first run."""
    with database.atomic():
        if current_version():
            return None
        matters = [matter_to_dict(m) for m in load_matters()]
        change = {"op": "add", "author": "系统初始化", "reason": SEED_REASON,
                  "effective_date": "2015-12-31"}
        body = sign_version(version_body(1, change, Delta(tuple(matters), ()), utc_now_iso()),
                            keys)
        _store(body)
        publish(keys, EVERYONE, "catalog.version", body)
    return 1


def history() -> list[dict]:
    """Every version, oldest first, without the matters."""
    query = CatalogVersion.select().order_by(CatalogVersion.version)
    return [{"version": v.version, "op": v.op, "author": v.author, "reason": v.reason,
             "effective_date": v.effective_date, "created_at": v.created_at,
             "put": [m["basic_code"] for m in orjson.loads(v.body)["put"]],
             "removed": orjson.loads(v.body)["removed"]} for v in query]


def at_version(version: int) -> dict[str, dict]:
    """The matters in force just after ``version`` (replayed from the signed deltas)."""
    state: dict[str, dict] = {}
    for row in CatalogVersion.select(CatalogVersion.body).where(
            CatalogVersion.version <= version).order_by(CatalogVersion.version):
        state = apply_delta(state, delta_of(orjson.loads(row.body)))
    return state


def diff(old: int, new: int) -> dict:
    """Matters added, removed and changed (with the fields) between two versions."""
    return _compare(at_version(old), at_version(new))


def _describe(before: dict[str, dict], delta: Delta) -> dict:
    after = apply_delta(before, delta)
    compared = _compare(before, after)
    affected = compared["removed"] + sorted(compared["changed"])
    return {**compared, "removed_status": dict(delta.removed), "impact": impact(affected)}


def impact(codes: list[str]) -> dict[str, dict[str, int]]:
    """Open cases under each affected matter, per center: they keep their own version."""
    if not codes:
        return {}
    query = (HubCase.select(HubCase.matter_code, HubCase.center, fn.COUNT(HubCase.number))
             .where(HubCase.matter_code.in_(codes) & HubCase.state.not_in(CLOSED_STATES))
             .group_by(HubCase.matter_code, HubCase.center).tuples())
    result: dict[str, dict[str, int]] = {}
    for code, center, count in query:
        result.setdefault(code, {})[center] = count
    return result


def _compare(before: dict[str, dict], after: dict[str, dict]) -> dict:
    changed = {}
    for code in sorted(set(before) & set(after)):
        fields = sorted(k for k in after[code] if before[code].get(k) != after[code][k]
                        and k not in ("version", "effective_date"))
        if fields:
            changed[code] = fields
    return {"added": sorted(set(after) - set(before)),
            "removed": sorted(set(before) - set(after)), "changed": changed,
            "count_before": len(before), "count_after": len(after)}


def consistency(within: frozenset[str] | None = None) -> dict:
    """Per center and per level: the catalog and working-day calendar versions each runs,
    and how far behind (only the centers ``within``, a district admin's scope, when given)."""
    latest, latest_calendar = current_version(), current_calendar_version()
    states = {s.code: s for s in CenterState.select()}
    centers, levels = [], {}
    for center in load_topology().centers:
        if center.level == "city" or (within is not None and center.code not in within):
            continue  # the hub itself is the authority
        state = states.get(center.code)
        enrolled = bool(state and state.enrolled_at)
        version = state.catalog_version if enrolled else None
        calendar = state.calendar_version if enrolled else None
        behind = None if version is None else latest - version
        calendar_behind = None if calendar is None else latest_calendar - calendar
        centers.append({"code": center.code, "name": center.name, "level": center.level,
                        "version": version, "behind": behind, "calendar_version": calendar,
                        "calendar_behind": calendar_behind})
        level = levels.setdefault(center.level, {"centers": 0, "enrolled": 0, "current": 0,
                                                 "behind": 0, "calendar_behind": 0})
        level["centers"] += 1
        if version is not None:
            level["enrolled"] += 1
            level["current" if behind == 0 else "behind"] += 1
            level["calendar_behind"] += calendar_behind != 0
    return {"version": latest, "calendar_version": latest_calendar, "levels": levels,
            "centers": centers}
