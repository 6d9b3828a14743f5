"""The window's queue page reads the cases it lists in a fixed number of statements."""
from __future__ import annotations

from node.models import database
from tests.node.test_window import app, new_case, seed, staff  # noqa: F401  (fixtures)
from tests.queries import counted

# Statements for the reviewer's queue page, with 3 and with 9 cases waiting: the same.
# It was {3: 16, 9: 34}, 3 a listed case (its row, its log, the node's state, each again).
# One more since the working-day calendar comes in versions: the one in force, once a page.
PINNED = {3: 10, 9: 10}


def test_the_queue_page_costs_what_it_cost(app, staff):  # noqa: F811
    reviewer = staff("reviewer")
    found = {}
    for waiting in sorted(PINNED):
        while len(reviewer.get("/api/queue").get_json()["cases"]) < waiting:
            new_case(app)
        with counted(database) as statements:
            assert reviewer.get("/window/").status_code == 200
        found[waiting] = len(statements)
    assert found == PINNED
    assert found[9] == found[3]
