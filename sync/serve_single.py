"""Serve a WSGI app from this one process with waitress: a few threads, no fork.

A node runs on a street PC (Windows or a domestic Linux, little memory): one
process holds its pages and its scheduled sync jobs. gunicorn (a master plus
workers, POSIX only) stays the hub's server (``sync.serve``).

SIGINT, SIGTERM and, on Windows, SIGBREAK stop it cleanly: waitress's loop
ends on SystemExit, its threads finish the requests in hand, the socket
closes, then ``on_stop`` runs before this returns.
"""
from __future__ import annotations

import signal
import sys
from typing import Callable

STOP_SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGBREAK")
                     if hasattr(signal, name))


def _exit_loop(signum, _frame):
    raise SystemExit(128 + signum)  # waitress's loop catches it and stops its threads


def serve_single(app, *, name: str, host: str, port: int, threads: int,
                 on_stop: Callable[[], None] | None = None) -> None:
    """Run until a stop signal; ``port`` 0 lets the OS choose (the URL printed says which)."""
    from waitress.server import create_server
    server = create_server(app, host=host, port=port, threads=threads, ident="hallsync",
                           clear_untrusted_proxy_headers=True)
    previous = {sig: signal.signal(sig, _exit_loop) for sig in STOP_SIGNALS}
    print(f"{name} listening on http://{host}:{server.effective_port}", file=sys.stderr,
          flush=True)
    try:
        server.run()  # returns after a stop signal, its worker threads stopped
    finally:
        server.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if on_stop is not None:
            on_stop()
