"""Long lists a page at a time: ``?page=`` (from 1), a fixed number of rows a page, and the
links to the others keeping the rest of the query (``templates/pagination.html``)."""
from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from sync.errors import ValidationError

PER_PAGE = 50


@dataclasses.dataclass(frozen=True)
class Page:
    items: Sequence
    number: int   # 1 …
    pages: int    # at least 1
    total: int
    first: int    # the 1-based position of the first row shown (0 when none)


def page_count(total: int, per_page: int = PER_PAGE) -> int:
    return max(1, -(-total // per_page))


def page_number(args, pages: int) -> int:
    """``?page=`` (default 1); one that is not a whole number from 1 to ``pages`` is
    refused, naming the field."""
    raw = args.get("page") or "1"
    if not raw.isdigit() or not 1 <= int(raw) <= pages:
        raise ValidationError(f"page: 页码应为 1 到 {pages} 之间的整数，实际为 {raw!r}",
                              field="page")
    return int(raw)


def page(items: Sequence, number: int, total: int, per_page: int = PER_PAGE) -> Page:
    """The rows of page ``number`` (already cut, e.g. by the query's LIMIT and OFFSET)."""
    return Page(items, number, page_count(total, per_page), total,
                (number - 1) * per_page + 1 if items else 0)


def page_of(items: Sequence, args, per_page: int = PER_PAGE) -> Page:
    """The ``?page=`` of ``items``, all in memory."""
    number = page_number(args, page_count(len(items), per_page))
    return page(items[(number - 1) * per_page:number * per_page], number, len(items), per_page)
