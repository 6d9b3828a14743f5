"""A TCP proxy on loopback that damages the traffic between nodes and the hub.

Nodes enroll through it (so the hub URL they keep is the proxy's) and every
request they send afterwards may meet one fault, drawn from a seeded
random generator with probability ``rate``:

- ``drop_request``: the request is swallowed and the connection closed; the hub
  never sees it.
- ``drop_reply``: the request reaches the hub (which may commit it) and the reply
  is thrown away: the node cannot tell whether its push landed.
- ``truncate``: the reply is cut after a random number of bytes.
- ``reset``: the reply never comes; the node's socket is reset (RST).
- ``delay``: every chunk in either direction waits ``delay_s`` first.
- ``duplicate``: every byte the node sends is also sent to the hub on a second
  connection, whose replies are discarded: the hub receives each request twice.

It works at the TCP level and knows of HTTP only where a request starts (to
draw each request's fault, keep-alive connections included), so it damages
the bytes as a real network would. Used by the fault tests and by
``hallsync bench soak``.
"""
from __future__ import annotations

import random
import re
import selectors
import socket
import struct
import threading
import time
from collections import Counter

FAULTS = ("drop_request", "drop_reply", "truncate", "reset", "delay", "duplicate")
_CHUNK = 65536
_REQUEST_LINE = re.compile(rb"[A-Z]{3,7} /")


def _close(sock: socket.socket, *, reset: bool = False) -> None:
    try:
        if reset:  # linger 0: close() sends RST instead of FIN
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()
    except OSError:
        pass


class FaultProxy:
    """Listen on a free loopback port and forward to ``upstream`` (host, port)."""

    def __init__(self, upstream: tuple[str, int], *, rate: float = 0.0, seed: int = 0,
                 faults: tuple[str, ...] = FAULTS, delay_s: float = 0.2):
        unknown = set(faults) - set(FAULTS)
        if unknown:
            raise ValueError(f"unknown faults: {sorted(unknown)}")
        self.upstream, self.rate, self.faults, self.delay_s = upstream, rate, faults, delay_s
        self.counts: Counter = Counter()  # fault name (or "clean") → requests
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.2)
        self.port = self._listener.getsockname()[1]
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._accept, name="fault-proxy", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> "FaultProxy":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self._stopping.set()
        self._thread.join(5)
        _close(self._listener)

    def set(self, *, rate: float | None = None, faults: tuple[str, ...] | None = None) -> None:
        """Change the fault rate or the faults drawn, for the requests sent from now."""
        with self._lock:
            if rate is not None:
                self.rate = rate
            if faults is not None:
                self.faults = faults

    def _draw(self) -> str:
        with self._lock:
            fault = (self._random.choice(self.faults)
                     if self.faults and self._random.random() < self.rate else "clean")
            self.counts[fault] += 1
            cut = self._random.randint(0, 200)
        return fault if fault != "truncate" else f"truncate:{cut}"

    def _accept(self) -> None:
        while not self._stopping.is_set():
            try:
                client, _ = self._listener.accept()
            except (TimeoutError, socket.timeout):
                continue
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        """Pump one connection until either side closes, applying each request's fault.

        A fault is drawn for every request (a chunk from the node that starts with an
        HTTP method), so keep-alive connections meet faults as often as fresh ones.
        One thread per connection owns all its sockets (closing a socket another
        thread is blocked on would not send the FIN or RST until that recv returns).
        """
        try:
            upstream = socket.create_connection(self.upstream, timeout=30)
        except OSError:
            _close(client, reset=True)  # the hub is down: the node sees what it would see
            return
        fault, twin, reset = "clean", None, False
        # selectors, not select.select: a test process with many files open hands out
        # descriptors above 1023, which select() refuses.
        watch = selectors.DefaultSelector()
        for sock in (client, upstream):
            watch.register(sock, selectors.EVENT_READ)
        try:
            while not self._stopping.is_set():
                for key, _ in watch.select(0.5):
                    sock = key.fileobj
                    data = sock.recv(_CHUNK)
                    if sock is twin:  # the second copy's replies go nowhere
                        if not data:
                            watch.unregister(twin)
                        continue
                    if not data:
                        return  # either side closed: so is the connection
                    if sock is client and _REQUEST_LINE.match(data):
                        fault = self._draw()
                        if fault == "duplicate" and twin is None:
                            twin = socket.create_connection(self.upstream, timeout=30)
                            watch.register(twin, selectors.EVENT_READ)
                    if fault == "delay":
                        time.sleep(self.delay_s)
                    if sock is client:
                        if fault == "drop_request":
                            return
                        upstream.sendall(data)
                        if fault == "duplicate" and twin in watch.get_map():
                            twin.sendall(data)
                        continue
                    # A reply: the hub has done (and committed) the request's work.
                    if fault in ("drop_reply", "reset"):
                        reset = fault == "reset"
                        return
                    if fault.startswith("truncate:"):
                        cut = int(fault.split(":")[1])
                        client.sendall(data[:min(cut, max(len(data) - 1, 0))])
                        return
                    client.sendall(data)
        except OSError:
            pass
        finally:
            watch.close()
            _close(client, reset=reset)
            _close(upstream)
            if twin is not None:
                _close(twin)
