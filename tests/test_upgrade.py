"""A node's and a hub's data made by an older version open through the normal path.

The "older version" is today's schema with what later versions added taken
away again: a column (the node's ``case.collected_by``, the hub's
``bad_reviews`` rollup counter) and a whole table (supervision, on both
sides), holding rows the older version wrote. Opening upgrades it in place.
"""
from __future__ import annotations

from hub import db as hub_db
from hub.app import create_app as create_hub
from hub.models import CenterRollupDay, Supervision
from node import store
from node.app import create_app as create_node
from node.models import Case, SupervisedCase, database as node_database
from sync.schema import existing_columns
from tests.staff import hub_staff

NUMBER = "210102001-20260105-00001"
ROLLUPS = ("case_rollup", "case_rollup_month", "center_rollup_day", "center_rollup_month")


def test_an_older_node_directory_is_upgraded_when_the_node_opens_it(tmp_path):
    data_dir = tmp_path / "node"
    store.bind(data_dir)
    with node_database.connection_context():  # back to before 异地代收代办, 督导 and 并联审批
        node_database.execute_sql('ALTER TABLE "case" DROP COLUMN collected_by')
        node_database.execute_sql('ALTER TABLE "case" DROP COLUMN consulted')
        node_database.drop_tables([SupervisedCase])
        node_database.execute_sql(
            'INSERT INTO "case" (number, matter_code, matter, applicant_kind, applicant_name,'
            ' applicant_id, applicant_phone, green_channel, state, received_at,'
            ' promised_provisional, received, owner) VALUES'
            " (?, 'SY08001', '{}', 'person', '张伟', '210102199001011234', '13800000000',"
            " 0, 'accepted', '2026-01-05T09:00:00+08:00', 0, '{}', '210102001')", (NUMBER,))
    node_database.close()

    create_node({"data_dir": str(data_dir), "TESTING": True})

    with node_database.connection_context():
        assert {"collected_by", "consulted"} <= existing_columns(node_database)["case"]
        old = Case.get(Case.number == NUMBER)
        assert (old.applicant_name, old.collected_by, old.owner, old.consulted) == (
            "张伟", "", "210102001", False)
        assert SupervisedCase.select().count() == 0  # the table is there again


def test_an_older_hub_database_is_upgraded_when_the_hub_opens_it(tmp_path, hub_db_url):
    data_dir = tmp_path / "hub-data"  # where hub_db_url keeps hub.db on SQLite
    data_dir.mkdir()
    database = hub_db.bind(hub_db_url)
    with database.connection_context():  # back to before 好差评 and 督导
        for table in ROLLUPS:
            database.execute_sql(f"ALTER TABLE {table} DROP COLUMN bad_reviews")
        database.drop_tables([Supervision])
        row = {"center": "210102001", "day": "2026-01-05", "received": 4, "accepted": 3,
               "evaluated": 2, "satisfied": 1}
        older = sorted(existing_columns(database)["center_rollup_day"])
        database.execute_sql(f"INSERT INTO center_rollup_day ({', '.join(older)}) VALUES"
                             f" ({', '.join([database.param] * len(older))})",
                             [row.get(column, 0) for column in older])
    database.close()

    app = create_hub({"data_dir": str(data_dir), "database_url": hub_db_url, "TESTING": True})

    with hub_db.database.connection_context():
        columns = existing_columns(hub_db.database.obj)
        assert all("bad_reviews" in columns[table] for table in ROLLUPS)
        assert "supervision" in columns
        old = CenterRollupDay.get(CenterRollupDay.center == "210102001")
        assert (old.received, old.evaluated, old.bad_reviews) == (4, 2, 0)
    figures = hub_staff(app, "auditor", ["auditor"]).client.get(
        "/api/stats?center=210102001&period=day&date=2026-01-05")
    assert figures.status_code == 200, figures.get_json()
    shown = figures.get_json()["figures"]
    assert (shown["received"], shown["evaluated"], shown["bad_reviews"]) == (4, 2, 0)


def test_an_older_hub_s_rollups_are_recounted_for_the_counters_it_lacked(tmp_path, hub_db_url):
    """Before issue 16 the rollups had no ``completed_of_accepted`` (the base of 办结率):
    added as 0 it would read 0 % for every past period, so the hub recounts them once."""
    import datetime

    from hub.cases.copies import apply_cases
    from hub.stats.figures import report
    from hub.stats.periods import Period
    from sync.case_clock import CHINA
    from tests.hub.stats.test_rollups import case_events

    (tmp_path / "hub-data").mkdir()
    database = hub_db.bind(hub_db_url)
    start = datetime.datetime(2026, 9, 28, 9, tzinfo=CHINA)
    with database.connection_context():
        with database.atomic():
            events = case_events(0, "210102001", "SY04001", [0, 0, 0, 3], start)
            apply_cases(events[:1])
            apply_cases(events[1:])  # accepted 09-28, decided 09-30
        for table in ROLLUPS:
            for column in ("completed_of_accepted", "evaluated_of_completed"):
                database.execute_sql(f"ALTER TABLE {table} DROP COLUMN {column}")
    database.close()

    database = hub_db.bind(hub_db_url)
    with database.connection_context():
        month = report("210102001", Period.parse("month", "2026-09"))["figures"]
        assert (month["accepted"], month["completed"], month["completion_rate"]) == (1, 1, 1.0)
    database.close()


def test_an_older_hub_s_copies_of_case_steps_become_references_to_its_events(
        tmp_path, hub_db_url):
    """An older hub kept each case step twice: in ``event`` and as a JSON copy in
    ``case_event``. Opened now, each step names its stored event, the copies are gone, and
    a handoff still sends the same signed events."""
    import datetime

    import orjson

    from hub.ledger.signed_events import signed_events
    from hub.models import CaseStep
    from sync import relay
    from sync.case_clock import CHINA
    from sync.database import insert_rows
    from tests.hub.cases.test_batch_apply import apply_pushes, signed
    from tests.hub.stats.test_rollups import case_events

    (tmp_path / "hub-data").mkdir()
    database = hub_db.bind(hub_db_url)
    start = datetime.datetime(2026, 9, 28, 9, tzinfo=CHINA)
    with database.connection_context():
        lives = [case_events(i, "210102001", "SY04001", [0, 0, 0, 3], start) for i in range(2)]
        with database.atomic():
            apply_pushes([[signed(event) for life in lives for event in life]])
        numbers = [life[0]["payload"]["number"] for life in lives]
        sent = signed_events(numbers)
        steps = list(CaseStep.select().order_by(CaseStep.number, CaseStep.n).tuples())
        assert [n for _number, n, _origin, _seq in steps] == [0, 1, 2, 3, 4] * 2
        database.execute_sql("CREATE TABLE case_event (number VARCHAR(40) NOT NULL, "
                             "n INTEGER NOT NULL, event TEXT NOT NULL, PRIMARY KEY (number, n))")
        copies = [(number, n, orjson.dumps(relay.relayed(sent[number][n])).decode())
                  for number, n, _origin, _seq in steps]
        insert_rows(database, "case_event", ("number", "n", "event"), copies)
        database.drop_tables([CaseStep])
    database.close()

    database = hub_db.bind(hub_db_url)
    with database.connection_context():
        assert "case_event" not in existing_columns(database)
        assert list(CaseStep.select().order_by(CaseStep.number, CaseStep.n).tuples()) == steps
        assert signed_events(numbers) == sent
    database.close()
