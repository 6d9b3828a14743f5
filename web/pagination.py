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


def page_of(items: Sequence, args, per_page: int = PER_PAGE) -> Page:
    """The ``?page=`` of ``items``; a page that is not a whole number in range is refused,
    naming the field."""
    pages = max(1, -(-len(items) // per_page))
    raw = args.get("page") or "1"
    if not raw.isdigit() or not 1 <= int(raw) <= pages:
        raise ValidationError(f"page: 页码应为 1 到 {pages} 之间的整数，实际为 {raw!r}",
                              field="page")
    number = int(raw)
    shown = items[(number - 1) * per_page:number * per_page]
    return Page(shown, number, pages, len(items), (number - 1) * per_page + 1 if shown else 0)
