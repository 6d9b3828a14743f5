"""The window's case search a page at a time: 50 cases a page, newest first, links to the
others keeping the query; a page out of range is said in Chinese (issue 16)."""
from __future__ import annotations

import re

from node.models import Case, database
from tests.node.test_window import app, new_case, seed, staff  # noqa: F401  (fixtures)


def test_the_search_comes_fifty_a_page(app, staff):  # noqa: F811
    first = new_case(app)
    with database.connection_context():  # 59 more, copies of the first under new numbers
        row = Case.get(Case.number == first).__data__
        prefix = first.rsplit("-", 1)[0]
        Case.insert_many([{**row, "number": f"{prefix}-{n:05d}",
                           "received_at": row["received_at"].replace(":00+", f":{n % 60:02d}+")}
                          for n in range(2, 61)]).execute()
    clerk = staff("clerk")
    page = clerk.get("/window/search?q=沈阳某建设").get_data(as_text=True)
    numbers = re.findall(r'<td class="code"><a [^>]*>([^<]+)</a>', page)
    assert len(numbers) == 50 and "第 1–50 条，共 60 条" in page
    assert 'href="/window/search?q=%E6%B2%88%E9%98%B3%E6%9F%90%E5%BB%BA%E8%AE%BE&amp;page=2"' \
        in page
    second = clerk.get("/window/search?q=沈阳某建设&page=2").get_data(as_text=True)
    rest = re.findall(r'<td class="code"><a [^>]*>([^<]+)</a>', second)
    assert len(rest) == 10 and not set(rest) & set(numbers)
    refused = clerk.get("/window/search?q=沈阳某建设&page=3").get_data(as_text=True)
    assert "查询条件有误：页码应为 1 到 2 之间的整数" in refused
    api = clerk.get("/api/cases?q=沈阳某建设").get_json()  # the API keeps its 200 a call
    assert api["count"] == 60 and len(api["cases"]) == 60
