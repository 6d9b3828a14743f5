"""Serve a Flask app factory with gunicorn: several worker processes, each with threads.

Workers are what let the hub use every core: signatures, decompression and
hashing run in parallel, and only the short write transaction queues on the
database. Each worker builds its own app (its own connections) after the fork.
"""
from __future__ import annotations

import gc
from typing import Callable

from gunicorn.app.base import BaseApplication


# A worker keeps its app and modules for life, while a request makes tens of thousands of
# objects that die with it (a push of 1,000 events). With Python's default thresholds
# (700, 10, 10) those set off collections mid-request, and every full one walks the whole
# app: 9 % of a push's CPU at the hub. At 50,000 a request's objects are freed by their
# counts before a collection comes; what the app holds at start is frozen out of them.
GC_THRESHOLDS = (50_000, 20, 20)


def tune_gc() -> None:
    """Collect once, freeze what survives (never walked again), raise the thresholds."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


class _Server(BaseApplication):
    def __init__(self, factory: Callable, options: dict, post_worker_init=None):
        self.factory, self.options, self.post_worker_init = factory, options, post_worker_init
        super().__init__()

    def load_config(self):
        for key, value in self.options.items():
            self.cfg.set(key, value)
        self.cfg.set("post_worker_init", self._worker_ready)

    def _worker_ready(self, worker) -> None:
        tune_gc()  # before the hook starts threads of its own (the city node's jobs)
        if self.post_worker_init is not None:
            self.post_worker_init(worker.wsgi)

    def load(self):
        return self.factory()


def serve(factory: Callable, *, host: str, port: int, workers: int, threads: int,
          post_worker_init=None) -> None:
    """Run until stopped (SIGTERM/SIGINT: graceful)."""
    _Server(factory, {"bind": f"{host}:{port}", "workers": workers, "threads": threads,
                      "worker_class": "gthread", "timeout": 120, "graceful_timeout": 10,
                      "limit_request_line": 8190, "accesslog": None, "errorlog": "-",
                      "loglevel": "warning", "proc_name": "hallsync"},
            post_worker_init).run()
