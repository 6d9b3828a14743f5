"""What each node last told the hub, and what that says about it: coverage and its colours.

A heartbeat stores contact, versions, backlog and clock (``record_heartbeat``).
``conditions`` reads one center's state as a list of findings, each red or
yellow with a reason in Chinese; ``center_status`` folds them into a colour,
and ``coverage`` does it for every center, per level and as a tree.
``hub.coverage.alerts`` opens and clears alerts from the same findings. Each district
that supervises its streets (督导, ``hub.cases.supervision``) says so, with since
when and how many streets.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from peewee import fn

from hub.catalog.authority import current_version
from hub.ledger.ingest import head_of
from hub.models import CatalogVersion, CenterState, SecurityEvent, Supervision, database
from hub.settings import HUB
from sync.body_fields import MAX_INT32, MAX_INT64, integer
from sync.errors import Code
from sync.supervision import streets_of
from sync.topology import load_topology

# Each heartbeat number, and the most its column holds (CenterState).
_INT_FIELDS = {"catalog_version": MAX_INT32, "calendar_version": MAX_INT32, "backlog": MAX_INT32, "last_seq": MAX_INT64,
               "acked_seq": MAX_INT64, "clock_ms": MAX_INT64}

GREEN, YELLOW, RED = "green", "yellow", "red"
LEVEL_NAMES = {"subcenter": "分中心", "district": "区县", "street": "街道"}
# Refusals that mean "this center's messages do not authenticate": a broken or
# stolen key, or someone forging its name. CLOCK_SKEW is left out: it has its own finding.
AUTH_CODES = (Code.SIGNATURE_INVALID, Code.KEY_UNKNOWN, Code.KEY_REVOKED,
              Code.DIGEST_MISMATCH, Code.NONCE_REUSED)
AUTH_WINDOW_MS = 15 * 60_000
REFUSALS_WINDOW_MS = 24 * 3600_000
# A fifth of the default refusal window (clock_skew_s = 300): time to fix the
# clock before the hub starts refusing the node's messages.
CLOCK_SKEW_WARN_MS = 60_000


def record_heartbeat(center: str, body: dict, *, now_ms: int) -> dict:
    """Store a heartbeat; the reply tells the node the hub's head and whether to recover."""
    values = {name: integer(body, name, maximum=most, default=0)
              for name, most in _INT_FIELDS.items()}
    head_seq, head_hash = head_of(center)
    # A node that has fewer events than the hub holds of it was restored from a backup.
    restored = values["last_seq"] < head_seq
    backlog = values["backlog"]
    rising, rising_args = (_RISING_SINCE, (backlog, backlog, now_ms)) if backlog else ("NULL", ())
    db = database.obj
    db.execute_sql(_HEARTBEAT.format(p=db.param, rising=rising.format(p=db.param)), (
        now_ms, str(body.get("app_version", ""))[:32], values["catalog_version"],
        values["calendar_version"], backlog, values["last_seq"],
        # A heartbeat without a clock says nothing about skew (not "off by 50 years").
        values["clock_ms"] - now_ms if values["clock_ms"] else 0,
        str(body.get("last_error", ""))[:500], restored, *rising_args, center))
    return {"hub_time_ms": now_ms, "head_seq": head_seq, "head_hash": head_hash,
            "recover": restored}


# Plain SQL, as every statement a node's every request costs: peewee's query building
# would cost more than the write.
_HEARTBEAT = ("UPDATE center_state SET last_contact_ms = {p}, app_version = {p}, "
              "catalog_version = {p}, calendar_version = {p}, backlog = {p}, "
              "node_last_seq = {p}, clock_skew_ms = {p}, last_error = {p}, "
              "needs_recovery = needs_recovery OR {p}, backlog_rising_since_ms = {rising} "
              "WHERE code = {p}")
# Since when the backlog has grown without shrinking: set on growth, kept while it holds or
# grows, cleared when it shrinks (or empties: NULL). An expression over the row's old
# values, so the read and the write are one statement and two heartbeats of one center
# cannot interleave between them. Its parameters: the backlog twice, then the time.
_RISING_SINCE = ("CASE WHEN backlog > {p} THEN NULL WHEN backlog < {p} AND "
                 "backlog_rising_since_ms IS NULL THEN {p} ELSE backlog_rising_since_ms END")


def touch(center: str, now_ms: int) -> None:
    """Any authenticated request counts as contact (plain SQL: every pull and push)."""
    db = database.obj
    db.execute_sql(f"UPDATE center_state SET last_contact_ms = {db.param} "
                   f"WHERE code = {db.param}", (now_ms, center))


def mark_needs_recovery(center: str) -> None:
    """The center pushed events that differ from ours: it was restored from a backup."""
    CenterState.update(needs_recovery=True).where(CenterState.code == center).execute()


@dataclass(frozen=True)
class Condition:
    """One finding about a center: ``kind`` is stable (alerts key on it), ``reason`` is
    for people."""

    kind: str
    colour: str
    reason: str


def default_settings() -> dict:
    """The hub's defaults, for callers without a configured hub (a script, a shell)."""
    return {s.name: s.default for s in HUB}


def _duration(ms: int) -> str:
    minutes = ms // 60_000
    if minutes < 120:
        return f"{minutes} 分钟"
    return f"{minutes // 60} 小时" if minutes < 48 * 60 else f"{minutes // 1440} 天"


def conditions(state: CenterState | None, now_ms: int, latest_catalog: int, settings: dict,
               *, auth_failures: int = 0) -> list[Condition]:
    """Everything wrong with one center, red findings first; empty when it is green."""
    if state is None or state.enrolled_at is None:
        return [Condition("never_enrolled", RED, "从未注册接入")]
    if state.revoked_at is not None:
        return [Condition("revoked", RED, "密钥已吊销")]
    found = []
    # Enrollment is the first contact: a center that never spoke since is silent from then.
    silent_ms = now_ms - (state.last_contact_ms or state.enrolled_at)
    if silent_ms > settings["coverage_yellow_after_s"] * 1000:
        colour = RED if silent_ms > settings["coverage_red_after_s"] * 1000 else YELLOW
        found.append(Condition("silent", colour, f"超过 {_duration(silent_ms)}未联系"))
    if state.needs_recovery:
        found.append(Condition("needs_recovery", RED, "需要恢复：节点数据少于中心所存（从旧备份还原）"))
    if auth_failures >= settings["coverage_auth_failures"]:
        found.append(Condition("signature_failures", RED,
                               f"15 分钟内 {auth_failures} 次签名校验失败"))
    if state.catalog_version < latest_catalog:
        found.append(Condition("catalog_behind", YELLOW,
                               f"事项目录落后 {latest_catalog - state.catalog_version} 个版本"))
    rising = state.backlog_rising_since_ms
    if rising is not None and now_ms - rising > settings["coverage_backlog_rising_s"] * 1000:
        found.append(Condition("backlog_rising", YELLOW,
                               f"待发送积压持续增长 {_duration(now_ms - rising)}"
                               f"（{state.backlog} 条）"))
    if abs(state.clock_skew_ms) > CLOCK_SKEW_WARN_MS:
        found.append(Condition("clock_skew", YELLOW,
                               f"时钟偏差 {abs(state.clock_skew_ms) // 1000} 秒"))
    return sorted(found, key=lambda c: c.colour != RED)


def center_status(state: CenterState | None, now_ms: int, latest_catalog: int, settings: dict,
                  *, auth_failures: int = 0) -> tuple[str, list[str]]:
    """The center's colour and the reasons for it (none when green)."""
    found = conditions(state, now_ms, latest_catalog, settings, auth_failures=auth_failures)
    return colour_of(found), [c.reason for c in found]


def colour_of(found: list[Condition]) -> str:
    """Red if anything is red, yellow if anything is found at all, else green."""
    return RED if any(c.colour == RED for c in found) else YELLOW if found else GREEN


def expected_catalog(now_ms: int, grace_s: int) -> int:
    """The newest catalog version every center should run by now.

    A version counts once it is ``grace_s`` old: until then a center may simply not
    have pulled yet, and flagging all 208 after every change would bury real trouble.
    """
    cutoff = now_ms - grace_s * 1000
    for version, created_at in (CatalogVersion.select(CatalogVersion.version,
                                                      CatalogVersion.created_at)
                                .order_by(CatalogVersion.version.desc()).tuples()):
        if datetime.fromisoformat(created_at).timestamp() * 1000 <= cutoff:
            return version
    return 1 if current_version() else 0


def _counts_by_center(since_ms: int, codes=None) -> dict[str, int]:
    query = SecurityEvent.select(SecurityEvent.center, fn.SUM(SecurityEvent.repeats)).where(
        SecurityEvent.at_ms >= since_ms)
    if codes is not None:
        query = query.where(SecurityEvent.code.in_([c.value for c in codes]))
    return {center: int(n) for center, n in query.group_by(SecurityEvent.center).tuples()}


def assess(now_ms: int, settings: dict, root: str | None = None) -> list[tuple]:
    """``(center, state, conditions, refusals_24h)`` for every center but the hub itself
    (under ``root`` only, when given)."""
    topology = load_topology()
    within = set(topology.subtree(root)) if root else None
    states = {s.code: s for s in CenterState.select()}
    expected = expected_catalog(now_ms, settings["coverage_yellow_after_s"])
    auth = _counts_by_center(now_ms - AUTH_WINDOW_MS, AUTH_CODES)
    refusals = _counts_by_center(now_ms - REFUSALS_WINDOW_MS)
    return [(center, states.get(center.code),
             conditions(states.get(center.code), now_ms, expected, settings,
                        auth_failures=auth.get(center.code, 0)),
             refusals.get(center.code, 0))
            for center in topology.centers
            if center.level != "city" and (within is None or center.code in within)]


def supervising() -> dict[str, dict]:
    """The districts the hub relays their streets' case events to now (督导):
    ``code → {since_ms, streets}``, since when it is on and how many streets it covers."""
    topology = load_topology()
    return {district: {"since_ms": since, "streets": len(streets_of(district, topology))}
            for district, since in Supervision.select(Supervision.district,
                                                      Supervision.changed_ms)
            .where(Supervision.active).tuples()}


def _percent(part: int, whole: int) -> float:
    return round(100.0 * part / whole, 1) if whole else 0.0


def coverage(now_ms: int, settings: dict | None = None, root: str | None = None) -> dict:
    """Every center with its figures and colour, the share online and current per level,
    the totals, and the tree (city → sub-centers and districts → streets); with ``root``
    (a district admin's view), only that center and those below it."""
    settings = settings or default_settings()
    latest = current_version()
    supervisors = supervising()
    centers, levels = [], {}
    for center, state, found, refusals in assess(now_ms, settings, root):
        colour = colour_of(found)
        enrolled = state is not None and state.enrolled_at is not None
        contact = state.last_contact_ms if enrolled else None
        centers.append({
            "code": center.code, "name": center.name, "level": center.level,
            "parent": center.parent, "enrolled": enrolled, "last_contact_ms": contact,
            "lag_s": None if contact is None else max(0, (now_ms - contact) // 1000),
            "backlog": state.backlog if enrolled else None,
            "backlog_rising_since_ms": state.backlog_rising_since_ms if enrolled else None,
            "catalog_version": state.catalog_version if enrolled else None,
            "app_version": state.app_version if enrolled else None,
            "clock_skew_ms": state.clock_skew_ms if enrolled else None,
            "last_error": state.last_error if enrolled else None,
            "refusals_24h": refusals, "status": colour, "reasons": [c.reason for c in found],
            "supervision": supervisors.get(center.code)})
        level = levels.setdefault(center.level, {"centers": 0, "online": 0, "current": 0,
                                                 GREEN: 0, YELLOW: 0, RED: 0})
        level["centers"] += 1
        level[colour] += 1
        # Online means it is talking to us; a yellow center is, a red one is not.
        level["online"] += colour != RED
        level["current"] += (enrolled and state.revoked_at is None
                             and state.catalog_version >= latest)
    totals = {key: sum(level[key] for level in levels.values())
              for key in ("centers", "online", "current", GREEN, YELLOW, RED)}
    for figures in (*levels.values(), totals):
        figures["percent_online"] = _percent(figures["online"], figures["centers"])
        figures["percent_current"] = _percent(figures["current"], figures["centers"])
    return {"now_ms": now_ms, "catalog_version": latest, "levels": levels, "totals": totals,
            "centers": centers, "tree": tree({c["code"]: c["status"] for c in centers}, root)}


def tree(status: dict[str, str], root: str | None = None) -> dict:
    """The centers as a tree; each branch counts the colours of the centers below it."""
    topology = load_topology()

    def branch(code: str) -> dict:
        center = topology.by_code[code]
        children = [branch(child.code) for child in topology.children(code)]
        below = {GREEN: 0, YELLOW: 0, RED: 0}
        for child in children:
            below[child["status"]] += 1
            for colour, count in child.get("below", {}).items():
                below[colour] += count
        node = {"code": code, "name": center.name, "level": center.level,
                "status": status.get(code)}  # the city is the hub itself: no status
        if children:
            node.update(below=below, children=children)
        return node

    return branch(root or topology.hub.code)
