"""Data files of the city: topology of the centers, settings examples, catalogs, calendars.

``path(name)`` gives the absolute path of a file shipped in this package.
"""
from pathlib import Path

HERE = Path(__file__).resolve().parent


def path(name: str) -> Path:
    """Absolute path of a data file in ``config/``."""
    return HERE / name
