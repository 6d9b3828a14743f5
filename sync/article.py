"""The source article's headline figures, with their scope and period, cited.

人民网-中国共产党新闻网, 2015-05-18, "沈阳审批项目‘大瘦身’ 着力建设服务型政府"
(``seed/shenyang-approval-reform-2015.txt``, digest in ``seed/digest.md``). Its
figures are cumulative: "沈阳市行政审批制度改革13年来……截至目前，市区两级行政审批中心
累计受理……", i.e. the city's and the district/county centers (not the street
centers), from the reform's start in 2002 to the article's date. A report that
shows one of them beside ours must compare the same thing: ours summed over the
same centers and the same days (``hub.stats.reports.article_block``), labelled so.

Values are kept as the article states them, in its units; money is also given in
万元, the unit our events carry (1 亿元 = 10,000 万元).
"""
from __future__ import annotations

import dataclasses
import datetime

SOURCE = "人民网-中国共产党新闻网《沈阳审批项目“大瘦身” 着力建设服务型政府》（2015年5月18日）"
PUBLISHED = datetime.date(2015, 5, 18)
# "从2002年开始" … "截至目前" (the article's day): the period its cumulative figures cover.
PERIOD_START = datetime.date(2002, 1, 1)
PERIOD_END = PUBLISHED
# "市区两级": the city center with its sub-centers, and the district/county centers.
SCOPE_LEVELS = ("city", "subcenter", "district")
SCOPE = "市区两级政务服务中心（市中心、分中心、区县中心，不含街道）2002 年至 2015 年 5 月累计"


@dataclasses.dataclass(frozen=True)
class Figure:
    """One headline figure: what the article says, in its words, and the value to compare."""

    key: str               # our figure of the same meaning (hub.stats.article_figures)
    text: str              # as a report prints it, in the article's unit
    value: float | int     # in our figure's unit: a count, 万元, a rate 0-1, or working days
    quote: str             # the article's words
    bound: str = "equal"   # "below": the article gives an upper bound ("不到5个工作日")
    cumulative: bool = True  # a total over the period (rates and averages are not)


FIGURES = (
    Figure("accepted", "4,742,000 件", 4_742_000, "累计受理各类审批事项474.2万件"),
    Figure("completion_rate", "99.9%", 0.999, "办结率达99.9%", cumulative=False),
    # Of the matters (承诺事项), not the cases: the catalog's promised limits averaged.
    Figure("catalog_promised_days", "不到 5 个工作日", 5, "承诺事项平均审批时限均不到5个工作日",
           bound="below", cumulative=False),
    Figure("immediate_rate", "83%（改革前 18%）", 0.83, "即办率由原来的18%跃升到83%",
           cumulative=False),
    Figure("enterprises_registered", "6,599 户", 6_599, "先后有6599户企业顺利办理了注册登记手续"),
    Figure("registered_capital", "1,265.4 亿元（12,654,000 万元）", 12_654_000,
           "注册资金总额达1265.4亿元人民币"),
    Figure("projects_over_100m", "742 个", 742, "742个超亿元建设项目顺利通过立项审批"),
    Figure("investment", "4,141 亿元（41,410,000 万元）", 41_410_000, "投资总额达4141亿元"),
)
BY_KEY = {figure.key: figure for figure in FIGURES}


def describe() -> dict:
    """The article's figures, scope and period as JSON (the ``article`` of a report)."""
    return {"source": SOURCE, "scope": SCOPE, "levels": list(SCOPE_LEVELS),
            "from": PERIOD_START.isoformat(), "to": PERIOD_END.isoformat(),
            "figures": {f.key: {"text": f.text, "value": f.value, "quote": f.quote,
                                "bound": f.bound, "cumulative": f.cumulative}
                        for f in FIGURES}}
