"""A push applied as runs of case events, and several origins' pushes applied together (a
group of sync rounds), leave the hub exactly as applying the events one at a time does: the
same cases, actions, rollups, signed events, owners, handoffs, quarantine, and the same
messages in the same order per recipient (ids, signatures and times aside)."""
from __future__ import annotations

import datetime
import pathlib
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hub import db as hub_db
from hub import handlers  # noqa: F401  (registers the event handlers)
from hub.calendar.in_force import calendar_in_force
from hub.cases import batch, worked_ahead
from hub.ledger import apply
from hub.ledger.ingest import EVENT_COLUMNS, Stored, apply_stored
from hub.ledger.stream import use_keys
from hub.models import (CaseHandoff, CaseStep, CenterState, Event, HubCase, HubCaseAction,
                        HubMessage, NodeKey, Ownership, Supervision, database)
from hub.stats import rollups
from sync import case_clock, codec
from sync.calendar import WorkCalendar
from sync.database import insert_rows
from sync.events import event_hash, sig_input
from sync.signing import KeyPair, b64
from tests.hub.stats.test_rollups import APPLICANTS, MATTERS, PROJECTS, case_events, stored

# A district's own cases, two of its streets' (it supervises them: relayed) and another's.
CENTERS = ("210102", "210102001", "210102002", "210103001")
ENROLLED, NOT_ENROLLED = "210103", "210104"  # handoff targets: routed, or sent back
FAULTS = (None, "wrong_n", "repeated_receipt", "hand_off")
KEYS = {center: KeyPair.generate() for center in (*CENTERS, ENROLLED)}  # relays are signed


@pytest.fixture
def hub(hub_db_url):
    if hub_db_url.startswith("sqlite:///"):
        pathlib.Path(hub_db_url.removeprefix("sqlite:///")).parent.mkdir(parents=True)
    db = hub_db.bind(hub_db_url)
    use_keys(lambda keys=KeyPair.generate(): keys)
    with database.connection_context():
        CenterState.create(code=ENROLLED, enrolled_at=1)
        Supervision.create(district="210102", active=True, changed_ms=1, seq=1)
        for center, keys in KEYS.items():
            NodeKey.create(key_id=keys.key_id, center=center, public_key=keys.public.b64,
                           created_ms=1)
    yield db
    db.close()


def with_fault(events: list[dict], fault: str | None, pick: int) -> list[dict]:
    """One case's events, broken (or extended by a handoff) as ``fault`` says."""
    events = [dict(e, payload=dict(e["payload"])) for e in events]
    actions = events[1:]
    if fault == "wrong_n" and actions:
        actions[pick % len(actions)]["payload"]["n"] += 3
    elif fault == "repeated_receipt":
        events.append(dict(events[0], seq=events[0]["seq"] + 10_000))
    elif fault == "hand_off":
        last = events[-1]["payload"]
        at = datetime.datetime.fromisoformat(last["at"]) + datetime.timedelta(hours=1)
        target = (ENROLLED, NOT_ENROLLED)[pick % 2]
        record = {"number": last["number"], "n": last.get("n", 0) + 1, "action": "hand_off",
                  "role": "clerk", "user": "u", "at": at.isoformat(),
                  "data": {"target": target, "consent": True}}
        events.append(dict(events[-1], seq=events[-1]["seq"] + 10_000, type="case.action",
                           payload=record))
    return events


def signed(event: dict) -> dict:
    """The event hashed and signed by its origin's key, as its node would."""
    digest = event_hash(event["origin"], event["seq"], event["type"], event["record"],
                        event["created_at"], event["prev_hash"], codec.canonical(event["payload"]))
    keys = KEYS[event["origin"]]
    return {**event, "hash": digest, "key_id": keys.key_id,
            "sig": b64(keys.sign(sig_input(digest)))}


def interleave(lives: list[list[dict]], seed: int) -> list[dict]:
    """The cases' events mixed at random, each case's in its own order."""
    rng, queues, merged = random.Random(seed), [list(life) for life in lives], []
    while any(queues):
        queue = rng.choice([q for q in queues if q])
        merged.append(queue.pop(0))
    return merged


def apply_pushes(pushes: list[list[dict]], now_ms: int = 1, *, together: bool = False,
                 ahead: bool = False) -> None:
    """Each push stored as ``ingest.store`` does (its events unchained) and applied as
    ``ingest.apply_stored`` does: each push once it is stored, so later pushes see its
    quarantine, or (``together``) all of them at once, as a group of sync rounds is.
    ``ahead``: each push's cases worked out first, as ``ingest.prepare`` does."""
    stored = []
    for events in pushes:
        events = [dict(e) for e in events]
        if ahead:
            apply.work_ahead(events)
        insert_rows(database.obj, "event", EVENT_COLUMNS, [
            (e["origin"], e["seq"], e["type"], e["record"], e["created_at"],
             codec.canonical(e["payload"]).decode(), e["prev_hash"], e["hash"], e["key_id"],
             e["sig"], now_ms, apply.APPLIED, "", "") for e in events])
        stored.append(Stored(events, (events[-1]["seq"], events[-1]["hash"])))
        if not together:
            apply_stored(stored[-1:], now_ms=now_ms)
    if together:
        apply_stored(stored, now_ms=now_ms)


def hub_state() -> dict:
    def rows(model, *order, skip=()):
        return [{k: v for k, v in row.items() if k not in skip}
                for row in model.select().order_by(*order).dicts()]
    messages: dict[str, list] = {}
    for message in HubMessage.select().order_by(HubMessage.id):
        messages.setdefault(message.recipient, []).append((message.type, message.payload))
    return {"cases": rows(HubCase, HubCase.number),
            "actions": rows(HubCaseAction, HubCaseAction.number, HubCaseAction.n),
            "signed": rows(CaseStep, CaseStep.number, CaseStep.n),
            "rollups": rollups.snapshot(),
            "owners": rows(Ownership, Ownership.record, skip={"since_ms"}),
            "handoffs": rows(CaseHandoff, CaseHandoff.number, CaseHandoff.k,
                             skip={"sent_ms", "taken_ms", "settled_ms"}),
            "events": rows(Event, Event.origin, Event.seq, skip={"error_detail"}),
            "messages": messages}


def state_after(pushes: list[list[dict]], *, together: bool = False,
                ahead: bool = False) -> dict:
    with database.atomic() as transaction:
        apply_pushes(pushes, together=together, ahead=ahead)
        found = hub_state()
        transaction.rollback()
    return found


def by_origin(events: list[dict]) -> list[list[dict]]:
    """Consecutive events of one origin make one push."""
    pushes: list[list[dict]] = []
    for event in events:
        if pushes and pushes[-1][0]["origin"] == event["origin"]:
            pushes[-1].append(event)
        else:
            pushes.append([event])
    return pushes


CASES = st.lists(st.tuples(st.sampled_from(CENTERS), st.sampled_from(MATTERS),
                           st.lists(st.integers(0, 50), max_size=6), st.integers(0, 30),
                           st.sampled_from(sorted(APPLICANTS)), st.sampled_from(PROJECTS),
                           st.sampled_from(FAULTS), st.integers(0, 9)),
                 min_size=1, max_size=6)


@settings(max_examples=12, deadline=None, suppress_health_check=[
    HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(CASES, st.integers(0, 2**32))
def test_runs_apply_as_one_by_one(hub, cases, seed):
    base = datetime.datetime(2026, 3, 2, 9, tzinfo=case_clock.CHINA)
    lives = []
    for i, (center, code, choices, offset, kind, project, fault, pick) in enumerate(cases):
        life = case_events(i, center, code, choices, base + datetime.timedelta(days=offset),
                           kind, project=project)
        lives.append(with_fault(life, fault, pick))
    events = [signed(event) for event in interleave(lives, seed)]
    with database.connection_context():
        batched = state_after(by_origin(events))
        one_by_one = state_after([[event] for event in events])
        several_origins_at_once = state_after(by_origin(events), together=True)
        worked_ahead = state_after(by_origin(events), together=True, ahead=True)
        # Each push worked out once the ones before it are applied: its stored cases too.
        worked_ahead_on_stored = state_after(by_origin(events), ahead=True)
    assert batched == one_by_one
    assert several_origins_at_once == one_by_one
    assert worked_ahead == one_by_one
    assert worked_ahead_on_stored == one_by_one
    assert len(batched["cases"]) == len(cases)


def test_a_handoff_and_the_targets_next_step_applied_together(hub):
    """A group of rounds may hold the street's ``hand_off`` and, in another origin's push,
    the deciding center's step on the case it now owns: applied together, the step is not
    refused on the owner read before the handoff moved the case."""
    start = datetime.datetime(2026, 3, 2, 9, tzinfo=case_clock.CHINA)
    street = with_fault(case_events(0, CENTERS[1], MATTERS[0], [], start), "hand_off", 0)
    handed = street[-1]["payload"]
    take_over = {"number": handed["number"], "n": handed["n"] + 1, "action": "take_over",
                 "role": "clerk", "user": "u", "data": {},
                 "at": (datetime.datetime.fromisoformat(handed["at"])
                        + datetime.timedelta(hours=1)).isoformat()}
    target = [stored(ENROLLED, "case.action", handed["number"], take_over)]
    pushes = [[signed(e) for e in street], [signed(e) for e in target]]
    with database.connection_context():
        one_by_one = state_after(pushes)
        together = state_after(pushes, together=True)
    assert together == one_by_one
    assert [(e["origin"], e["state"]) for e in together["events"]] == [
        (CENTERS[1], "applied"), (CENTERS[1], "applied"), (ENROLLED, "applied")]
    assert together["owners"] == [{"record": f"case:{handed['number']}", "owner": ENROLLED}]


def _refuse_to_replay(monkeypatch) -> None:
    def no_replay(*_args, **_kwargs):
        raise AssertionError("replayed inside the lock")
    monkeypatch.setattr("sync.case_records.replay", no_replay)
    monkeypatch.setattr("sync.case_records.replay_next", no_replay)
    monkeypatch.setattr(batch, "case_row", no_replay)  # each receipt's row made ahead too


def two_pushes(seed: int) -> tuple[list[dict], list[dict]]:
    """Four cases' events split in two pushes: the second acts on cases the first left
    at the hub."""
    start = datetime.datetime(2026, 3, 2, 9, tzinfo=case_clock.CHINA)
    lives = [case_events(i, CENTERS[1], MATTERS[i % len(MATTERS)], [3, 7, 11], start)
             for i in range(4)]
    events = [signed(event) for event in interleave(lives, seed)]
    middle = len(events) // 2
    return events[:middle], events[middle:]


def test_a_push_worked_out_ahead_is_not_replayed_inside(hub, monkeypatch):
    """The steps ``ingest.prepare`` worked out are the ones applied: with the state machine
    gone once they are worked out, the pushes still apply, as they would have, the
    second's steps on the cases the first left at the hub too."""
    first, second = two_pushes(1)
    with database.connection_context():
        expected = state_after([first, second])
        for event in first:
            apply.work_ahead([event])  # alone: a receipt's step, none for its actions
        assert sum("worked_ahead" in e for e in first) == sum(
            e["type"] == "case.received" for e in first)
        apply.work_ahead(first)
        assert all("worked_ahead" in e for e in first)
        with database.atomic() as transaction:
            apply_pushes([first])
            apply.work_ahead(second)
            assert all("worked_ahead" in e for e in second)
            assert any(e["worked_ahead"].stored for e in second)
            with monkeypatch.context() as patched:
                _refuse_to_replay(patched)
                apply_pushes([second])
            assert hub_state() == expected
            transaction.rollback()


def test_a_stored_case_changed_since_it_was_worked_out_is_replayed_inside(hub, monkeypatch):
    """A case's row changed between the push's check and its turn (here its due date
    recounted, as a new calendar version does): the steps worked out on the row read
    before are not taken, the case is read and replayed again."""
    first, second = two_pushes(2)
    recount = HubCase.update(due_date="2026-12-31")
    with database.connection_context():
        with database.atomic() as transaction:
            apply_pushes([first])
            recount.execute()
            apply_pushes([second])
            expected = hub_state()
            transaction.rollback()
        with database.atomic() as transaction:
            apply_pushes([first])
            apply.work_ahead(second)
            recount.execute()
            replayed = []
            monkeypatch.setattr("sync.case_records.replay",
                                lambda *args, original=batch.case_records.replay:
                                replayed.append(args) or original(*args))
            apply_pushes([second])
            assert hub_state() == expected
            assert replayed  # the stored cases, inside the lock
            transaction.rollback()


def test_steps_worked_out_on_another_calendar_are_worked_out_again(hub, monkeypatch):
    """A calendar version applied between a push's check and its turn: the steps worked
    out ahead on the old one are not taken, so due dates and working days follow the new."""
    start = datetime.datetime(2026, 3, 2, 9, tzinfo=case_clock.CHINA)
    # Accepted, reviewed, approved and decided: promised days, due dates, days taken.
    lives = [case_events(i, CENTERS[1], MATTERS[0], [0, 0, 0, 3], start) for i in range(3)]
    push = [signed(event) for event in interleave(lives, 2)]
    with database.connection_context():
        expected = state_after([push])
        shipped = calendar_in_force()
        spring = [start.date() + datetime.timedelta(days=d) for d in range(60)]
        other = WorkCalendar(range(shipped.first_year, shipped.last_year + 1), spring, [])
        monkeypatch.setattr(worked_ahead, "calendar_in_force", lambda: other)
        found = state_after([push], ahead=True)
        monkeypatch.setattr(batch, "calendar_in_force", lambda: other)
        on_the_other = state_after([push], ahead=True)
    assert found == expected
    assert on_the_other != expected  # the calendar matters to this push


def test_a_stored_case_is_its_rows_even_when_an_action_commits_between_the_reads(hub):
    """Outside a transaction the case's row and its actions are two reads: an action
    committed between them (its row not read yet) is not replayed into the state."""
    first, _second = two_pushes(3)
    with database.connection_context(), database.atomic() as transaction:
        apply_pushes([first])
        number = next(e["payload"]["number"] for e in first if e["type"] == "case.action")
        before = batch.stored_cases([number])[number]
        last = HubCaseAction.select().where(HubCaseAction.number == number).order_by(
            HubCaseAction.n.desc()).get()
        HubCaseAction.create(number=number, n=last.n + 1, action=last.action, role=last.role,
                             user=last.user, at=last.at, data=last.data)
        after = batch.stored_cases([number])[number]
        assert after.row == before.row and after.state == before.state
        transaction.rollback()


def test_case_events_naming_no_case_number_are_quarantined_not_worked_out(hub):
    """A payload whose ``number`` is not a string (a list, a number, an object) fails no
    push while it is checked: working out ahead passes it by, and the batch quarantines
    it."""
    first, second = two_pushes(4)
    bad = [dict(e, seq=e["seq"] + 100_000, payload={**e["payload"], "number": number})
           for e, number in zip((first[-1], second[0], second[-1]), ([1], 5, {"n": 1}))]
    with database.connection_context(), database.atomic() as transaction:
        apply_pushes([first], ahead=True)
        push = [bad[0], *second[:1], bad[1], *second[1:], bad[2]]
        apply.work_ahead(push)  # no TypeError: unhashable, or unordered with str
        apply_pushes([push], ahead=True)
        states = {(e["origin"], e["seq"]): e["state"] for e in hub_state()["events"]}
        found = [states[e["origin"], e["seq"]] for e in bad]
        # Each quarantined, or held behind one of its record quarantined before it.
        assert found[0] == apply.QUARANTINED
        assert set(found) <= {apply.QUARANTINED, apply.HELD}
        assert apply.APPLIED in {states[e["origin"], e["seq"]] for e in second}
        transaction.rollback()
