"""Catalog changes: a change file checked against the catalog in force, turned
into a signed version that every center applies the same way.

A change file (JSON or TOML) names one operation::

    {"op": "amend", "author": "市政务服务中心 王敏", "reason": "……", "effective_date": "2026-12-01",
     "matters": [{…a whole matter…}]}                       # add | amend
    {"op": "cancel", "codes": ["SY24003"], …}                 # cancel | convert
    {"op": "devolve", "codes": ["SY24003"], "to_levels": ["district"], …}
    {"op": "merge", "codes": ["SY24003", "SY24004"], "into": {…a whole matter…}, …}

``plan`` turns it into a **delta** — the whole matters put (new or changed) and
the codes removed with why — which is what a version carries: a node applies
a delta without knowing the operation's rules, so hub and node cannot disagree.
"""
from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Collection

from sync import matter_codes
from sync.catalog_schema import LEVELS, matter_to_dict, validate_matter
from sync.errors import ValidationError
from sync.signed_bodies import sign_body, verify_body
from sync.signing import KeyPair, PublicKey

OPS = {"add": "新增", "amend": "变更", "cancel": "取消", "devolve": "下放", "merge": "合并",
       "convert": "转换为备案"}
REMOVED_BY = {"cancel": "cancelled", "merge": "merged", "convert": "converted"}
_COMMON = ("op", "author", "reason", "effective_date")
_FIELDS = {"add": ("matters",), "amend": ("matters",), "cancel": ("codes",),
           "convert": ("codes",), "devolve": ("codes", "to_levels"), "merge": ("codes", "into")}


def _fail(field: str, reason: str):
    raise ValidationError(f"{field}: {reason}", field=field)


@dataclasses.dataclass(frozen=True)
class Delta:
    """What a version changes: whole matters put, and codes removed (code → status)."""

    put: tuple[dict, ...]
    removed: tuple[tuple[str, str], ...]


def _text(data: dict, field: str, max_len: int = 500) -> str:
    value = data.get(field)
    if not isinstance(value, str) or not value.strip():
        _fail(field, "必填，且必须是非空字符串")
    if len(value) > max_len:
        _fail(field, f"长度不能超过 {max_len} 个字符")
    return value.strip()


def _codes(data: dict, in_force: dict[str, dict], minimum: int = 1) -> list[str]:
    """The basic codes the change names (each a basic or a national code)."""
    typed = data.get("codes")
    if not isinstance(typed, list) or len(typed) < minimum:
        _fail("codes", f"必须是至少 {minimum} 个事项编码的列表")
    national = matter_codes.index(in_force.values())
    codes = [matter_codes.resolve(code, in_force, national) for code in typed]
    for i, code in enumerate(codes):
        if code is None:
            _fail(f"codes[{i}]", f"事项 {typed[i]!r} 不在现行目录中")
        if code in codes[:i]:
            _fail(f"codes[{i}]", f"重复：{code!r}")
    return codes


def _matter(raw, field: str, version: int, effective: str,
            departments: Collection[str] | None) -> dict:
    """A whole matter from the file, stamped with the new version and effective date."""
    if not isinstance(raw, dict):
        _fail(field, "必须是事项对象")
    stamped = {**raw, "version": version, "effective_date": effective, "cancelled_date": None}
    try:
        return matter_to_dict(validate_matter(stamped, departments))
    except ValidationError as exc:
        inner = exc.field or ""
        _fail(f"{field}.{inner}" if inner else field, exc.detail.split(": ", 1)[-1])


def plan(data: dict, in_force: dict[str, dict], version: int,
         departments: Collection[str] | None = None) -> Delta:
    """Check a change against the matters in force; the delta of the new ``version``.

    :raises ValidationError: the first problem, ``field`` naming it (``matters[0].materials[2].issuer``).
    """
    delta = _plan(data, in_force, version, departments)
    _check_national_codes(data.get("op"), in_force, delta)
    return delta


def _check_national_codes(op: str, in_force: dict[str, dict], delta: Delta) -> None:
    """National codes stay unique, one set of letters per department, across the catalog
    after the change; a clash is named where the file gives the matter it puts."""
    where = {m["basic_code"]: ("into" if op == "merge" else f"codes[{i}]" if op == "devolve"
                               else f"matters[{i}]") for i, m in enumerate(delta.put)}
    # The matters in force first, so a clash is reported at the one the change puts.
    after = sorted(apply_delta(in_force, delta).items(), key=lambda item: item[0] in where)
    matter_codes.check_catalog((where.get(code, code), m["department"], m.get("national_code"))
                               for code, m in after)


def _plan(data: dict, in_force: dict[str, dict], version: int,
          departments: Collection[str] | None) -> Delta:
    if not isinstance(data, dict):
        _fail("$", "变更文件必须是 JSON/TOML 对象")
    op = data.get("op")
    if op not in OPS:
        _fail("op", f"未知的操作 {op!r}，可选：{', '.join(OPS)}")
    for key in data:
        if key not in _COMMON + _FIELDS[op]:
            _fail(str(key), f"{op} 操作不接受此字段")
    _text(data, "author", 100)
    _text(data, "reason", 2000)
    effective = _text(data, "effective_date", 10)
    try:
        datetime.date.fromisoformat(effective)
    except ValueError:
        _fail("effective_date", f"必须是 YYYY-MM-DD 格式的日期，实际为 {effective!r}")
    if op in ("add", "amend"):
        raw = data.get("matters")
        if not isinstance(raw, list) or not raw:
            _fail("matters", "必须是至少一个事项的列表")
        put = [_matter(m, f"matters[{i}]", version, effective, departments)
               for i, m in enumerate(raw)]
        for i, matter in enumerate(put):
            exists = matter["basic_code"] in in_force
            if op == "add" and exists:
                _fail(f"matters[{i}].basic_code", f"事项 {matter['basic_code']} 已在现行目录中")
            if op == "amend" and not exists:
                _fail(f"matters[{i}].basic_code", f"事项 {matter['basic_code']} 不在现行目录中")
            if any(m["basic_code"] == matter["basic_code"] for m in put[:i]):
                _fail(f"matters[{i}].basic_code", "同一文件中重复")
        return Delta(tuple(put), ())
    codes = _codes(data, in_force, 2 if op == "merge" else 1)
    if op == "devolve":
        levels = data.get("to_levels")
        if not isinstance(levels, list) or not levels or any(
                lv not in LEVELS or lv == "city" for lv in levels):
            _fail("to_levels", "必须是 district / street 中的一个或多个")
        put = [_matter({**in_force[c], "levels": levels}, f"codes[{i}]", version, effective,
                       departments) for i, c in enumerate(codes)]
        return Delta(tuple(put), ())
    if op == "merge":
        into = _matter(data.get("into"), "into", version, effective, departments)
        target = into["basic_code"]
        if target in in_force and target not in codes:
            _fail("into.basic_code", f"合并目标 {target} 已是另一个现行事项")
        removed = tuple((c, REMOVED_BY["merge"]) for c in codes if c != target)
        return Delta((into,), removed)
    return Delta((), tuple((c, REMOVED_BY[op]) for c in codes))


def apply_delta(in_force: dict[str, dict], delta: Delta) -> dict[str, dict]:
    """The catalog in force after a delta (pure; hub and node both use it)."""
    result = dict(in_force)
    for code, _status in delta.removed:
        result.pop(code, None)
    for matter in delta.put:
        result[matter["basic_code"]] = matter
    return result


# -- the signed version ----------------------------------------------------------------

def version_body(version: int, data: dict, delta: Delta, created_at: str) -> dict:
    """What a catalog version says; ``sign_version`` adds the hub's signature."""
    return {"version": version, "op": data["op"], "author": data["author"].strip(),
            "reason": data["reason"].strip(), "effective_date": data["effective_date"].strip(),
            "created_at": created_at, "put": list(delta.put),
            "removed": [{"code": c, "status": s} for c, s in delta.removed]}


CATALOG_DOMAIN = "hallsync-catalog-v1"


def sign_version(body: dict, keys: KeyPair) -> dict:
    return sign_body(body, keys, CATALOG_DOMAIN)


def verify_version(body: dict, hub_key: PublicKey) -> bool:
    """True when the version is signed by the hub's key."""
    return verify_body(body, hub_key, CATALOG_DOMAIN)


def delta_of(body: dict) -> Delta:
    """The delta a signed version carries."""
    return Delta(tuple(body["put"]), tuple((r["code"], r["status"]) for r in body["removed"]))
