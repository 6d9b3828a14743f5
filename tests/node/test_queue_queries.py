"""The window's queue page reads the cases it lists in a fixed number of statements."""
from __future__ import annotations

from node.models import database
from node.users import add_user
from tests.node.test_window import PASSWORD, app, new_case, seed, staff  # noqa: F401  (fixtures)
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


def test_a_departments_queue_costs_what_the_whole_centers_does(app, staff):  # noqa: F811
    """Issue 15.7: the scope is a WHERE in the same statement, not a filter per case."""
    with database.connection_context():
        add_user("industry-li", PASSWORD, ["reviewer"], department=["industry"], now_ms=1)
    for code in ("SY04001", "SY24001") * 2:  # industry's, then market's (市市场监督管理局)
        new_case(app, code=code)
    found = {}
    for username in ("reviewer", "industry-li"):
        login = staff(username)
        listed = login.get("/api/queue").get_json()
        found[username] = {c["matter_code"] for c in listed["cases"]}
        with counted(database) as statements:
            assert login.get("/window/").status_code == 200
        found[username, "statements"] = len(statements)
    assert found["reviewer"] == {"SY04001", "SY24001"} and found["industry-li"] == {"SY04001"}
    assert found["reviewer", "statements"] == found["industry-li", "statements"] == PINNED[3]
