"""Rankings of a center's children (the districts of the city, the streets of a district)
by one figure of the period, for the dashboard.

A center with nothing to divide by (— on the page) ranks after every center with a
figure; equal figures share a rank (1, 2, 2, 4).
"""
from __future__ import annotations

# figure → (label, True where a larger value ranks higher)
RANKED = {"completion_rate": ("办结率", True), "on_time_rate": ("按时办结率", True),
          "immediate_rate": ("即办率", True), "satisfaction_rate": ("满意率", True),
          "average_handling_days": ("平均办理工作日", False), "received": ("收件", True)}
DEFAULT = "on_time_rate"
LEVEL_TITLES = {"district": "区县排名", "street": "街道（乡镇）排名", "subcenter": "分中心排名"}


def ranked(children: list[dict], figure: str) -> list[tuple[int | None, dict]]:
    """(rank, child) by ``figure``: the districts when there are any, else every child."""
    if figure not in RANKED:
        figure = DEFAULT
    districts = [c for c in children if c["level"] == "district"]
    field = districts or children
    higher_first = RANKED[figure][1]
    with_value = [c for c in field if c["figures"][figure] is not None]
    with_value.sort(key=lambda c: c["figures"][figure], reverse=higher_first)
    result: list[tuple[int | None, dict]] = []
    for position, child in enumerate(with_value, 1):
        tied = result and result[-1][1]["figures"][figure] == child["figures"][figure]
        result.append((result[-1][0] if tied else position, child))
    return result + [(None, c) for c in field if c["figures"][figure] is None]


def title(children: list[dict]) -> str:
    """What the ranking is called, from the level of the centers it ranks."""
    levels = {c["level"] for c in children}
    level = "district" if "district" in levels else next(iter(levels), "street")
    return LEVEL_TITLES.get(level, "下级中心排名")
