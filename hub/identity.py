"""The hub's own key, made on first run in its data directory, and replaced by rotation."""
from __future__ import annotations

import os
import threading
from pathlib import Path

from sync.signing import KeyPair

HUB_ID = "hub"  # the hub's name as sender and recipient of envelopes
KEY_FILE = "hub.key"
NEXT_KEY_FILE = "hub.key.next"  # a rotation's new key until its record is committed


def load_or_create_key(data_dir: str | Path) -> KeyPair:
    """The hub's signing key (``hub.key``), created on first use."""
    path = Path(data_dir) / KEY_FILE
    if not path.exists():
        KeyPair.generate().save(path)
    return KeyPair.load(path)


class HubKeyFile:
    """The hub's key as ``hub.key`` holds it now.

    ``hallsync hub key rotate`` (another process) replaces the file; every process that
    serves the hub notices at its next signature (a stat: about a microsecond) and signs
    with the new key from then on, without a restart.
    """

    def __init__(self, data_dir: str | Path):
        self.path = Path(data_dir) / KEY_FILE
        self._lock = threading.Lock()
        self._stamp: tuple | None = None
        self._keys = load_or_create_key(data_dir)

    def current(self) -> KeyPair:
        stat = os.stat(self.path)
        stamp = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
        if stamp != self._stamp:
            with self._lock:
                self._keys, self._stamp = KeyPair.load(self.path), stamp
        return self._keys
