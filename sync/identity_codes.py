"""Applicants' identity numbers: the resident ID number and the unified social credit code.

Both are checked the same way at every window and at the hub, so a number
refused at a street center is refused at the city too. Each check returns the
normalised number or raises ``ValidationError`` whose ``field`` is the form
field and whose message says in Chinese what is wrong (长度, 字符, 地区码,
出生日期, 校验位 …), because the clerk reads it to the applicant.

* Resident ID number (公民身份号码, GB 11643-1999): 6-digit address code,
  8-digit birth date, 3-digit sequence, and an ISO 7064 MOD 11-2 check
  character (0-9 or X).
* Unified social credit code (统一社会信用代码, GB 32100-2015): registration
  authority (1 char), organisation category (1), registering authority's
  division code (6 digits), the subject identifier (9 chars: a GB 11714
  organisation code with its own MOD 11 check char) and a MOD 31 check char.
  The charset is digits and capital letters without I, O, Z, S, V.

The ``*_check_char`` helpers compute check characters, so tests and demo data
can build valid numbers without copying real people's.
"""
from __future__ import annotations

import datetime
import re
import unicodedata

from sync.case_clock import china_today
from sync.errors import ValidationError

# GB/T 2260 province-level codes (first two digits). 71/81/82/83 are the codes
# on Taiwan, Hong Kong and Macao residents' residence permits, which carry an
# 18-digit number of the same shape. A full county table is not kept here: it
# changes every year, and a wrong county with a right check digit is rare.
PROVINCES = frozenset({
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37",
    "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64",
    "65", "71", "81", "82", "83",
})
# Credit codes registered by a central authority carry 100000.
CREDIT_DIVISION_PREFIXES = PROVINCES | {"10"}
# No living applicant was born before this; earlier dates are typing errors.
EARLIEST_BIRTH = datetime.date(1900, 1, 1)

_ID_WEIGHTS = tuple(2 ** (17 - i) % 11 for i in range(17))   # 7 9 10 5 8 4 2 1 6 3 ...
_ID_CHECK = "10X98765432"                                      # indexed by sum mod 11

# GB 32100-2015 Table 1 (登记管理部门码) with each authority's category codes (机构类别码).
REGISTRATION_AUTHORITIES = {
    "1": ("机构编制", {"1": "机关", "2": "事业单位", "3": "中央编办直接管理机构编制的群众团体",
                       "9": "其他"}),
    "2": ("外交", {"1": "外国常驻新闻机构", "9": "其他"}),
    "3": ("司法行政", {"1": "律师执业机构", "2": "公证处", "3": "基层法律服务所",
                       "4": "司法鉴定机构", "5": "仲裁委员会", "9": "其他"}),
    "4": ("文化", {"1": "外国在华文化中心", "9": "其他"}),
    "5": ("民政", {"1": "社会团体", "2": "民办非企业单位", "3": "基金会", "9": "其他"}),
    "6": ("旅游", {"1": "外国旅游部门常驻代表机构",
                   "2": "港澳台地区旅游部门常驻内地（大陆）代表机构", "9": "其他"}),
    "7": ("宗教", {"1": "宗教活动场所", "2": "宗教院校", "9": "其他"}),
    "8": ("工会", {"1": "基层工会", "9": "其他"}),
    "9": ("工商", {"1": "企业", "2": "个体工商户", "3": "农民专业合作社"}),
    "A": ("中央军委改革和编制办公室", {"1": "军队事业单位", "9": "其他"}),
    "N": ("农业", {"1": "组级集体经济组织", "2": "村级集体经济组织",
                   "3": "乡镇级集体经济组织", "9": "其他"}),
    "Y": ("其他", {"1": "其他"}),
}
CREDIT_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"           # value = index; no I O Z S V
_CREDIT_VALUE = {c: i for i, c in enumerate(CREDIT_CHARSET)}
_CREDIT_WEIGHTS = tuple(3 ** i % 31 for i in range(17))       # 1 3 9 27 19 26 16 ...
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)                      # GB 11714-1997


def resident_id_check_char(first17: str) -> str:
    """The GB 11643 check character (0-9 or X) of the first 17 digits."""
    if len(first17) != 17 or not first17.isascii() or not first17.isdigit():
        raise ValueError(f"expected 17 digits (got {first17!r})")
    total = sum(int(c) * w for c, w in zip(first17, _ID_WEIGHTS))
    return _ID_CHECK[total % 11]


def org_code_check_char(first8: str) -> str:
    """The GB 11714 check character (0-9 or X) of an 8-character organisation code body."""
    if len(first8) != 8 or not all(c in _CREDIT_VALUE for c in first8):
        raise ValueError(f"expected 8 credit-code characters (got {first8!r})")
    # GB 11714 values letters A=10 … Z=35 over the whole alphabet, unlike GB 32100.
    total = sum(int(c, 36) * w for c, w in zip(first8, _ORG_WEIGHTS))
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def credit_code_check_char(first17: str) -> str:
    """The GB 32100 MOD 31 check character of the first 17 characters."""
    if len(first17) != 17 or not all(c in _CREDIT_VALUE for c in first17):
        raise ValueError(f"expected 17 credit-code characters (got {first17!r})")
    total = sum(_CREDIT_VALUE[c] * w for c, w in zip(first17, _CREDIT_WEIGHTS))
    return CREDIT_CHARSET[(31 - total % 31) % 31]


def check_resident_id(text: str, *, field: str = "id_number",
                      today: datetime.date | None = None) -> str:
    """The normalised resident ID number (uppercase X), or ``ValidationError`` saying what is wrong."""
    number = _normalise(text, field, "身份证号码")
    if len(number) != 18:
        _fail(field, f"身份证号码长度应为 18 位，实际为 {len(number)} 位")
    if not (number.isascii() and number[:17].isdigit()
            and (number[17].isdigit() or number[17] == "X")):
        _fail(field, "身份证号码前 17 位必须是数字，最后一位是数字或 X")
    if number[:2] not in PROVINCES:
        _fail(field, f"身份证号码地区码 {number[:6]} 无效（前两位 {number[:2]} 不是省级行政区划代码）")
    _check_birth(number[6:14], field, today or china_today())
    # The message does not reveal the expected character: a clerk who is told
    # it would "fix" the last digit instead of finding the real typo.
    if resident_id_check_char(number[:17]) != number[17]:
        _fail(field, "身份证号码校验位不符，请逐位核对号码")
    return number


def check_credit_code(text: str, *, field: str = "credit_code") -> str:
    """The normalised unified social credit code, or ``ValidationError`` saying what is wrong."""
    code = _normalise(text, field, "统一社会信用代码")
    if len(code) != 18:
        _fail(field, f"统一社会信用代码长度应为 18 位，实际为 {len(code)} 位")
    for i, char in enumerate(code, 1):
        if char not in _CREDIT_VALUE:
            _fail(field, f"统一社会信用代码第 {i} 位字符 {char!r} 无效"
                         "（只能是数字和大写字母，不含 I、O、Z、S、V）")
    authority = REGISTRATION_AUTHORITIES.get(code[0])
    if authority is None:
        _fail(field, f"统一社会信用代码第 1 位登记管理部门码 {code[0]!r} 无效")
    name, categories = authority
    if code[1] not in categories:
        _fail(field, f"统一社会信用代码第 2 位机构类别码 {code[1]!r} "
                     f"不属于登记管理部门「{name}」（可选：{'、'.join(categories)}）")
    division = code[2:8]
    if not division.isdigit() or division[:2] not in CREDIT_DIVISION_PREFIXES:
        _fail(field, f"统一社会信用代码第 3-8 位登记管理机关行政区划码 {division!r} 无效")
    if org_code_check_char(code[8:16]) != code[16]:
        _fail(field, "统一社会信用代码第 9-17 位主体标识码（组织机构代码）校验位不符，请逐位核对")
    if credit_code_check_char(code[:17]) != code[17]:
        _fail(field, "统一社会信用代码第 18 位校验位不符，请逐位核对")
    return code


# -- a person's identity document: the resident ID, or one of those who have none ------
# GB/T 39046's 证件类型: Hong Kong, Macao and Taiwan residents' residence permits and travel
# permits, passports, the foreign permanent residence ID card (2023 format). Each number
# is checked as far as its format allows; a case made before the type was recorded is a
# resident ID's.

RESIDENT_ID = "resident_id"
ID_TYPES = {  # code → label, in the order a clerk is offered them
    RESIDENT_ID: "居民身份证",
    "residence_permit": "港澳台居民居住证",
    "hk_macao_permit": "港澳居民来往内地通行证",
    "taiwan_permit": "台湾居民来往大陆通行证",
    "foreign_permanent": "外国人永久居留身份证",
    "passport": "护照",
}
_RESIDENCE_PREFIXES = {"810000": "香港", "820000": "澳门", "830000": "台湾"}
_HK_MACAO = re.compile(r"[HM]\d{8}(\d{2})?")          # H/M + 8 digits (older cards: + 2)
_TAIWAN = re.compile(r"\d{8}|[A-Z]?\d{8}[A-Z0-9]?")     # 8 digits, older ones with letters
_PASSPORT = re.compile(r"[A-Z0-9]{5,17}")              # ICAO 9303: up to 9, some states more


def check_person_id(id_type: str, text: str, *, field: str = "id_number") -> str:
    """The normalised number of a person's document of ``id_type``, or ``ValidationError``."""
    if not isinstance(id_type, str) or id_type not in ID_TYPES:  # a list is no dict key
        _fail(field.rsplit(".", 1)[0] + ".id_type" if "." in field else "id_type",
              f"证件类型应为{'、'.join(ID_TYPES.values())}之一")
    if id_type == RESIDENT_ID:
        return check_resident_id(text, field=field)
    number = _normalise(text, field, ID_TYPES[id_type] + "号码")
    if id_type in ("residence_permit", "foreign_permanent"):
        return _eighteen(id_type, number, field)
    pattern = {"hk_macao_permit": _HK_MACAO, "taiwan_permit": _TAIWAN,
               "passport": _PASSPORT}[id_type]
    if not pattern.fullmatch(number):
        _fail(field, {"hk_macao_permit": "港澳居民来往内地通行证号码应为 H 或 M 加 8 位（旧证 10 位）数字",
                      "taiwan_permit": "台湾居民来往大陆通行证号码应为 8 位数字（旧证可含字母）",
                      "passport": "护照号码应为 5–17 位字母或数字"}[id_type])
    return number


def _eighteen(id_type: str, number: str, field: str) -> str:
    """The two 18-character documents built like the resident ID: birth date and its
    ISO 7064 MOD 11-2 check character."""
    label = ID_TYPES[id_type]
    if len(number) != 18 or not (number[:17].isdigit() and (number[17].isdigit()
                                                             or number[17] == "X")):
        _fail(field, f"{label}号码应为 18 位：前 17 位数字，最后一位数字或 X")
    if id_type == "residence_permit" and number[:6] not in _RESIDENCE_PREFIXES:
        _fail(field, f"{label}号码应以 810000（香港）、820000（澳门）或 830000（台湾）开头")
    if id_type == "foreign_permanent" and number[0] != "9":
        _fail(field, f"{label}（2023 年版）号码以 9 开头")
    _check_birth(number[6:14], field, china_today())
    if resident_id_check_char(number[:17]) != number[17]:
        _fail(field, f"{label}号码校验位不符，请逐位核对号码")
    return number


def _normalise(text, field: str, what: str) -> str:
    if not isinstance(text, str):
        _fail(field, f"{what}必须是字符串")
    # NFKC turns full-width digits and letters, which Chinese input methods
    # often produce, into ASCII; spaces typed to group the digits are dropped.
    text = "".join(unicodedata.normalize("NFKC", text).split()).upper()
    if not text:
        _fail(field, f"{what}不能为空")
    return text


def _check_birth(digits: str, field: str, today: datetime.date) -> None:
    try:
        born = datetime.date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    except ValueError:
        _fail(field, f"身份证号码中的出生日期 {digits} 不是有效日期")
    if born > today:
        _fail(field, f"身份证号码中的出生日期 {born.isoformat()} 晚于今天")
    if born < EARLIEST_BIRTH:
        _fail(field, f"身份证号码中的出生日期 {born.isoformat()} 早于 {EARLIEST_BIRTH.year} 年")


def _fail(field: str, reason: str):
    raise ValidationError(f"{field}: {reason}", field=field)
