"""Give every matter of ``config/catalog/matters.json`` without one its national code.

Run after adding a matter to the seed catalog, review the diff, and commit::

    python -m tools.national_codes

A code is ``sync.matter_codes.make``: the city's region (``config/centers.toml``),
the department's letters below, the type's letters, and the next free serial of
that department and type. Codes already given never change: history and cases
may name them. The file is edited as text (one ``"national_code"`` line after the
matter's ``"implementation_code"``) so its hand-kept layout stays as it is.
"""
from __future__ import annotations

import json
import re
import sys
from collections import Counter

import config
from sync import matter_codes
from sync.catalog_history import load_departments, load_matters
from sync.topology import load_topology

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


def assign(matters: list[dict], region: str) -> dict[str, str]:
    """basic code → national code, for the matters that have none (next free serial each)."""
    used = Counter()
    for m in matters:
        if m.get("national_code"):
            parts = matter_codes.parse(m["national_code"])
            key = (parts.department, parts.type_letters)
            used[key] = max(used[key], parts.serial)
    given = {}
    for m in sorted(matters, key=lambda m: m["basic_code"]):
        if m.get("national_code"):
            continue
        key = (DEPARTMENT_LETTERS[m["department"]], matter_codes.TYPE_LETTERS[m["type"]])
        used[key] += 1
        given[m["basic_code"]] = matter_codes.make(region, key[0], m["type"], used[key])
    return given


def main() -> int:
    path = config.path("catalog/matters.json")
    text = path.read_text(encoding="utf-8")
    missing = set(load_departments()) - set(DEPARTMENT_LETTERS)
    if missing:
        print(f"no letters for departments {sorted(missing)}: add them to DEPARTMENT_LETTERS")
        return 1
    given = assign(json.loads(text)["matters"], load_topology().hub.code)
    for code, national in given.items():
        text, n = re.subn(rf'(\n( *)"implementation_code": "{code}[0-9A-Z]*",\n)',
                          rf'\1\2"national_code": "{national}",\n', text, count=1)
        assert n == 1, code
    path.write_text(text, encoding="utf-8")
    load_matters()  # the file still validates
    print(f"{len(given)} national codes given")
    return 0


if __name__ == "__main__":
    sys.exit(main())
