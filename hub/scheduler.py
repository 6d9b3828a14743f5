"""The hub's periodic jobs, each run once per interval across every worker and instance.

Several gunicorn workers, and several ``hub run`` instances on one PostgreSQL
database, all tick every job. A tick first claims its job's current time slot
(``now // interval``) by inserting a ``JobRun`` row under the primary key
(job, slot), in the same transaction as the job's work:

- the first tick of a slot inserts the row, runs the job and commits both;
- a concurrent tick's insert waits on that row (PostgreSQL's unique index; on
  SQLite the write lock), then finds it and only counts itself in ``skipped``;
- a run that fails rolls back with its claim, so a later tick of the same slot
  may run it.

A PostgreSQL advisory lock alone would only keep two runs from overlapping:
two instances whose timers are a few seconds apart would each still run once
per interval. The claim row also works unchanged on SQLite (several workers of
one instance) and leaves a record of who ran what, read by the scale-out test.
The scheduler starts on a worker's first request, not at import: gunicorn's
master builds the app before it forks, and forking while a thread runs can hand
a child a held lock.
"""
from __future__ import annotations

import logging
import os
import socket
import threading
import time
from dataclasses import dataclass
from typing import Callable

import orjson
from apscheduler.schedulers.background import BackgroundScheduler
from flask import Flask

from hub.coverage import alerts
from hub.ledger.security import forget_old_nonces
from hub.models import JobRun, database
from sync import envelope as env
from sync.database import checkpoint, checkpoint_apart, is_sqlite

log = logging.getLogger("hallsync.hub.scheduler")
DAY_MS = 24 * 3600 * 1000
# Each worker checkpoints a SQLite hub's WAL this often (``sync.database.checkpoint``): the
# WAL holds about what the last half second of pushes wrote (22 MB at 20,000 events/s).
CHECKPOINT_EVERY_S = 0.5
FAILURE_LOG_EVERY_S = 60
# The WAL grows for as long as one read (a long export, a stuck request) keeps the
# checkpoints from copying it back: past this many pages (about 100 MB) the operator is told.
WAL_BEHIND_PAGES = 25_000
INSTANCE = f"{socket.gethostname()}:{os.getpid()}"[:64]


def _forget_old(settings: dict, now_ms: int) -> dict:
    """Old nonces, and job runs older than a day (the record need not outlive that)."""
    runs = JobRun.delete().where(JobRun.ran_ms < now_ms - DAY_MS).execute()
    return {"nonces": forget_old_nonces(settings, now_ms), "job_runs": runs}


@dataclass(frozen=True)
class Job:
    name: str
    interval_setting: str
    work: Callable[[dict, int], dict]  # (settings, now_ms) → what it did


JOBS = (Job("coverage_alerts", "coverage_interval_s",
            lambda settings, now_ms: alerts.evaluate(now_ms, settings)),
        Job("nonce_cleanup", "nonce_cleanup_interval_s", _forget_old))


def run_once(job: Job, settings: dict, now_ms: int, instance: str = INSTANCE) -> dict | None:
    """Run ``job`` if no one has in its current slot; its result, or None when skipped."""
    slot = now_ms // (settings[job.interval_setting] * 1000)
    with database.atomic():
        claim = (JobRun.insert(job=job.name, slot=slot, instance=instance, ran_ms=now_ms)
                 .on_conflict_ignore())
        if database.execute(claim).rowcount == 0:  # ran (or running) elsewhere
            JobRun.update(skipped=JobRun.skipped + 1).where(
                (JobRun.job == job.name) & (JobRun.slot == slot)).execute()
            return None
        result = job.work(settings, now_ms)
        JobRun.update(result=orjson.dumps(result).decode()).where(
            (JobRun.job == job.name) & (JobRun.slot == slot)).execute()
    return result


class HubJobs:
    """Every job of ``JOBS`` on its interval, in a background thread of this worker; on
    SQLite, the WAL's checkpoints in a thread of their own (``CHECKPOINT_EVERY_S`` after
    the last one ended: a job that often would pile up skipped runs in APScheduler's log
    whenever one took longer)."""

    def __init__(self, settings: dict):
        self.settings = settings
        self.db = database.obj  # the database this app bound
        self.scheduler = BackgroundScheduler(timezone="UTC")
        self._lock = threading.Lock()
        self._quiet_until: dict[str, float] = {}  # job -> when its next failure is logged
        self._stopped = threading.Event()
        checkpoint_apart(self.db)  # before the worker's threads connect

    def start_once(self) -> None:
        """Start the scheduler the first time this process serves a request."""
        if self.scheduler.running:
            return
        with self._lock:
            if not self.scheduler.running:
                for job in JOBS:
                    self.scheduler.add_job(self.run, "interval", args=(job,), id=job.name,
                                           seconds=self.settings[job.interval_setting],
                                           max_instances=1, coalesce=True)
                self.scheduler.start()
                if is_sqlite(self.db):  # a daemon: it ends with the worker, mid-wait or not
                    threading.Thread(target=self._checkpoints, name="wal-checkpoint",
                                     daemon=True).start()

    def stop(self) -> None:
        self._stopped.set()
        self.scheduler.shutdown()

    def run(self, job: Job) -> None:
        self._guarded(job.name, lambda: run_once(job, self.settings, env.now_ms()))

    def _checkpoints(self) -> None:
        while not self._stopped.wait(CHECKPOINT_EVERY_S):
            self._guarded("wal_checkpoint", self._checkpoint)

    def _checkpoint(self) -> None:
        behind = checkpoint(self.db)
        if behind >= WAL_BEHIND_PAGES:
            self._now_and_then("wal_behind", lambda: log.warning(
                "the WAL holds %d pages the checkpoints cannot copy back yet: a read that "
                "began before them is still open (a long export or request?)", behind))

    def _guarded(self, name: str, work: Callable[[], object]) -> None:
        # Several apps in one process (tests) share the models' proxy: run only
        # while it still points at the database this app bound.
        if database.obj is not self.db:
            return
        try:
            with database.connection_context():
                work()
        except Exception:  # noqa: BLE001 — the next tick tries again; say why meanwhile
            self._now_and_then(name, lambda: log.exception("hub job %s failed", name))

    def _now_and_then(self, topic: str, say: Callable[[], None]) -> None:
        # Once a minute a topic at most: the checkpoint thread ticks twice a second in every
        # worker, and a full disk (whose tracebacks would fill it further) or a long read
        # would otherwise be told at every tick.
        now = time.monotonic()
        if now >= self._quiet_until.get(topic, 0.0):
            self._quiet_until[topic] = now + FAILURE_LOG_EVERY_S
            say()


def init_app(app: Flask) -> None:
    """Tick the jobs in every worker that serves requests (not in tests' in-process apps)."""
    if app.config["TESTING"]:
        return
    jobs = HubJobs(app.config["HALLSYNC"])
    app.extensions["hallsync.jobs"] = jobs
    app.before_request(jobs.start_once)
