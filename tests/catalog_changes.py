"""Change files for the catalog tests, written as an operator would."""
from __future__ import annotations

import json

import orjson

from sync.catalog_history import load_matters
from sync.catalog_schema import matter_to_dict


def matter(code: str) -> dict:
    return next(matter_to_dict(m) for m in load_matters() if m.basic_code == code)


def change(op: str, **fields) -> dict:
    return {"op": op, "author": "市政务服务中心 王敏", "reason": f"测试{op}",
            "effective_date": "2026-12-01", **fields}


def write(tmp_path, name: str, body: dict):
    path = tmp_path / f"{name}.json"
    path.write_bytes(orjson.dumps(body))
    return path


CHANGES = {
    "cancel": change("cancel", codes=["SY01006"]),
    "convert": change("convert", codes=["SY02006"]),
    "devolve": change("devolve", codes=["SY01011"], to_levels=["district"]),
    "merge": change("merge", codes=["SY03001", "SY03006"],
                    into={**matter("SY03001"), "name": "合并后的事项（测试）"}),
    "amend": change("amend", matters=[{**matter("SY04001"), "promised_limit_days":
                                       matter("SY04001")["promised_limit_days"] - 1}]),
}
__all__ = ["CHANGES", "change", "json", "matter", "write"]
