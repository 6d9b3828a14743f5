"""Sync rounds that wait for the writer are written together (``hub.ledger.rounds``): one
transaction and one apply for the group, each round answered as if alone; a refused round
leaves nothing and does not hold back the others; a group that fails is written again one
round at a time, so the bad round fails alone. On SQLite and PostgreSQL."""
from __future__ import annotations

import pathlib
import threading
import time

import pytest

from hub import db as hub_db
from hub import handlers  # noqa: F401  (registers the event handlers)
from hub.ledger import ingest, rounds, stream
from hub.models import CenterState, Event, NodeKey, SecurityEvent, SeenNonce, database
from sync import envelope as env
from sync.errors import AuthError, Code
from sync.events import GENESIS
from sync.signing import KeyPair
from tests.protocol import make_events

CENTERS = ("210102001", "210102002", "210102003")
KEYS = {center: KeyPair.generate() for center in CENTERS}
SETTINGS = {"max_events_per_push": 1000}


@pytest.fixture
def hub(hub_db_url):
    if hub_db_url.startswith("sqlite:///"):
        pathlib.Path(hub_db_url.removeprefix("sqlite:///")).parent.mkdir(parents=True)
    db = hub_db.bind(hub_db_url)
    with database.connection_context():
        for center, keys in KEYS.items():
            CenterState.create(code=center, enrolled_at=1)
            NodeKey.create(key_id=keys.key_id, center=center, public_key=keys.public.b64,
                           created_ms=1)
    yield db
    db.close()


def a_round(center: str, events: list[dict], *, nonce_of: env.Envelope | None = None,
            refusals: list | None = None) -> rounds.Round:
    """A node's exchange as the view hands it over: a heartbeat, a push and a pull."""
    envelope, _ = env.seal({}, keys=KEYS[center], sender=center, recipient="hub",
                           method="POST", path="/sync/v1/exchange")
    if nonce_of is not None:  # a replay of an earlier request's nonce
        envelope = env.Envelope(**{**envelope.__dict__, "nonce": nonce_of.nonce})
    heartbeat = {"backlog": len(events), "last_seq": events[-1]["seq"] if events else 0}
    with database.connection_context():
        push = ingest.prepare(center, {"events": events}, settings=SETTINGS,
                              now_ms=env.now_ms())
    return rounds.Round(envelope, {"heartbeat": heartbeat, "push": {"events": events},
                                   "pull": (0, 10)},
                        push, env.now_ms(),
                        log_push_refusal=(refusals if refusals is not None else []).append)


def write_waiting(writer: rounds.RoundWriter, group: list[rounds.Round]) -> list:
    """Queue every round while another turn holds the writer, then let it go: each
    round's reply, or the error its write raised."""
    outcomes: list = [None] * len(group)

    def write(i: int) -> None:
        with database.connection_context():
            try:
                outcomes[i] = writer.write(group[i])
            except Exception as exc:  # noqa: BLE001 — the outcome under test
                outcomes[i] = exc
    with writer._turn:  # another round's turn: the group queues meanwhile
        threads = [threading.Thread(target=write, args=(i,)) for i in range(len(group))]
        for thread in threads:
            thread.start()
        while len(writer._queue) < len(group):
            time.sleep(0.005)
    for thread in threads:
        thread.join(timeout=30)
    return outcomes


@pytest.fixture
def groups(monkeypatch):
    """The size of each group written together."""
    sizes: list[int] = []
    write_together = rounds._write_together

    def counted(group):
        sizes.append(len(group))
        return write_together(group)
    monkeypatch.setattr(rounds, "_write_together", counted)
    return sizes


def stored(center: str) -> list[tuple[int, str]]:
    with database.connection_context():
        return list(Event.select(Event.seq, Event.state).where(Event.origin == center)
                    .order_by(Event.seq).tuples())


def test_waiting_rounds_are_written_together_and_answered_each_as_alone(hub, groups):
    pushes = {center: make_events(KEYS[center], center, 1, 2 + i, GENESIS)
              for i, center in enumerate(CENTERS)}
    replies = write_waiting(rounds.RoundWriter(), [a_round(c, e) for c, e in pushes.items()])
    assert groups == [3]  # one transaction, one apply
    for reply, (center, events) in zip(replies, pushes.items()):
        assert reply["push"] == {"acked_seq": len(events), "acked_hash": events[-1]["hash"],
                                 "problems": []}
        assert reply["heartbeat"]["head_seq"] == 0  # recorded before its own push
        assert "messages" in reply["pull"]
        assert stored(center) == [(e["seq"], "applied") for e in events]
    with database.connection_context():
        assert SeenNonce.select().count() == 3
        assert [s.backlog for s in CenterState.select().order_by(CenterState.code)] == [2, 3, 4]


def test_a_refused_round_leaves_nothing_and_the_others_are_written(hub, groups):
    writer = rounds.RoundWriter()
    first = a_round(CENTERS[0], make_events(KEYS[CENTERS[0]], CENTERS[0], 1, 1, GENESIS))
    writer.write(first)
    replay = a_round(CENTERS[0], make_events(KEYS[CENTERS[0]], CENTERS[0], 2, 1,
                                             stored_hash(CENTERS[0], 1)),
                     nonce_of=first.envelope)
    others = [a_round(c, make_events(KEYS[c], c, 1, 2, GENESIS)) for c in CENTERS[1:]]
    outcomes = write_waiting(writer, [others[0], replay, others[1]])
    assert groups == [1, 3]  # the refusal did not break the group up
    assert isinstance(outcomes[1], AuthError) and outcomes[1].code == Code.NONCE_REUSED
    assert stored(CENTERS[0]) == [(1, "applied")]  # nothing of the refused round
    with database.connection_context():
        assert CenterState.get(CenterState.code == CENTERS[0]).backlog == 1
    for outcome, center in ((outcomes[0], CENTERS[1]), (outcomes[2], CENTERS[2])):
        assert outcome["push"]["acked_seq"] == 2
        assert stored(center) == [(1, "applied"), (2, "applied")]


def test_a_refused_push_is_answered_in_its_part_within_the_group(hub, groups):
    refusals: list = []
    gap = a_round(CENTERS[0], make_events(KEYS[CENTERS[0]], CENTERS[0], 3, 1, GENESIS),
                  refusals=refusals)
    other = a_round(CENTERS[1], make_events(KEYS[CENTERS[1]], CENTERS[1], 1, 1, GENESIS))
    replies = write_waiting(rounds.RoundWriter(), [gap, other])
    assert groups == [2]
    assert replies[0]["push"]["problem"]["code"] == "SEQUENCE_GAP"
    assert [r.code for r in refusals] == [Code.SEQUENCE_GAP]  # logged as /push logs one
    assert "heartbeat" in replies[0] and "pull" in replies[0]  # the rest of the round
    assert replies[1]["push"]["acked_seq"] == 1 and stored(CENTERS[0]) == []


def test_a_group_that_fails_is_written_again_one_round_at_a_time(hub, groups, monkeypatch):
    pull = stream.pull

    def broken_for_one(center, since, limit):
        if center == CENTERS[1]:
            raise RuntimeError("a bug in one round's pull")
        return pull(center, since, limit)
    monkeypatch.setattr(stream, "pull", broken_for_one)
    pushes = {c: make_events(KEYS[c], c, 1, 2, GENESIS) for c in CENTERS}
    outcomes = write_waiting(rounds.RoundWriter(), [a_round(c, e) for c, e in pushes.items()])
    assert groups == [3, 1, 1, 1]
    assert isinstance(outcomes[1], RuntimeError) and stored(CENTERS[1]) == []
    for outcome, center in ((outcomes[0], CENTERS[0]), (outcomes[2], CENTERS[2])):
        assert outcome["push"]["acked_seq"] == 2
        assert stored(center) == [(1, "applied"), (2, "applied")]
    with database.connection_context():
        assert SeenNonce.select().count() == 2 and SecurityEvent.select().count() == 0


def stored_hash(center: str, seq: int) -> str:
    with database.connection_context():
        return Event.get((Event.origin == center) & (Event.seq == seq)).hash
