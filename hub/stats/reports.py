"""Monthly, quarterly and annual reports of a center (the city, a district, a street):
the figures and their rows, for the printable page (``hub.views.reports``), its CSV and
``hallsync hub report``.

Every figure is computed from the rollups by ``hub.stats.figures.report``; the article's
headline figures (``sync.article``) sit beside ours computed with the same scope, its
period and levels of centers (``hub.stats.article_figures``), never beside a month's.
What no event carries yet (``hub.stats.figures.NOT_AVAILABLE``, empty now) is listed
as 尚无数据来源, never filled in.
Money is in 万元 as the events carry it (the article's 亿元 figures are given in both).
"""
from __future__ import annotations

import datetime

from hub.stats.article_figures import compared
from hub.stats.figures import report
from hub.stats.periods import Period
from sync import article
from sync.cards import LEVELS
from sync.case_clock import china_today
from sync.errors import ValidationError
from sync.topology import load_topology

PERIODS = {"month": "月报", "quarter": "季报", "year": "年报"}
LEVEL_NAMES = {"city": "全市", "subcenter": "市分中心", "district": "区县", "street": "街道（乡镇）"}
# (label, figure key, kind); the article's figure of the same key, if any, is sync.article's.
HEADLINES = (
    ("收件数", "received", "count"),
    ("受理件数", "accepted", "count"),
    ("办结件数", "completed", "count"),
    ("办结率（本期受理件中已办结的比例）", "completion_rate", "rate"),
    ("即办件数", "completed_immediately", "count"),
    ("即办率（即办件 ÷ 办结件）", "immediate_rate", "rate"),
    ("承诺件平均承诺时限（工作日，按受理件）", "average_promised_days", "days"),
    ("平均实际办理时长（工作日，不含暂停）", "average_handling_days", "days"),
    ("按时办结率（承诺件）", "on_time_rate", "rate"),
    ("提前办结率（承诺件，提前 1 个工作日以上）", "early_rate", "rate"),
    ("准予率", "approval_rate", "rate"),
    ("不予受理率", "not_accepted_rate", "rate"),
    ("补正率（需补正的件 ÷ 收件）", "supplement_rate", "rate"),
    ("企业申请件占比", "enterprise_share", "rate"),
    ("网上申请占比", "online_share", "rate"),
    ("收件后移交办理（异地代收）", "handed_off", "count"),
    ("接收其他中心移交", "taken_over", "count"),
    ("好差评件数", "evaluated", "count"),
    ("主动评价率（评价数 ÷ 办结件）", "evaluation_rate", "rate"),
    ("满意率（非常满意、满意、基本满意 ÷ 评价数）", "satisfaction_rate", "rate"),
    ("差评率（不满意、非常不满意 ÷ 评价数）", "bad_review_rate", "rate"),
    ("企业设立登记户数", "enterprises_registered", "count"),
    ("注册资本（万元）", "registered_capital", "count"),
    ("亿元以上建设项目数", "projects_over_100m", "count"),
    ("亿元以上建设项目总投资（万元）", "investment", "count"),
)
# The headlines the article has a figure for, in the report's order, then its one figure of
# the catalog (hub.stats.article_figures.catalog_promised_days).
ARTICLE_HEADLINES = (*(h for h in HEADLINES if h[1] in article.BY_KEY),
                     ("承诺事项平均审批时限（工作日，按事项）", "catalog_promised_days", "days"))
DAY_LABELS = {"days_0": "当日", "days_1": "1 天", "days_2_3": "2–3 天", "days_4_5": "4–5 天",
              "days_6_10": "6–10 天", "days_over_10": "10 天以上"}
# 投诉 filed in the period (``hub.cases.complaints.counts``): key → label.
COMPLAINT_LABELS = {"received": "投诉件数", "answered": "已答复投诉",
                    "answered_late": "逾期答复投诉", "open_overdue": "超期未答复投诉"}
CSV_COLUMNS = (("中心编码", "code"), ("中心名称", "name"), ("层级", "level"), ("范围", "scope"),
               ("起始日", "from"), ("截止日", "to"),
               *((label, key) for label, key, _kind in HEADLINES),
               *((f"办理时长分布：{label}", key) for key, label in DAY_LABELS.items()),
               ("当前在办", "pending"), ("当前超期", "overdue"),
               *((f"当前{label}（在办件电子监察）", level) for level, label in LEVELS.items()),
               *((label, f"complaints_{key}") for key, label in COMPLAINT_LABELS.items()))


def show(value, kind: str) -> str:
    """A figure as the page prints it; — where there is nothing to divide by."""
    if value is None:
        return "—"
    if kind == "rate":
        return f"{value * 100:.1f}%"
    if kind == "days":
        return f"{value:.2f}"
    return f"{value:,}"


def article_rows(result: dict) -> list[tuple[str, str, str]]:
    """(label, the article's figure, ours over the article's scope) for each headline the
    article gives; the header saying which scope is ``result["article"]``."""
    figures = result["article"]["figures"]
    return [(label, figures[key]["text"], show(figures[key]["ours"], kind))
            for label, key, kind in ARTICLE_HEADLINES]


def build(period_kind: str, args, today: datetime.date | None = None) -> dict:
    """The report of ``?center=`` (default the city) for ``?date=`` (default the last whole one)."""
    today = today or china_today()
    if period_kind not in PERIODS:
        raise ValidationError(f"period: 报表应为{'、'.join(PERIODS.values())}之一，实际为 {period_kind!r}",
                              field="period")
    date = args.get("date")
    period = (Period.parse(period_kind, date) if date
              else Period.current(period_kind, today).previous())
    center = args.get("center") or load_topology().hub.code
    result = report(center, period, today=today)
    result["title"] = f"{result['name']}{period.label()}政务服务{PERIODS[period_kind]}"
    result["level_name"] = LEVEL_NAMES[result["level"]]
    result["article"] = compared(center, load_topology())
    return result


def csv_rows(result: dict) -> list[list]:
    """The report as a table: the center's totals, the previous period's, its own, each child's
    (own + children = totals, the open cases and their cards now included)."""
    def row(code, name, level, scope, start, end, figures, now, complaints=None):
        # The distribution columns are counts (figures[days_…]), not shares: CSV readers sum them.
        # "Now" figures (open cases, their cards) are today's: none on the previous period's row.
        if now is None:
            current = dict.fromkeys(("pending", "overdue", *LEVELS), "")
        else:
            current = {"pending": now["pending"], "overdue": now["overdue"], **now["cards"]}
        # 投诉 are counted for this period only: none on the previous period's row.
        counted = {f"complaints_{key}": (complaints or {}).get(key, "") for key in COMPLAINT_LABELS}
        values = {"code": code, "name": name, "level": LEVEL_NAMES[level], "scope": scope,
                  "from": start, "to": end, **figures, **current, **counted}
        return ["" if values[key] is None else values[key] for _label, key in CSV_COLUMNS]

    start, end = result["from"], result["to"]
    previous = result["previous"]
    rows = [[label for label, _key in CSV_COLUMNS],
            row(result["code"], result["name"], result["level"], "本级及下级合计", start, end,
                result["figures"], result["now"], result["complaints"]),
            row(result["code"], result["name"], result["level"], "上期（本级及下级合计）",
                previous["from"], previous["to"], previous["figures"], None),
            row(result["code"], result["name"], result["level"], "本级", start, end,
                result["own"], result["own_now"], result["own_complaints"])]
    for child in result["children"]:
        rows.append(row(child["code"], child["name"], child["level"], "下级", start, end,
                        child["figures"], child["now"], child["complaints"]))
    return rows
