"""Where a login may send the user next: only a path on this site, never another host.

Browsers forgive a lot in a ``Location``: they drop tabs, newlines and CRs anywhere, strip
leading spaces and control characters, and read ``\\`` as ``/``. So ``/\\evil``, ``/\\t/evil``
or `` //evil`` all become ``//evil``, another site. Rather than guess how a browser
normalises, refuse any target that would need normalising.
"""
from __future__ import annotations

import unicodedata
from urllib.parse import unquote


def _has_unsafe_char(text: str) -> bool:
    """A control, format or whitespace character (any script's), or a backslash."""
    return any(ch == "\\" or ch.isspace() or unicodedata.category(ch)[0] in "CZ"
               for ch in text)


def _is_site_path(text: str) -> bool:
    """``/`` then anything but a second ``/``: a path on this host, not ``//host``."""
    return text.startswith("/") and not text.startswith("//") and not _has_unsafe_char(text)


def same_site_path(target: str | None) -> str | None:
    """``target`` when it is a plain path on this site, else None.

    The path is checked again percent-decoded (``/%2F/evil``, ``/%09/evil``): a proxy or a
    later redirect may decode it once. The query and fragment cannot change the host.
    """
    if not target or not _is_site_path(target):
        return None
    path = target.split("?", 1)[0].split("#", 1)[0]
    return target if _is_site_path(unquote(path)) else None
