"""Give every matter of ``config/catalog/matters.json`` without one its national code.

Run after adding a matter to the seed catalog, review the diff, and commit::

    python -m tools.national_codes

A code is ``sync.matter_codes.assign``: the city's region (``config/centers.toml``),
the department's letters, the type's letters, and the next free serial of that
department and type. Codes already given never change: history and cases
may name them. The file is edited as text (one ``"national_code"`` line after the
matter's ``"implementation_code"``) so its hand-kept layout stays as it is.
"""
from __future__ import annotations

import json
import re
import sys

import config
from sync.catalog_history import load_departments, load_matters
from sync.matter_codes import DEPARTMENT_LETTERS, assign
from sync.topology import load_topology


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
