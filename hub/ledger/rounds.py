"""Sync rounds written in groups: one transaction and one apply for every round that waited.

A hub worker answers many nodes' exchanges at once, a thread each, and every round writes
(its nonce at least), so they queue for the one writer. The round whose turn comes writes
every round queued by then, its own included: each round's own steps in a savepoint (its
nonce, its heartbeat, its push stored and its origin's head moved), then all their pushes'
new events applied together, as one push of several origins (``hub.ledger.apply``), then
each round's pull, and one COMMIT. What a push costs whatever its size (the quarantine,
the owners, the cases and the calendar read; a statement a table; the commit) is then paid
once a group instead of once a round.

A round refused as a whole (a nonce used twice, a malformed heartbeat) leaves nothing and
its request gets the refusal; a refused push is answered in its own part; the other rounds
go on. A group that fails otherwise (a bug, a lost connection) is written again one round
at a time, so a bad round fails alone.
"""
from __future__ import annotations

import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Callable

from hub.coverage import centers
from hub.ledger import ingest, stream
from hub.ledger.security import consume_nonce
from hub.models import database
from sync import envelope as env
from sync.errors import HallsyncError, ProtocolError, problem_body


@dataclass
class Round:
    """One node's exchange, its envelope verified and its push prepared outside the lock."""

    envelope: env.Envelope
    parts: dict                                      # heartbeat, push, pull: as checked
    push: ingest.Prepared | ProtocolError | None     # a refusal found while preparing
    now_ms: int
    log_push_refusal: Callable[[ProtocolError], None]
    reply: dict = field(default_factory=dict)
    error: BaseException | None = None
    done: bool = False
    stored: ingest.Stored | None = None

    def restart(self) -> None:
        self.reply, self.error, self.done, self.stored = {}, None, False, None

    def fail(self, error: BaseException) -> None:
        self.reply, self.error, self.done = {}, error, True


class RoundWriter:
    """This process's queue of rounds; whoever has the turn writes all that wait."""

    def __init__(self) -> None:
        self._queue: list[Round] = []
        self._queue_lock = threading.Lock()
        self._turn = threading.Lock()

    def write(self, round_: Round) -> dict:
        """Write ``round_`` (with the others waiting, or by another thread's turn); its reply.

        :raises HallsyncError: the round's refusal (nothing of it was written).
        """
        with self._queue_lock:
            self._queue.append(round_)
        with self._turn:
            if not round_.done:
                with self._queue_lock:
                    group, self._queue = self._queue, []
                _write_group(group)
        if round_.error is not None:
            raise round_.error
        return round_.reply


def _write_group(group: list[Round]) -> None:
    try:
        try:
            _write_together(group)
        except Exception as exc:  # noqa: BLE001 — each round gets its own outcome
            if len(group) == 1:
                group[0].fail(exc)
                return
            for round_ in group:  # so that a bad round fails alone
                round_.restart()
                try:
                    _write_together([round_])
                except Exception as exc_alone:  # noqa: BLE001
                    round_.fail(exc_alone)
    finally:  # an interrupted turn (the worker stopping) must not leave a request waiting
        for round_ in group:
            if not round_.done:
                round_.fail(RuntimeError("the hub stopped while writing this round"))


def _write_together(group: list[Round]) -> None:
    with database.atomic():
        for round_ in group:
            try:
                with database.atomic():
                    _write_own_steps(round_)
            except HallsyncError as refusal:
                round_.fail(refusal)
        written = [round_ for round_ in group if not round_.done]
        pushed = [round_ for round_ in written if round_.stored is not None]
        answers = ingest.apply_stored([round_.stored for round_ in pushed], now_ms=env.now_ms())
        for round_, answer in zip(pushed, answers):
            round_.reply["push"] = answer
        for round_ in written:
            if "pull" in round_.parts:
                round_.reply["pull"] = stream.pull(round_.envelope.sender, *round_.parts["pull"])
    for round_ in written:  # committed
        round_.done = True


def _write_own_steps(round_: Round) -> None:
    """The nonce, then the heartbeat (so it describes the node as it sent the request), then
    the push stored, or its refusal answered in its part and logged as ``/push`` logs one."""
    envelope, parts = round_.envelope, round_.parts
    consume_nonce(envelope.key_id, envelope.nonce, envelope.time_ms)
    if "heartbeat" in parts:
        with within("heartbeat"):
            round_.reply["heartbeat"] = centers.record_heartbeat(
                envelope.sender, parts["heartbeat"], now_ms=round_.now_ms)
    else:
        centers.touch(envelope.sender, round_.now_ms)
    push = round_.push
    if isinstance(push, ingest.Prepared):
        try:
            with database.atomic():
                round_.stored = ingest.store(push, now_ms=round_.now_ms)
            return
        except ProtocolError as refusal:
            push = refusal
    if push is not None:
        round_.log_push_refusal(push)
        round_.reply["push"] = {"problem": problem_body(push)}


@contextmanager
def within(part: str):
    """Name a field of one part of an exchange as ``part.field``."""
    try:
        yield
    except ProtocolError as exc:
        if exc.extra.get("field"):
            exc.extra["field"] = f"{part}.{exc.extra['field']}"
            exc.detail = exc.detail.replace("body.", f"body.{part}.", 1)
        raise
