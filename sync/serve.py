"""Serve a Flask app factory with gunicorn: several worker processes, each with threads.

Workers are what let the hub use every core: signatures, decompression and
hashing run in parallel, and only the short write transaction queues on the
database. Each worker builds its own app (its own connections) after the fork.
"""
from __future__ import annotations

from typing import Callable

from gunicorn.app.base import BaseApplication


class _Server(BaseApplication):
    def __init__(self, factory: Callable, options: dict, post_worker_init=None):
        self.factory, self.options, self.post_worker_init = factory, options, post_worker_init
        super().__init__()

    def load_config(self):
        for key, value in self.options.items():
            self.cfg.set(key, value)
        if self.post_worker_init is not None:
            self.cfg.set("post_worker_init", lambda worker: self.post_worker_init(worker.wsgi))

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
