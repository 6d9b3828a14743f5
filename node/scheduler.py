"""APScheduler jobs of a running node: the sync round, form files, and the
appointments' own chores (reminders written, abandoned holds given back).

The sync round is one request (``Node.exchange``) at the push's pace; the pull and
the heartbeat ride along when their own intervals are due, so each keeps its pace
without a request of its own. Each job runs with random jitter (so 203 nodes spread
out), and the jobs share one backoff: while the hub is unreachable or asks us to
wait (503 + Retry-After), attempts space out exponentially up to a cap, then resume
at the normal pace after the first success.
"""
from __future__ import annotations

import logging
import threading
import time

from apscheduler.schedulers.background import BackgroundScheduler

from node import appointments, store
from node.inbox import hub_settings
from node.memory import give_back
from node.models import database
from node.syncer import Node
from sync.backoff import Backoff
from sync.database_errors import FAILURES, database_unusable
from sync.errors import HallsyncError, HubBusy, TransportError

log = logging.getLogger("hallsync.node.scheduler")
CHORES_S = 60.0


def effective_settings(settings: dict) -> dict:
    """Local settings, overridden by what the hub set remotely (inside a connection)."""
    return {**settings, **hub_settings()}


class SyncJobs:
    """The jobs around one ``Node``; one at a time (they share the node's client)."""

    def __init__(self, node: Node, settings: dict):
        self.node, self.settings = node, settings
        self.backoff = Backoff(settings["backoff_base_s"], settings["backoff_cap_s"])
        self.lock = threading.Lock()
        self.scheduler = BackgroundScheduler(timezone="UTC")
        self.riders_due = {"pull": 0.0, "heartbeat": 0.0}  # monotonic: due from the start

    def run(self, step_name: str) -> None:
        """Run one step (``exchange``, or one of the node's own) unless backing off; record
        the outcome for status pages."""
        if not self.backoff.ready(time.monotonic()):
            return
        step = self.exchange if step_name == "exchange" else getattr(self.node, step_name)
        with self.lock, database.connection_context():
            try:
                step()
                self.backoff.succeeded()
            except HubBusy as exc:
                delay = self.backoff.failed(time.monotonic(), retry_after=exc.retry_after)
                self._note(f"{step_name}: hub busy, next try in {delay:.0f} s")
            except TransportError as exc:
                delay = self.backoff.failed(time.monotonic())
                self._note(f"{step_name}: {exc.detail}; next try in {delay:.0f} s")
            except HallsyncError as exc:
                self._note(f"{step_name}: {exc.code.value}: {exc.detail}")
            except FAILURES as exc:  # a full disk, say: one line in the log, tried again later
                error = database_unusable(exc)
                if error is None:
                    raise
                delay = self.backoff.failed(time.monotonic())
                log.warning(f"{step_name}: {error.code.value}: {error.detail}; next try in "
                            f"{delay:.0f} s")
        give_back()  # what the push, pull or heartbeat freed

    def exchange(self) -> None:
        """The sync round, with the pull and the heartbeat when their intervals are due."""
        settings = effective_settings(self.settings)
        now = time.monotonic()
        due = {part: now >= at for part, at in self.riders_due.items()}
        self.node.exchange(**due)
        for part in (p for p, ride in due.items() if ride):  # only once the hub answered
            self.riders_due[part] = now + settings[f"{part}_interval_s"]

    def run_chores(self) -> None:
        """Local work that needs no hub: the day-ahead appointment reminders, written into
        the outbox to leave with a push, and the places of holds that ran out."""
        with self.lock, database.connection_context():
            try:
                appointments.write_reminders()
                appointments.bookings().release_expired(appointments.now_ms())
            except FAILURES as exc:
                error = database_unusable(exc)
                if error is None:
                    raise
                log.warning(f"appointments: {error.code.value}: {error.detail}")
        give_back()

    def _note(self, text: str) -> None:
        log.warning(text)
        store.update_state(last_error=text[:1000])

    def start(self) -> None:
        with database.connection_context():
            settings = effective_settings(self.settings)
        # forms and uploads: the files a pull named (the catalog's forms, the files of
        # applications made at the hub), fetched on the pull's pace.
        for step, interval in (("exchange", "push_interval_s"),
                               ("forms", "pull_interval_s"), ("uploads", "pull_interval_s")):
            self.scheduler.add_job(self.run, "interval", args=[step], id=step,
                                   seconds=settings[interval], jitter=settings["jitter_s"],
                                   max_instances=1, coalesce=True)
        self.scheduler.add_job(self.run_chores, "interval", id="chores", seconds=CHORES_S,
                               jitter=settings["jitter_s"], max_instances=1, coalesce=True)
        self.scheduler.start()

    def shutdown(self) -> None:
        self.scheduler.shutdown(wait=False)
