"""Our figures computed the way the article counted its own (``sync.article``).

The article's figures are cumulative over 2002 to its date for the city's and the
district/county centers only; a month of one center is not comparable to them. So a
report shows, beside each of the article's figures, ours summed over the same days
and the same levels of centers within the report's center: for the city that is
the article's whole scope; for a district its own district center; a street center
is outside it (its ``centers`` is empty and nothing is compared).

One figure is of the catalog, not of the cases: "承诺事项平均审批时限" averages the promised
limits of the matters (domain.md, KPIs: mean promised days across matters).
"""
from __future__ import annotations

from hub.catalog.authority import in_force
from hub.stats.figures import figures
from sync import article
from sync.topology import Topology


def catalog_promised_days(levels=article.SCOPE_LEVELS) -> dict:
    """The promised matters (承诺件, not 即办件) in force handled at any of ``levels``: how many,
    and their promised limits' mean in working days (None when there are none)."""
    limits = [m["promised_limit_days"] for m in in_force().values()
              if m["handling_type"] != "immediate" and set(m["levels"]) & set(levels)]
    return {"matters": len(limits),
            "average_days": round(sum(limits) / len(limits), 2) if limits else None}


def compared(code: str, topology: Topology) -> dict:
    """The article's figures (``sync.article.describe``) with ours of the same scope
    under the center ``code``: ``ours`` per figure (None where there is nothing to count),
    and ``ours_scope`` saying which centers and days."""
    centers = [c for c in topology.subtree(code)
               if topology.get(c).level in article.SCOPE_LEVELS]
    # Read even when no center is in scope, so every report costs the same statements.
    ours = figures(centers, article.PERIOD_START, article.PERIOD_END)
    catalog = catalog_promised_days()
    ours["catalog_promised_days"] = catalog["average_days"]
    described = article.describe()
    for key, figure in described["figures"].items():
        figure["ours"] = ours[key] if centers else None
    described["ours_scope"] = {
        "center": code, "centers": len(centers),
        "from": article.PERIOD_START.isoformat(), "to": article.PERIOD_END.isoformat(),
        "label": (f"{topology.get(code).name}范围内的市区两级中心 {len(centers)} 个，"
                  f"{article.PERIOD_START:%Y-%m-%d} 至 {article.PERIOD_END:%Y-%m-%d} 累计"
                  if centers else "街道（乡镇）中心不在报道的统计口径内"),
        "catalog_label": f"现行目录中市区两级承诺事项 {catalog['matters']} 项",
    }
    return described
