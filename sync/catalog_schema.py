"""The schema of a government service matter (政务服务事项), shared by hub and node.

Fields follow GB/T 39046-2020 Table 4 (事项管理基础数据集) and the national
platform's implementation-list elements (docs: domain.md §1.2-1.4). A matter is
pure data: ``validate_matter(dict)`` checks a JSON object and returns a frozen
``Matter``; ``matter_to_dict(matter)`` gives the canonical JSON object back
(only JSON types, no floats: money in fen, time limits in working days, dates
as ``YYYY-MM-DD``), so ``matter_to_dict(validate_matter(d)) == d`` for any
canonical ``d``. The first problem raises ``ValidationError`` whose ``field``
is the exact path, e.g. ``materials[2].issuer``; the reason is in Chinese
because catalog operators read it.
"""
from __future__ import annotations

import dataclasses
import datetime
import re
from collections.abc import Callable, Collection

from sync import matter_codes
from sync.errors import ValidationError
from sync.licences import TRUST_LEVELS

# GB/T 39046-2020 Annex A.1 事项类型代码 (the field stores the code).
MATTER_TYPES = {
    "00": "行政权力事项", "01": "行政许可", "02": "行政处罚", "03": "行政强制",
    "04": "行政征收", "05": "行政给付", "06": "行政检查", "07": "行政确认",
    "08": "行政奖励", "09": "行政裁决", "10": "其他行政权力", "20": "公共服务事项",
}
# Exercising levels of a city's matters, with the GB/T 39046 A.2 行使层级 code.
LEVELS = {"city": "市级", "district": "县级（区、县（市））", "street": "镇（乡、街道）级"}
LEVEL_GB_CODES = {"city": "3", "district": "4", "street": "5"}
# 办件类型, A.6: 1 即办件, 2 承诺件, 9 其他; Shenyang's 2002 rules add 联办件.
HANDLING_TYPES = {"immediate": "即办件", "promised": "承诺件", "joint": "联办件"}
HANDLING_GB_CODES = {"immediate": "1", "promised": "2", "joint": "9"}
ONLINE_DEPTHS = {1: "Ⅰ级（网上咨询、办事指南）", 2: "Ⅱ级（表格下载）",
                 3: "Ⅲ级（网上申请、预审）", 4: "Ⅳ级（全程网办）"}
# 通办范围: which centers may accept (收件) the matter and hand it off.
TONGBAN_SCOPES = {
    "none": "不通办（仅在行使层级的中心受理）",
    "district": "全区通办（本区及所属街道中心均可受理）",
    "city": "全市通办（全市各级中心均可受理）",
}
SERVICE_OBJECTS = {"1": "自然人", "2": "企业法人", "3": "事业法人", "4": "社会组织法人",
                   "5": "行政机关", "6": "其他组织"}
FORM_KINDS = {"blank": "空白表格", "sample": "示例样表"}
FORM_EXTENSIONS = (".pdf", ".doc", ".docx", ".xls", ".xlsx")

_BASIC_CODE = re.compile(r"[0-9A-Z]{1,10}")        # GB/T 39046: an..10
_IMPL_CODE = re.compile(r"[0-9A-Z]{1,24}")         # GB/T 39046: an..24
_DEPT_CODE = re.compile(r"[a-z][a-z0-9_]{1,31}")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_MISSING = object()


# Optional fields are left out of a matter's JSON when absent (``omit_none``), so the
# versions made before them keep their bytes and signatures.
_OMIT = {"omit_none": True}


@dataclasses.dataclass(frozen=True)
class Condition:
    """A material applies only when the applicant answers ``question`` with one of ``values``."""

    question: str
    values: tuple[str, ...]


@dataclasses.dataclass(frozen=True)
class Option:
    value: str
    label: str


@dataclasses.dataclass(frozen=True)
class Question:
    """A question of a matter with variants (情形): its answer narrows the material list."""

    id: str
    text: str
    options: tuple[Option, ...]


@dataclasses.dataclass(frozen=True)
class Answered:
    """A frequently asked question (常见问题) and its answer."""

    q: str
    a: str


@dataclasses.dataclass(frozen=True)
class Material:
    """A required material (申请材料): who issues it and how many papers to bring."""

    name: str
    issuer: str            # 出具机构; "申请人" for what the applicant writes
    originals: int         # 原件份数 (shown and checked, or kept)
    copies: int            # 复印件份数
    required: bool         # 是否必备材料
    e_licence: bool        # reusable electronic licence: the window fetches it, "do not ask twice"
    # Only in these cases (every condition holds); None: always.
    when: tuple[Condition, ...] | None = dataclasses.field(default=None, metadata=_OMIT)
    # The lowest trust level (国办函〔2016〕108号: A authority, B window-checked, C uploaded,
    # D pledged) that satisfies an ``e_licence`` material without the original: None is B.
    reusable_trust_level: str | None = dataclasses.field(default=None, metadata=_OMIT)


@dataclasses.dataclass(frozen=True)
class ResultLicence:
    """The electronic licence an approval of the matter issues (电子证照库): its name, as
    other matters' materials name it, and its term in years (0: 长期)."""

    name: str
    valid_years: int


@dataclasses.dataclass(frozen=True)
class Fee:
    """A fee item (收费项目); amount in fen per unit, never a float."""

    name: str
    amount_fen: int
    unit: str              # per what: 件, 本, 副 ...
    basis: str             # 收费依据


@dataclasses.dataclass(frozen=True)
class Form:
    """A downloadable form: the blank table (空白表格) or a filled-in sample (示例样表)."""

    name: str
    kind: str
    file: str              # relative path in the hub's form store, e.g. forms/SY24001/application.docx
    # The SHA-256 of the file as the hub published it (``hallsync hub catalog attach-form``):
    # nodes fetch it by this digest and keep it only if it matches. None: not uploaded
    # yet. Left out of the JSON when None, so versions made before it read the same.
    sha256: str | None = dataclasses.field(default=None, metadata={"omit_none": True})


@dataclasses.dataclass(frozen=True)
class Replaced:
    """A city approval item a matter took the place of (its name and department then)."""

    name: str
    department: str


@dataclasses.dataclass(frozen=True)
class Established:
    """When a matter that did not exist when the reform history ends (March 2015) was
    created, the instrument that created it (设立依据) and the items it took the place of
    (in force when the history ends: the reform history keeps them, not this matter)."""

    date: datetime.date
    basis: str
    replaces: tuple[Replaced, ...] | None = dataclasses.field(default=None, metadata=_OMIT)


@dataclasses.dataclass(frozen=True)
class Matter:
    """One matter of the catalog, as every center must show and handle it."""

    basic_code: str
    implementation_code: str
    name: str
    type: str
    legal_basis: str
    department: str
    co_departments: tuple[str, ...]
    levels: tuple[str, ...]
    service_objects: tuple[str, ...]
    legal_limit_days: int
    promised_limit_days: int
    handling_type: str
    acceptance_conditions: str
    materials: tuple[Material, ...]
    fees: tuple[Fee, ...]
    result_name: str
    online_depth: int
    visits: int            # 到办事现场次数 ("最多跑一次" counts these)
    appointment: bool
    in_hall: bool
    tongban_scope: str
    green_channel: bool
    forms: tuple[Form, ...]
    version: int
    effective_date: datetime.date
    cancelled_date: datetime.date | None = None
    # The matter's variants: questions whose answers narrow ``materials`` (``when``).
    questions: tuple[Question, ...] | None = dataclasses.field(default=None, metadata=_OMIT)
    faq: tuple[Answered, ...] | None = dataclasses.field(default=None, metadata=_OMIT)
    # None: an approval issues no licence into the register (a reply, a record, a payment).
    result_licence: ResultLicence | None = dataclasses.field(default=None, metadata=_OMIT)
    # The national code (sync.matter_codes), accepted wherever the basic code is.
    national_code: str | None = dataclasses.field(default=None, metadata=_OMIT)
    # None: in force when the reform history ends (March 2015), its creation date not recorded.
    established: Established | None = dataclasses.field(default=None, metadata=_OMIT)


# --- field checkers: each takes (value, path) and returns the converted value ---

def _fail(path: str, reason: str):
    raise ValidationError(f"{path}: {reason}", field=path)


def _text(max_len: int = 2000) -> Callable:
    def check(value, path):
        if not isinstance(value, str):
            _fail(path, "必须是字符串")
        if not value.strip():
            _fail(path, "不能为空")
        if len(value) > max_len:
            _fail(path, f"长度不能超过 {max_len} 个字符")
        return value
    return check


def _pattern(regex: re.Pattern, hint: str) -> Callable:
    def check(value, path):
        if not isinstance(value, str) or not regex.fullmatch(value):
            _fail(path, f"格式不正确（{hint}），实际为 {value!r}")
        return value
    return check


def _int(low: int, high: int) -> Callable:
    def check(value, path):
        # bool is an int in Python and a float is not canonical: refuse both.
        if type(value) is not int:
            _fail(path, f"必须是整数，实际为 {value!r}")
        if not low <= value <= high:
            _fail(path, f"必须在 {low} 到 {high} 之间，实际为 {value}")
        return value
    return check


def _bool(value, path):
    if not isinstance(value, bool):
        _fail(path, f"必须是 true 或 false，实际为 {value!r}")
    return value


def _choice(table: dict, what: str) -> Callable:
    def check(value, path):
        # type() rather than isinstance: True == 1 and 1.0 == 1 must not pass.
        if type(value) not in (str, int) or value not in table:
            _fail(path, f"未知的{what} {value!r}，可选：{', '.join(map(str, table))}")
        return value
    return check


def _date(value, path):
    if not isinstance(value, str) or not _ISO_DATE.fullmatch(value):
        _fail(path, f"必须是 YYYY-MM-DD 格式的日期，实际为 {value!r}")
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        _fail(path, f"不是有效日期：{value!r}")


def _optional(check: Callable) -> Callable:
    return lambda value, path: None if value is None else check(value, path)


def _list(check: Callable, min_len: int = 0, unique: bool = False) -> Callable:
    def check_list(value, path):
        if not isinstance(value, list):
            _fail(path, "必须是列表")
        if len(value) < min_len:
            _fail(path, f"至少需要 {min_len} 项")
        items = tuple(check(item, f"{path}[{i}]") for i, item in enumerate(value))
        if unique:
            for i, item in enumerate(items):
                if item in items[:i]:
                    _fail(f"{path}[{i}]", f"重复：{item!r}")
        return items
    return check_list


def _record(cls: type, spec: dict[str, Callable], defaults: dict | None = None) -> Callable:
    """A checker for a JSON object: fields in ``spec`` order, then unknown keys."""
    defaults = defaults or {}

    def check(value, path):
        prefix = f"{path}." if path else ""
        if not isinstance(value, dict):
            _fail(path or "$", "必须是 JSON 对象")
        fields = {}
        for key, check_field in spec.items():
            raw = value.get(key, defaults.get(key, _MISSING))
            if raw is _MISSING:
                _fail(prefix + key, "必填")
            fields[key] = check_field(raw, prefix + key)
        for key in value:
            if key not in spec:
                _fail(prefix + str(key), "未知字段")
        return cls(**fields)
    return check


_WORD = _pattern(re.compile(r"[a-z][a-z0-9_]{0,31}"), "小写字母开头的英文标识，如 kind")
_condition = _record(Condition, {"question": _WORD, "values": _list(_WORD, 1, unique=True)})
_question = _record(Question, {
    "id": _WORD, "text": _text(200),
    "options": _list(_record(Option, {"value": _WORD, "label": _text(100)}), 2),
})
_answered = _record(Answered, {"q": _text(500), "a": _text(4000)})
_material = _record(Material, {
    "name": _text(200), "issuer": _text(200), "originals": _int(0, 20),
    "copies": _int(0, 20), "required": _bool, "e_licence": _bool,
    "when": _optional(_list(_condition, 1)),
    "reusable_trust_level": _optional(_choice(TRUST_LEVELS, "复用信任等级")),
}, defaults={"when": None, "reusable_trust_level": None})
_result_licence = _record(ResultLicence, {"name": _text(200), "valid_years": _int(0, 50)})
_fee = _record(Fee, {
    "name": _text(200), "amount_fen": _int(1, 10**12), "unit": _text(20), "basis": _text(),
})
_form = _record(Form, {
    "name": _text(200), "kind": _choice(FORM_KINDS, "表格类型"), "file": _text(300),
    "sha256": _optional(_pattern(re.compile(r"[0-9a-f]{64}"), "64 位小写十六进制 SHA-256")),
}, defaults={"sha256": None})
_DEPT = _pattern(_DEPT_CODE, "部门代码，如 market")
_matter = _record(Matter, {
    "basic_code": _pattern(_BASIC_CODE, "基本编码，1-10 位大写字母或数字"),
    "implementation_code": _pattern(_IMPL_CODE, "实施编码，1-24 位大写字母或数字"),
    "name": _text(200),
    "type": _choice(MATTER_TYPES, "事项类型代码"),
    "legal_basis": _text(),
    "department": _DEPT,
    "co_departments": _list(_DEPT, unique=True),
    "levels": _list(_choice(LEVELS, "行使层级"), min_len=1, unique=True),
    "service_objects": _list(_choice(SERVICE_OBJECTS, "服务对象代码"), min_len=1, unique=True),
    "legal_limit_days": _int(0, 365),
    "promised_limit_days": _int(0, 365),
    "handling_type": _choice(HANDLING_TYPES, "办件类型"),
    "acceptance_conditions": _text(),
    "materials": _list(_material, min_len=1),
    "fees": _list(_fee),
    "result_name": _text(200),
    "online_depth": _choice(ONLINE_DEPTHS, "网上办理深度"),
    "visits": _int(0, 9),
    "appointment": _bool,
    "in_hall": _bool,
    "tongban_scope": _choice(TONGBAN_SCOPES, "通办范围"),
    "green_channel": _bool,
    "forms": _list(_form),
    "version": _int(1, 10**6),
    "effective_date": _date,
    "cancelled_date": _optional(_date),
    "questions": _optional(_list(_question, 1)),
    "faq": _optional(_list(_answered, 1)),
    "result_licence": _optional(_result_licence),
    "national_code": _optional(_pattern(re.compile(r"[0-9A-Z-]{1,30}"), matter_codes.HINT)),
    "established": _optional(_record(Established, {
        "date": _date, "basis": _text(500),
        "replaces": _optional(_list(_record(Replaced, {"name": _text(200), "department": _DEPT}),
                                    1)),
    }, defaults={"replaces": None})),
}, defaults={"co_departments": [], "fees": [], "forms": [], "cancelled_date": None,
             "questions": None, "faq": None, "result_licence": None, "national_code": None,
             "established": None})


def validate_matter(data: dict, departments: Collection[str] | None = None) -> Matter:
    """Check one matter's JSON object and return it as a ``Matter``.

    :param departments: the known department codes; when given, ``department``
        and ``co_departments`` must be among them.
    :raises ValidationError: for the first problem, ``field`` naming its path.
    """
    matter = _matter(data, "")
    _check_rules(matter, departments)
    return matter


def _check_rules(m: Matter, departments: Collection[str] | None) -> None:
    # Rules across fields, in the order a clerk would read the record.
    if not m.implementation_code.startswith(m.basic_code):
        _fail("implementation_code", f"实施编码必须以基本编码 {m.basic_code} 开头")
    if departments is not None:
        if m.department not in departments:
            _fail("department", f"未知的实施部门 {m.department!r}")
        for i, code in enumerate(m.co_departments):
            if code not in departments:
                _fail(f"co_departments[{i}]", f"未知的部门 {code!r}")
        for i, item in enumerate(m.established.replaces or () if m.established else ()):
            if item.department not in departments:
                _fail(f"established.replaces[{i}].department", f"未知的部门 {item.department!r}")
    for i, code in enumerate(m.co_departments):
        if code == m.department:
            _fail(f"co_departments[{i}]", "联办部门不能是实施部门本身")
    if m.handling_type == "joint" and not m.co_departments:
        _fail("co_departments", "联办件至少需要一个联办部门")
    if m.promised_limit_days > m.legal_limit_days:
        _fail("promised_limit_days",
              f"承诺时限（{m.promised_limit_days}）不能超过法定时限（{m.legal_limit_days}）")
    if m.handling_type == "immediate" and m.promised_limit_days != 0:
        _fail("promised_limit_days", "即办件当场办结，承诺时限必须为 0")
    if m.handling_type != "immediate" and m.promised_limit_days == 0:
        _fail("promised_limit_days", "承诺时限为 0 的事项应为即办件")
    for i, material in enumerate(m.materials):
        if material.originals + material.copies == 0 and not material.e_licence:
            _fail(f"materials[{i}].copies", "纸质材料至少需要一份原件或复印件")
        if any(material.name == other.name for other in m.materials[:i]):
            _fail(f"materials[{i}].name", f"材料名称重复：{material.name}")
    if m.online_depth == 4 and m.visits != 0:
        _fail("visits", "Ⅳ级全程网办的事项到办事现场次数必须为 0")
    for i, form in enumerate(m.forms):
        if (form.file.startswith("/") or ".." in form.file.split("/")
                or not form.file.lower().endswith(FORM_EXTENSIONS)):
            _fail(f"forms[{i}].file",
                  f"必须是表格库内的相对路径，扩展名为 {'/'.join(FORM_EXTENSIONS)}")
    _check_variants(m)
    if m.cancelled_date is not None and m.cancelled_date <= m.effective_date:
        _fail("cancelled_date", "取消日期必须晚于生效日期")
    if m.national_code is not None:
        matter_codes.check(m.national_code, m.type, "national_code")
    if m.established is not None and m.effective_date < m.established.date:
        _fail("effective_date", f"生效日期不能早于事项设立日期 {m.established.date}")


def _check_variants(m: Matter) -> None:
    """Each condition names a question of the matter and values among its options."""
    options = {q.id: {o.value for o in q.options} for q in m.questions or ()}
    for i, q in enumerate(m.questions or ()):
        if q.id in [other.id for other in (m.questions or ())[:i]]:
            _fail(f"questions[{i}].id", f"问题标识重复：{q.id}")
        values = [o.value for o in q.options]
        if len(set(values)) != len(values):
            _fail(f"questions[{i}].options", "选项值重复")
    for i, material in enumerate(m.materials):
        for j, condition in enumerate(material.when or ()):
            where = f"materials[{i}].when[{j}]"
            if condition.question not in options:
                _fail(f"{where}.question", f"事项没有问题 {condition.question!r}")
            unknown = set(condition.values) - options[condition.question]
            if unknown:
                _fail(f"{where}.values", f"问题 {condition.question} 没有选项 "
                                         f"{'、'.join(sorted(unknown))}")


def matter_to_dict(matter: Matter) -> dict:
    """The canonical JSON object of a matter (the inverse of ``validate_matter``)."""
    return _plain(matter)


def _plain(value):
    if dataclasses.is_dataclass(value):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)
                if not (f.metadata.get("omit_none") and getattr(value, f.name) is None)}
    if isinstance(value, tuple):
        return [_plain(item) for item in value]
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value
