"""A hub app whose database holds N generated cases (``hallsync bench stats``'s loader),
for the tests that read figures, reports and searches over many cases."""
from __future__ import annotations

import datetime

from hallsync.bench.stats import load, loaded
from hub.models import database


def loaded_hub(tmp_path, hub_db_url: str, cases: int, last_day: datetime.date):
    """The hub app on ``hub_db_url`` with ``cases`` cases over the years up to ``last_day``."""
    from hub.app import create_app
    app = create_app({"data_dir": str(tmp_path / "hub-data"), "database_url": hub_db_url,
                      "TESTING": True})
    with database.connection_context():
        loaded(database.obj)
        load(database.obj, cases, last_day)
    return app
