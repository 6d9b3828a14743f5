"""The catalog change that gives a hub's matters their national codes and dates.

A hub seeded before ``national_code`` and ``established`` existed runs matters
without them; they reach it, and every center, the normal way: one signed
``amend`` version. For each matter in force, the seed catalog's code and date
where the seed has the matter, else the next free code (``matter_codes.assign``);
nothing else of the matter changes. Matters that already have both are left out,
so running it twice changes nothing the second time.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping

from sync import matter_codes

AUTO_REASON = ("事项赋国家事项编码（national_code），并为 2015 年 3 月以后设立的事项注明设立日期及依据"
               "（established）；原基本编码不变，办件和历史记录照旧引用")


def amendment(in_force: Mapping[str, dict], seed: Iterable[Mapping], region: str, *,
              author: str, effective_date: str) -> dict | None:
    """The ``amend`` change file for the matters in force that lack their national code or
    their seed date; None when none does."""
    seeded = {m["basic_code"]: m for m in seed}
    fields = {}
    for code, matter in in_force.items():
        wanted = {key: seeded[code][key] for key in ("national_code", "established")
                  if code in seeded and seeded[code].get(key) and not matter.get(key)}
        if wanted:
            fields[code] = wanted
    # Matters the seed does not know take the next free serials after those in use.
    taken = [{**m, **fields.get(code, {})} for code, m in in_force.items()]
    for code, national in matter_codes.assign(taken, region).items():
        fields.setdefault(code, {})["national_code"] = national
    if not fields:
        return None
    return {"op": "amend", "author": author, "reason": AUTO_REASON,
            "effective_date": effective_date,
            "matters": [{**in_force[code], **fields[code]} for code in sorted(fields)]}
