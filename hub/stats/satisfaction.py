"""满意度 per window: each window (the clerk who received the case) of one center, for a
period, from the applicants' own ratings (``evaluate``, role ``applicant``).

The center, district and city rates come from the rollups (``hub.stats.figures``); the
window is the finer grain the rollups do not keep. It is read from the evaluations
themselves, one statement, limited to one center and one period. The rated staff are
the window, never the evaluator: nothing about who rated is read. A bad review whose
appeal the hub upheld (``hub.cases.rectifications``) is left out and counted apart.
"""
from __future__ import annotations

import datetime
from collections import defaultdict

import orjson

from hub.models import database
from sync.case_labels import BAD_REVIEWS, EVALUATION_LEVELS, SATISFIED


def by_window(center: str, start: datetime.date, end: datetime.date) -> list[dict]:
    """Per window of ``center``, ratings made from ``start`` to ``end`` (China days, both
    included): evaluated, satisfied, bad reviews, the rate, each level's count, and
    ``appeals_upheld`` (bad reviews left out). Most rated first."""
    db = database.obj
    cursor = db.execute_sql(
        "SELECT c.received, a.data, r.appeal_state FROM hub_case_action a "
        "JOIN hub_case c ON c.number = a.number "
        "LEFT JOIN hub_rectification r ON r.number = a.number "
        f"WHERE a.action = 'evaluate' AND c.center = {db.param} "
        f"AND a.at >= {db.param} AND a.at < {db.param}",
        (center, start.isoformat(), (end + datetime.timedelta(days=1)).isoformat()))
    windows: dict[str, dict] = defaultdict(lambda: {"evaluated": 0, "satisfied": 0,
                                                    "bad_reviews": 0, "appeals_upheld": 0,
                                                    "levels": dict.fromkeys(EVALUATION_LEVELS, 0)})
    for received, data, appeal_state in cursor.fetchall():
        window = windows[orjson.loads(received)["user"]]
        level = orjson.loads(data)["level"]
        if appeal_state == "upheld":
            window["appeals_upheld"] += 1
            continue
        window["evaluated"] += 1
        window["levels"][level] += 1
        window["satisfied"] += level in SATISFIED
        window["bad_reviews"] += level in BAD_REVIEWS
    rows = [{"window": name, **counts,
             "satisfaction_rate": counts["satisfied"] / counts["evaluated"]
             if counts["evaluated"] else None}
            for name, counts in windows.items()]
    return sorted(rows, key=lambda r: (-r["evaluated"], r["window"]))
