"""APScheduler jobs of a running node: push, pull, form files and heartbeat, and the
appointments' own chores (reminders written, abandoned holds given back).

Each job runs on its own interval with random jitter (so 203 nodes spread
out), and all three share one backoff: while the hub is unreachable or asks
us to wait (503 + Retry-After), attempts space out exponentially up to a
cap, then resume at the normal pace after the first success.
"""
from __future__ import annotations

import logging
import threading
import time

from apscheduler.schedulers.background import BackgroundScheduler

from node import appointments
from node.inbox import hub_settings
from node.models import NodeState, database
from node.syncer import Node
from sync.backoff import Backoff
from sync.database_errors import FAILURES, database_unusable
from sync.errors import HallsyncError, HubBusy, TransportError

log = logging.getLogger("hallsync.node.scheduler")
CHORES_S = 60.0


def effective_settings(settings: dict) -> dict:
    """Local settings, overridden by what the hub set remotely."""
    with database.connection_context():
        return {**settings, **hub_settings()}


class SyncJobs:
    """The three jobs around one ``Node``; one at a time (they share the node's client)."""

    def __init__(self, node: Node, settings: dict):
        self.node, self.settings = node, settings
        self.backoff = Backoff(settings["backoff_base_s"], settings["backoff_cap_s"])
        self.lock = threading.Lock()
        self.scheduler = BackgroundScheduler(timezone="UTC")

    def run(self, step_name: str) -> None:
        """Run one step unless backing off; record the outcome for status pages."""
        if not self.backoff.ready(time.monotonic()):
            return
        with self.lock, database.connection_context():
            try:
                getattr(self.node, step_name)()
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

    def _note(self, text: str) -> None:
        log.warning(text)
        NodeState.update(last_error=text[:1000]).execute()

    def start(self) -> None:
        settings = effective_settings(self.settings)
        # forms and uploads: the files a pull named (the catalog's forms, the files of
        # applications made at the hub), fetched on the pull's pace.
        for step, interval in (("push", "push_interval_s"), ("pull", "pull_interval_s"),
                               ("forms", "pull_interval_s"), ("uploads", "pull_interval_s"),
                               ("heartbeat", "heartbeat_interval_s")):
            self.scheduler.add_job(self.run, "interval", args=[step], id=step,
                                   seconds=settings[interval], jitter=settings["jitter_s"],
                                   max_instances=1, coalesce=True)
        self.scheduler.add_job(self.run_chores, "interval", id="chores", seconds=CHORES_S,
                               jitter=settings["jitter_s"], max_instances=1, coalesce=True)
        self.scheduler.start()

    def shutdown(self) -> None:
        self.scheduler.shutdown(wait=False)
