"""Finding a catalog row by either of a matter's codes, at the hub and at a node.

Both keep the catalog as ``CatalogMatter`` rows keyed by the basic code, with the
matter's canonical JSON in ``data``. A national code (``sync.matter_codes``) is
found in that JSON: a few hundred rows, and a code long and specific enough that
the ``LIKE`` narrows them to the one, on SQLite and PostgreSQL alike.
"""
from __future__ import annotations

import orjson

from sync import matter_codes


def find(model, code):
    """The row of ``model`` (the hub's or a node's ``CatalogMatter``) that ``code`` names,
    a basic or a national code; None when neither."""
    if not isinstance(code, str) or not code:
        return None
    row = model.get_or_none(model.code == code)
    if row is not None or not matter_codes.looks_national(code):
        return row
    national = matter_codes.normal(code)
    for row in model.select().where(model.data.contains(national)):
        if orjson.loads(row.data).get("national_code") == national:
            return row
    return None


def basic_code(model, code) -> str | None:
    """The basic code that ``code`` names (as ``find``), for filters that key on it."""
    row = find(model, code)
    return row.code if row is not None else None
