"""The hub's own key, made on first run in its data directory."""
from __future__ import annotations

from pathlib import Path

from sync.signing import KeyPair

HUB_ID = "hub"  # the hub's name as sender and recipient of envelopes


def load_or_create_key(data_dir: str | Path) -> KeyPair:
    """The hub's signing key (``hub.key``), created on first use."""
    path = Path(data_dir) / "hub.key"
    if not path.exists():
        KeyPair.generate().save(path)
    return KeyPair.load(path)
