"""Searching the catalog and naming its codes in Chinese, for the hub's and the nodes' pages.

It takes matter dicts (``sync.catalog_schema``) and returns dicts or strings
(only ``stored_form`` looks at a disk, the form store), so the hub, every node and their JSON APIs search and label the
same way. A catalog holds at most a few hundred matters, so plain Python
filtering is fast enough and keeps the result identical on SQLite and
PostgreSQL (no collation or LIKE differences for Chinese text).
"""
from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from sync.catalog_schema import (FORM_KINDS, HANDLING_TYPES, LEVELS, MATTER_TYPES, ONLINE_DEPTHS,
                                 SERVICE_OBJECTS, TONGBAN_SCOPES)
from sync import matter_dates
from sync.errors import ValidationError

MAX_QUERY = 100
# Why a matter left the catalog, as the banner on its page says it.
STATUS_LABELS = {"in_force": "现行有效", "cancelled": "已取消", "merged": "已合并",
                 "converted": "已转为备案"}
# The short level names for filters and tight columns (LEVELS has the GB/T wording).
LEVEL_SHORT = {"city": "市级", "district": "区县级", "street": "街道级"}
FIELD_LABELS = {
    "basic_code": "基本编码", "implementation_code": "实施编码", "name": "事项名称",
    "type": "事项类型", "legal_basis": "设定依据", "department": "实施部门",
    "co_departments": "联办部门", "levels": "行使层级", "service_objects": "服务对象",
    "legal_limit_days": "法定办结时限", "promised_limit_days": "承诺办结时限",
    "handling_type": "办件类型", "acceptance_conditions": "受理条件", "materials": "申请材料",
    "fees": "收费项目", "result_name": "审批结果", "online_depth": "网上办理深度",
    "visits": "到现场次数", "appointment": "预约办理", "in_hall": "进驻大厅",
    "tongban_scope": "通办范围", "green_channel": "绿色通道", "forms": "表格下载",
    "version": "版本", "effective_date": "生效日期", "cancelled_date": "取消日期",
    "national_code": "国家事项编码", "established": "设立日期及依据",
}


def search(matters: list[dict], q: str = "", level=None, type_=None, online_depth=None,
           department=None, departments: dict | None = None) -> list[dict]:
    """The matters that match every given filter and every word of ``q``, sorted by code.

    A word matches a basic, implementation or national code (any case) or is a substring
    of the name or of the department's Chinese name or short name.
    ``departments`` maps a department code to an object with ``name`` and
    ``short`` (``sync.catalog_history.load_departments()``).
    """
    departments = departments or {}
    words = [w.casefold() for w in (q or "").split()]
    depth = int(online_depth) if online_depth not in (None, "") else None
    found = []
    for matter in matters:
        if level and level not in matter["levels"]:
            continue
        if type_ and matter["type"] != type_:
            continue
        if depth is not None and matter["online_depth"] != depth:
            continue
        if department and matter["department"] != department:
            continue
        haystack = _haystack(matter, departments)
        if all(word in haystack for word in words):
            found.append(matter)
    return sorted(found, key=lambda m: m["basic_code"])


def _haystack(matter: dict, departments: dict) -> str:
    dept = departments.get(matter["department"])
    parts = [matter["basic_code"], matter["implementation_code"], matter.get("national_code") or "",
             matter["name"], matter["department"]]
    if dept is not None:
        parts += [dept.name, dept.short]
    # A newline cannot be inside a word, so a word never matches across two fields.
    return "\n".join(parts).casefold()


def filters_from(args: Mapping[str, str]) -> dict:
    """Search keyword arguments from a page's or an API's query string (q, level, type, depth, department).

    :raises ValidationError: an unknown level, type or depth, or a query that is too long.
    """
    q = (args.get("q") or "").strip()
    if len(q) > MAX_QUERY:
        raise ValidationError(f"q: 查询内容不能超过 {MAX_QUERY} 个字符", field="q")
    level = args.get("level") or None
    if level is not None and level not in LEVELS:
        raise ValidationError(f"level: 未知的行使层级 {level!r}", field="level")
    type_ = args.get("type") or None
    if type_ is not None and type_ not in MATTER_TYPES:
        raise ValidationError(f"type: 未知的事项类型 {type_!r}", field="type")
    depth = args.get("depth") or None
    if depth is not None and (not depth.isdigit() or int(depth) not in ONLINE_DEPTHS):
        raise ValidationError(f"depth: 未知的网上办理深度 {depth!r}", field="depth")
    return {"q": q, "level": level, "type_": type_,
            "online_depth": int(depth) if depth else None,
            "department": args.get("department") or None}


def api_row(matter: dict) -> dict:
    """A matter as one row of the catalog search API."""
    return {"code": matter["basic_code"], "national_code": matter.get("national_code"),
            "name": matter["name"],
            "department": matter["department"], "levels": matter["levels"],
            "type": matter["type"], "online_depth": matter["online_depth"],
            "promised_limit_days": matter["promised_limit_days"]}


def department_options(matters: list[dict], departments: dict) -> list[tuple[str, str]]:
    """(code, Chinese name) of the departments that have matters, in the departments' order."""
    used = {m["department"] for m in matters}
    known = sorted((d for d in departments.values() if d.code in used), key=lambda d: d.number)
    return [(d.code, d.name) for d in known] + [(c, c) for c in sorted(used - set(departments))]


def form_store_path(file: str) -> str:
    """A form's path inside a form store (``forms/SY01001/a.docx`` → ``SY01001/a.docx``)."""
    return file.removeprefix("forms/")


def stored_form(store_dir: Path, file: str) -> str | None:
    """The form's path inside ``store_dir`` if its file is there, else None (never outside it)."""
    path = form_store_path(file)
    root = Path(store_dir).resolve()
    full = (root / path).resolve()
    return path if full.is_relative_to(root) and full.is_file() else None


# --- labels ------------------------------------------------------------------

def type_label(code: str) -> str:
    """事项类型: ``"01"`` → ``行政许可``."""
    return MATTER_TYPES.get(code, code)


def level_label(level: str) -> str:
    """行使层级: ``"street"`` → ``街道级``."""
    return LEVEL_SHORT.get(level, LEVELS.get(level, level))


def depth_label(depth: int) -> str:
    """网上办理深度: ``4`` → ``Ⅳ级（全程网办）``."""
    return ONLINE_DEPTHS.get(depth, str(depth))


def depth_short(depth: int) -> str:
    """网上办理深度 for a table column: ``4`` → ``Ⅳ级``."""
    return depth_label(depth).split("（")[0]


def limit_label(days: int) -> str:
    """A time limit: ``0`` → ``即办``, ``5`` → ``5 个工作日``."""
    return "即办" if days == 0 else f"{days} 个工作日"


def handling_label(code: str) -> str:
    """办件类型: ``"promised"`` → ``承诺件``."""
    return HANDLING_TYPES.get(code, code)


def tongban_label(code: str) -> str:
    """通办范围 in words."""
    return TONGBAN_SCOPES.get(code, code)


def service_object_label(code: str) -> str:
    """服务对象: ``"1"`` → ``自然人``."""
    return SERVICE_OBJECTS.get(code, code)


def form_kind_label(code: str) -> str:
    """表格类型: ``"blank"`` → ``空白表格``."""
    return FORM_KINDS.get(code, code)


def field_label(name: str) -> str:
    """A matter field's Chinese name: ``"promised_limit_days"`` → ``承诺办结时限``."""
    return FIELD_LABELS.get(name, name)


def status_label(status: str) -> str:
    """Whether a matter is in force, or why it left: ``"converted"`` → ``已转为备案``."""
    return STATUS_LABELS.get(status, status)


def money(fen: int) -> str:
    """An amount in fen as yuan: ``1250`` → ``¥12.50``, ``123456789`` → ``¥1,234,567.89``."""
    sign = "-" if fen < 0 else ""
    yuan, cents = divmod(abs(fen), 100)
    return f"{sign}¥{yuan:,}.{cents:02d}"


def department_name(code: str, departments: dict) -> str:
    """A department's Chinese name, or its code where the departments file does not list it."""
    dept = departments.get(code)
    return dept.name if dept is not None else code


# Registered as Jinja filters by both apps' catalog pages, so hub and node label alike.
TEMPLATE_FILTERS = {
    "matter_type": type_label, "level": level_label, "depth": depth_label,
    "depth_short": depth_short, "limit": limit_label,
    "handling": handling_label, "tongban": tongban_label, "service_object": service_object_label,
    "form_kind": form_kind_label, "field_label": field_label, "status_label": status_label,
    "money": money, "established": matter_dates.label,
}
