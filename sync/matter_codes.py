"""National matter codes (国家政务服务事项编码) beside the city's own codes.

The city's codes stay the key: the basic code (``SY24001``) names a matter in
cases, events, rollups and the reform history, and nothing stored changes. Each
matter may also carry a ``national_code``, in the shape of the implementation
codes of the national 权力清单 practice recorded in domain.md §1.3
(``62052400MZ-XK-0001``): the 8-digit region (行政区划代码, the city's 210100
padded with 00), the implementing department's letters, the matter type's
letters (XK = 行政许可, the pinyin initials of the GB/T 39046 A.1 type) and a
4-digit serial within that department and type. Anywhere a matter code is
accepted, a national code is accepted too and resolved to the basic code
(``resolve``), so what is stored and signed keeps today's codes.
"""
from __future__ import annotations

import dataclasses
import re
from collections import Counter
from collections.abc import Collection, Iterable, Mapping

from sync.errors import ValidationError

# The pinyin initials of each GB/T 39046 A.1 事项类型 (sync.catalog_schema.MATTER_TYPES).
TYPE_LETTERS = {
    "00": "QL", "01": "XK", "02": "CF", "03": "QZ", "04": "ZS", "05": "JF", "06": "JC",
    "07": "QR", "08": "JL", "09": "CJ", "10": "QT", "20": "GG",
}
# Each department's letters: the pinyin initials of its short name (简称), made longer
# where two departments would share them (民政 MZ, 民宗 MZZ; 税务 SW, 水务 SWU).
DEPARTMENT_LETTERS = {
    "ndrc": "FG", "education": "JY", "science": "KJ", "industry": "GX", "ethnic": "MZZ",
    "police": "GA", "civil": "MZ", "justice": "SF", "finance": "CZ", "hrss": "RS",
    "natres": "ZR", "ecoenv": "HJ", "housing": "ZJ", "property": "FC", "urbanmgmt": "CG",
    "transport": "JT", "water": "SWU", "agri": "NY", "commerce": "SH", "culture": "WL",
    "health": "WJ", "veterans": "TYJR", "emergency": "YJ", "market": "SJ", "sports": "TY",
    "medinsur": "YB", "foreign": "WB", "airdef": "RF", "fund": "GJJ", "disabled": "CL",
    "archives": "DA", "seismic": "DZ", "weather": "QX", "tax": "SW", "fire": "XF",
    "traffic": "JJ", "tobacco": "YC", "postal": "YZ",
}


_NATIONAL = re.compile(r"(?P<region>\d{8})(?P<department>[A-Z]{2,4})"
                       r"-(?P<type>[A-Z]{2})-(?P<serial>\d{4})")
HINT = "8 位行政区划代码 + 部门字母-事项类型字母-4 位序号，如 21010000SJ-XK-0001"


@dataclasses.dataclass(frozen=True)
class NationalCode:
    """The parts of a national code."""

    region: str
    department: str
    type_letters: str
    serial: int

    def __str__(self) -> str:
        return f"{self.region}{self.department}-{self.type_letters}-{self.serial:04d}"


def make(region: str, department_letters: str, matter_type: str, serial: int) -> str:
    """The national code of a matter: ``make("210100", "SJ", "01", 1)`` → ``21010000SJ-XK-0001``."""
    return str(NationalCode(region.ljust(8, "0"), department_letters, TYPE_LETTERS[matter_type],
                            serial))


def assign(matters: Iterable[Mapping], region: str) -> dict[str, str]:
    """basic code → national code, for the matters that have none (the next free serial of
    their department and type); codes already given never change. A department without
    letters in ``DEPARTMENT_LETTERS`` gets none: its matters stay without a code."""
    matters = list(matters)
    used = Counter()
    for m in matters:
        if m.get("national_code"):
            parts = parse(m["national_code"])
            key = (parts.department, parts.type_letters)
            used[key] = max(used[key], parts.serial)
    given = {}
    for m in sorted(matters, key=lambda m: m["basic_code"]):
        if m.get("national_code") or m["department"] not in DEPARTMENT_LETTERS:
            continue
        key = (DEPARTMENT_LETTERS[m["department"]], TYPE_LETTERS[m["type"]])
        used[key] += 1
        given[m["basic_code"]] = make(region, key[0], m["type"], used[key])
    return given


def parse(code: str) -> NationalCode | None:
    """The parts of ``code``, or None when it is not in the national shape."""
    found = _NATIONAL.fullmatch(code) if isinstance(code, str) else None
    if found is None:
        return None
    return NationalCode(found["region"], found["department"], found["type"], int(found["serial"]))


def check(code, matter_type: str, field: str) -> str:
    """Refuse a national code out of shape or whose type letters are not the matter's type.

    :raises ValidationError: naming ``field``.
    """
    parts = parse(code)
    if parts is None or parts.serial == 0:
        raise ValidationError(f"{field}: 格式不正确（{HINT}），实际为 {code!r}", field=field)
    expected = TYPE_LETTERS.get(matter_type)
    if parts.type_letters != expected:
        raise ValidationError(f"{field}: 事项类型字母应为 {expected}（事项类型 {matter_type}），"
                              f"实际为 {parts.type_letters}", field=field)
    return code


def check_catalog(matters: Iterable[tuple[str, str, str | None]]) -> None:
    """Across a catalog of (path, department, national code): codes are unique, one region,
    and each department keeps one set of letters that no other department uses.

    :raises ValidationError: naming the path of the first matter that disagrees.
    """
    seen: dict[str, str] = {}
    letters_of: dict[str, str] = {}
    department_of: dict[str, str] = {}
    region = None
    for path, department, code in matters:
        parts = parse(code) if code else None
        if parts is None:
            continue
        field = f"{path}.national_code"
        if code in seen:
            raise ValidationError(f"{field}: 国家编码 {code} 与 {seen[code]} 重复", field=field)
        seen[code] = path
        region = region or parts.region
        if parts.region != region:
            raise ValidationError(f"{field}: 行政区划代码应为 {region}，实际为 {parts.region}",
                                  field=field)
        if letters_of.setdefault(department, parts.department) != parts.department:
            raise ValidationError(f"{field}: 部门 {department} 的字母应为 {letters_of[department]}，"
                                  f"实际为 {parts.department}", field=field)
        if department_of.setdefault(parts.department, department) != department:
            raise ValidationError(f"{field}: 部门字母 {parts.department} 已用于部门 "
                                  f"{department_of[parts.department]}", field=field)


def index(matters: Iterable[Mapping]) -> dict[str, str]:
    """National code → basic code, for the matters that have one."""
    return {m["national_code"]: m["basic_code"] for m in matters if m.get("national_code")}


def looks_national(code: str) -> bool:
    """Whether ``code`` (as typed) is in the national shape, so a lookup by it is worth doing."""
    return parse(normal(code)) is not None


def normal(code) -> str:
    """A code as typed, trimmed and upper-cased (both kinds of code are upper case)."""
    return code.strip().upper() if isinstance(code, str) else ""


def resolve(code, basic_codes: Collection[str], national: Mapping[str, str]) -> str | None:
    """The basic code that ``code`` names, a basic or a national code; None if neither."""
    if code in basic_codes:
        return code
    return national.get(normal(code))


def find_in(catalog: Mapping[str, dict], code) -> dict | None:
    """The matter of ``catalog`` (basic code → matter) that ``code`` names, either code."""
    basic = resolve(code, catalog, index(catalog.values()))
    return catalog.get(basic) if basic else None


def pick(matters: Iterable[Mapping], code) -> dict | None:
    """The matter of a list (bookable, offered online …) that ``code`` names, either code."""
    return find_in({m["basic_code"]: m for m in matters}, code)
