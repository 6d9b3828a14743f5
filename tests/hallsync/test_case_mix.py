"""The bench's case mix writes exactly the events it is asked for, whatever is left to fit."""
import random

from hallsync.bench.case_mix import CaseMix
from node import outbox, store
from node.models import database
from tests.node.test_window import CENTER, app, seed  # noqa: F401  (fixtures)


def test_the_mix_writes_exactly_the_events_asked_for(app):  # noqa: F811
    # The last few events are made by short lives that fit. A 差评 opens a rectification
    # order, one event more, which neither the tail's ratings nor the longest life allowed
    # for: once, at one of 208 centers, `bench fleet` stopped on "wrote 700 events, not 699".
    keys = store.load_keys(app.config["HALLSYNC"]["data_dir"])
    with database.connection_context():
        mix = CaseMix(keys, CENTER, random.Random(1))
        for _ in range(60):
            for events in (2, 1, 3, 4, 5):
                before = outbox.last()[0]
                mix.make(events)
                assert outbox.last()[0] - before == events, events
