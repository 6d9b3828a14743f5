"""Reading a historical import file into one raw case per line (``node.importer`` checks them).

Two formats (docs/import.md):

* JSON lines (``.jsonl``, ``.json``): one case per line, ``{number, matter_code,
  applicant, agent?, channel, materials, received_at, received_by, green_channel, steps}``;
* CSV (``.csv``, UTF-8, a header row): one row per step, the case's rows together;
  the first row of a case carries its fields, a step's ``data`` is a JSON object.

Each case comes with the line it starts on, and for CSV the line of each step,
so an error names the line the operator has to fix.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import orjson

from sync.errors import ValidationError

# The CSV's columns: the case (first row of a case), then one step per row.
CASE_COLUMNS = ("number", "matter_code", "applicant_kind", "applicant_name", "applicant_id_code",
                "applicant_phone", "channel", "materials", "received_at", "received_by",
                "green_channel")
# Optional: a person's document when not the resident ID; the agent (委托代理人) acting for them.
OPTIONAL_COLUMNS = ("applicant_id_type", "agent_name", "agent_id_type", "agent_id_code",
                    "agent_phone")
STEP_COLUMNS = ("action", "role", "user", "at", "data")
CSV_COLUMNS = CASE_COLUMNS + STEP_COLUMNS
MATERIAL_SEPARATOR = ";"


def fail(line: int, field: str, reason: str, **extra) -> ValidationError:
    """The error naming a line of the file and the field in it."""
    where = f"line {line}: {field}" if field else f"line {line}"
    return ValidationError(f"{where}: {reason}", field=field or None, line=line, **extra)


def read_cases(path: Path) -> Iterator[tuple[int, dict, list[int]]]:
    """(line, raw case, line of each step) for each case of the file, in file order."""
    text = path.read_bytes().decode("utf-8-sig")
    if path.suffix.lower() == ".csv":
        yield from _csv_cases(text)
    else:
        yield from _json_lines(text)


def _json_lines(text: str) -> Iterator[tuple[int, dict, list[int]]]:
    for line, raw in enumerate(text.splitlines(), 1):
        if not raw.strip():
            continue
        try:
            case = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise fail(line, "", f"不是有效的 JSON：{exc}") from None
        if not isinstance(case, dict):
            raise fail(line, "", "每行应为一个办件（JSON 对象）")
        steps = case.get("steps")
        yield line, case, [line] * (len(steps) if isinstance(steps, list) else 0)


def _csv_cases(text: str) -> Iterator[tuple[int, dict, list[int]]]:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    missing = [c for c in CSV_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise fail(1, missing[0], "CSV 表头缺少列：" + ", ".join(missing))
    case, start, step_lines = None, 0, []
    for row in reader:
        line = reader.line_num
        row = {name: (value or "").strip() for name, value in row.items() if name}
        if not row["number"]:
            raise fail(line, "number", "每行都须填写办件编号")
        if case is None or row["number"] != case["number"]:
            if case is not None:
                yield start, case, step_lines
            case, start, step_lines = _case_of(row, line), line, []
        else:
            repeated = [c for c in CASE_COLUMNS[1:] + OPTIONAL_COLUMNS if row.get(c)]
            if repeated:
                raise fail(line, repeated[0], "办件信息只写在该办件的第一行，后续行只写办理步骤")
        if row["action"]:
            case["steps"].append(_step_of(row, line))
            step_lines.append(line)
    if case is not None:
        yield start, case, step_lines


def _case_of(row: dict, line: int) -> dict:
    materials = [m.strip() for m in row["materials"].split(MATERIAL_SEPARATOR)]
    green = row["green_channel"].lower()
    if green not in ("", "true", "false", "1", "0"):
        raise fail(line, "green_channel", "应为 true / false")
    return {"number": row["number"], "matter_code": row["matter_code"],
            "applicant": {"kind": row["applicant_kind"], "name": row["applicant_name"],
                          "id_code": row["applicant_id_code"], "phone": row["applicant_phone"],
                          **({"id_type": row["applicant_id_type"]}
                             if row.get("applicant_id_type") else {})},
            **({"agent": _agent_of(row)} if any(row.get(c) for c in OPTIONAL_COLUMNS[1:]) else {}),
            "channel": row["channel"] or "window", "materials": [m for m in materials if m],
            "received_at": row["received_at"], "received_by": row["received_by"],
            "green_channel": green in ("true", "1"), "steps": []}


def _agent_of(row: dict) -> dict:
    """The agent's columns as the case takes them (``sync.case_agents.check_agent``)."""
    return {"name": row.get("agent_name", ""), "id_code": row.get("agent_id_code", ""),
            **({"id_type": row["agent_id_type"]} if row.get("agent_id_type") else {}),
            **({"phone": row["agent_phone"]} if row.get("agent_phone") else {})}


def _step_of(row: dict, line: int) -> dict:
    try:
        data = orjson.loads(row["data"]) if row["data"] else {}
    except orjson.JSONDecodeError:
        raise fail(line, "data", "应为 JSON 对象，如 {\"reason\": \"…\"}") from None
    return {name: row[name] for name in STEP_COLUMNS[:-1]} | {"data": data}
