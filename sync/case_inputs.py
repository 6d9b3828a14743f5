"""Checkers of the data a case action carries: each takes (value, path), returns the
value to keep, and raises ``ValidationError`` naming the path, in Chinese.

Split from the state machine (``sync.case_machine``) so it reads as states and rules.
"""
from __future__ import annotations

import datetime
import re
from collections.abc import Callable

from sync.case_numbers import case_number as make_case_number, parse_case_number
from sync.errors import ValidationError


def fail(field: str, reason: str):
    raise ValidationError(f"{field}: {reason}", field=field)


def text(value, path, max_len: int = 500) -> str:
    if not isinstance(value, str) or not value.strip():
        fail(path, "必须是非空字符串")
    if len(value.strip()) > max_len:
        fail(path, f"长度不能超过 {max_len} 个字符")
    return value.strip()


def one_of(table: dict) -> Callable:
    def check(value, path):
        if not isinstance(value, str) or value not in table:
            fail(path, f"未知的取值 {value!r}，可选：{', '.join(table)}")
        return value
    return check


def matching(regex: str, hint: str, upper: bool = False) -> Callable:
    pattern = re.compile(regex)

    def check(value, path):
        text = value.strip().upper() if upper and isinstance(value, str) else value
        if not isinstance(text, str) or not pattern.fullmatch(text):
            fail(path, f"{hint}，实际为 {value!r}")
        return text
    return check


def materials(value, path):
    if not isinstance(value, (list, tuple)) or not value:
        # 一次性告知: the whole list goes out at once, so an empty one is a mistake.
        fail(path, "必须一次列出全部需补正的材料（非空列表）")
    items = tuple(text(item, f"{path}[{i}]", 200) for i, item in enumerate(value))
    for i, item in enumerate(items):
        if item in items[:i]:
            fail(f"{path}[{i}]", f"重复：{item}")
    return items


def limit_days(value, path):
    if type(value) is not int or not 1 <= value <= 365:    # bool is an int: refuse it too
        fail(path, f"必须是 1 到 365 之间的整数（工作日），实际为 {value!r}")
    return value


def wan_yuan(value, path):
    """An amount of money in 万元: a positive integer (signed data carries no floats)."""
    if type(value) is not int or not 1 <= value <= 10 ** 9:    # bool is an int: refuse it too
        fail(path, f"必须是 1 到 1000000000 之间的整数（万元），实际为 {value!r}")
    return value


def departments(value, path):
    if not isinstance(value, dict) or not value:
        fail(path, "必须列出至少一个部门及其会签期限")
    return {department(dept, f"{path}.{dept}"): date(due, f"{path}.{dept}")
            for dept, due in value.items()}


def center_code(value, path) -> str:
    # GB/T 2260-style codes: 6 digits for the city and districts, 9 for streets.
    if not isinstance(value, str) or not re.fullmatch(r"\d{6}|\d{9}", value):
        fail(path, f"中心编码应为 6 位或 9 位数字，实际为 {value!r}")
    return value


def date(value, path) -> datetime.date:
    # Event payloads carry dates as ISO strings; Python callers may pass dates.
    if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
        return value
    try:
        return datetime.date.fromisoformat(value)
    except (TypeError, ValueError):
        fail(path, f"必须是 YYYY-MM-DD 格式的日期，实际为 {value!r}")


def boolean(value, path):
    if not isinstance(value, bool):
        fail(path, f"必须是 true 或 false，实际为 {value!r}")
    return value


department = matching(r"[a-z][a-z0-9_]{1,31}", "部门代码应为小写字母开头的代码，如 market")
waybill = matching(r"[0-9A-Z-]{6,40}", "运单号应为 6-40 位字母或数字", upper=True)


def consulted_centers(value, path) -> dict:
    """并联审批: department → the center where it gives its opinion (another level's)."""
    if not isinstance(value, dict):
        fail(path, "必须是对象：部门代码 → 会签中心编码")
    return {department(dept, f"{path}.{dept}"): center_code(code, f"{path}.{dept}")
            for dept, code in value.items()}


def opinion(value, path) -> dict:
    """The consulted center's signed opinion an owner records: which event of that center."""
    if not isinstance(value, dict) or set(value) != {"center", "seq", "hash"}:
        fail(path, "必须是对象：会签中心（center）、其事件序号（seq）和哈希（hash）")
    if not isinstance(value["seq"], int) or isinstance(value["seq"], bool) or value["seq"] < 1:
        fail(f"{path}.seq", "必须是正整数")
    if not isinstance(value["hash"], str) or not re.fullmatch(r"[0-9a-f]{64}", value["hash"]):
        fail(f"{path}.hash", "必须是 64 位十六进制哈希")
    return {"center": center_code(value["center"], f"{path}.center"), "seq": value["seq"],
            "hash": value["hash"]}


# 案例援引: the decider names the cited case and why it applies; the node adds what it
# found (the cited case's matter, state and result), so the state machine can check
# the citation here and again in the hub's replay, where the cited case is not at hand.
PRECEDENT_GIVEN = ("number", "note")
PRECEDENT_FOUND = ("matter_code", "state", "outcome", "document_number")


def case_number(value, path) -> str:
    parts = parse_case_number(value, field=path)
    return make_case_number(parts.center, parts.day, parts.seq)


def precedent(value, path) -> dict:
    if not isinstance(value, dict):
        fail(path, "必须是对象：被援引办件的编号（number）和援引理由（note）")
    for key in value:
        if key not in PRECEDENT_GIVEN + PRECEDENT_FOUND:
            fail(f"{path}.{key}", "未知字段")
    checked = {"number": case_number(value.get("number"), f"{path}.number"),
               "note": text(value.get("note"), f"{path}.note", 200)}
    for key in PRECEDENT_FOUND:
        # Filled in by the node; an open case has no outcome yet, which the state machine refuses.
        found = value.get(key)
        if not isinstance(found, str) or len(found) > 64:
            fail(f"{path}.{key}", "必须是字符串（由系统根据被援引办件填写）")
        checked[key] = found
    return checked
