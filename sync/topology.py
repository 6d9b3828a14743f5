"""The city's network of centers: who exists, at which level, under whom.

``load_topology()`` reads ``config/centers.toml`` once per path and checks it
with ``validate()``; a mistake raises ``ConfigError`` naming the field, e.g.
``center[57].parent``. Hub and node both use it, so it is pure Python.
"""
from __future__ import annotations

import functools
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

import config
from sync.errors import Code, ConfigError, NotFound, ValidationError

LEVELS = ("city", "subcenter", "district", "street")

# The article's figures. Checking them means a lost or doubled street is a
# load error rather than a silent gap in coverage and statistics.
EXPECTED_COUNTS = {"city": 1, "subcenter": 5, "district": 14, "street": 189}

# GB/T 2260 division codes; sub-centers are the city's code plus F and a digit.
CODE_FORMATS = {
    "city": (re.compile(r"[0-9]{6}"), "6 digits, like 210100"),
    "subcenter": (re.compile(r"[0-9]{6}F[0-9]"), "6 digits, F and a digit, like 210100F1"),
    "district": (re.compile(r"[0-9]{6}"), "6 digits, like 210102"),
    "street": (re.compile(r"[0-9]{9}"), "9 digits, like 210102001"),
}
# A center's code at any level (inside case and licence numbers).
CENTER_CODE = re.compile("|".join(f"(?:{pattern.pattern})"
                                  for pattern, _shape in CODE_FORMATS.values()))
KEYS = ("code", "name", "level", "parent")


@dataclass(frozen=True)
class Center:
    code: str
    name: str
    level: str
    parent: str | None


class Topology:
    """The validated centers, with lookups by code, level and parent."""

    def __init__(self, centers: tuple[Center, ...]):
        self.centers = centers
        self.by_code = {c.code: c for c in centers}
        self.hub = next(c for c in centers if c.level == "city")
        self._children: dict[str, list[Center]] = {c.code: [] for c in centers}
        for c in centers:
            if c.parent is not None:
                self._children[c.parent].append(c)

    def get(self, code: str) -> Center:
        """The center with this code; raises ``NotFound`` (CENTER_UNKNOWN) otherwise."""
        try:
            return self.by_code[code]
        except (KeyError, TypeError):
            raise NotFound(f"没有编码为 {code!r} 的中心", code=Code.CENTER_UNKNOWN) from None

    def name_of(self, code: str) -> str:
        """The center's Chinese name, or the code itself when no center has it."""
        center = self.by_code.get(code)
        return center.name if center else code

    def at_level(self, level: str) -> list[Center]:
        """The centers of one level, in file order."""
        if level not in LEVELS:
            raise ValidationError(f"unknown level {level!r}; expected one of {', '.join(LEVELS)}",
                                  field="level")
        return [c for c in self.centers if c.level == level]

    def children(self, code: str) -> list[Center]:
        """The centers directly under ``code``, in file order."""
        return list(self._children[self.get(code).code])

    def subtree(self, code: str) -> list[str]:
        """The codes of ``code`` and of every center below it, ``code`` first."""
        found, todo = [], [self.get(code).code]
        while todo:
            current = todo.pop()
            found.append(current)
            todo.extend(c.code for c in self._children[current])
        return found

    def district_of(self, code: str) -> Center | None:
        """A street's district, a district itself, None for the city and sub-centers."""
        center = self.get(code)
        if center.level == "street":
            return self.by_code[center.parent]
        return center if center.level == "district" else None

    def counts(self) -> dict[str, int]:
        """How many centers each level has."""
        return {level: sum(c.level == level for c in self.centers) for level in LEVELS}


_DEFAULT = config.path("centers.toml")  # one Path object: its hash is computed once


def load_topology(path: str | Path | None = None) -> Topology:
    """The topology in ``path`` (default ``config/centers.toml``), validated and cached.

    Cheap enough to call per event (the hub's apply path does)."""
    return _load(Path(path) if path is not None else _DEFAULT)


@functools.lru_cache(maxsize=None)
def _load(path: Path) -> Topology:
    try:
        with open(path, "rb") as fh:
            doc = tomllib.load(fh)
    except OSError as exc:
        raise ConfigError(str(path), None, f"cannot read: {exc.strerror}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(str(path), None, f"not valid TOML: {exc}") from exc
    return Topology(validate(doc))


def validate(doc: dict) -> tuple[Center, ...]:
    """The centers of a parsed centers file; raises ``ConfigError`` naming the bad field."""
    for key in doc:
        if key != "center":
            raise ConfigError(key, doc[key], "unknown key; centers are [[center]] tables")
    entries = doc.get("center")
    if not isinstance(entries, list) or not entries:
        raise ConfigError("center", entries, "must be a non-empty array of [[center]] tables")
    centers = tuple(_center(i, entry) for i, entry in enumerate(entries))
    _check_unique(centers)
    _check_tree(centers)
    _check_counts(centers)
    return centers


def _center(i: int, entry) -> Center:
    where = f"center[{i}]"
    if not isinstance(entry, dict):
        raise ConfigError(where, entry, "must be a table")
    for key in entry:
        if key not in KEYS:
            raise ConfigError(f"{where}.{key}", entry[key],
                              f"unknown key; expected {', '.join(KEYS)}")
    for key in ("code", "name", "level"):
        value = entry.get(key)
        if not isinstance(value, str) or not value.strip():
            raise ConfigError(f"{where}.{key}", value, "required, a non-empty string")
    level, code, parent = entry["level"], entry["code"], entry.get("parent")
    if level not in LEVELS:
        raise ConfigError(f"{where}.level", level, f"must be one of {', '.join(LEVELS)}")
    pattern, shape = CODE_FORMATS[level]
    if not pattern.fullmatch(code):
        raise ConfigError(f"{where}.code", code, f"a {level} code must be {shape}")
    if level == "city" and parent is not None:
        raise ConfigError(f"{where}.parent", parent, "the city center has no parent")
    if level != "city" and (not isinstance(parent, str) or not parent):
        raise ConfigError(f"{where}.parent", parent, f"required for a {level} center")
    return Center(code=code, name=entry["name"], level=level, parent=parent)


def _check_unique(centers: tuple[Center, ...]) -> None:
    first: dict[str, int] = {}
    for i, c in enumerate(centers):
        if c.code in first:
            raise ConfigError(f"center[{i}].code", c.code, f"duplicate of center[{first[c.code]}]")
        first[c.code] = i


def _check_tree(centers: tuple[Center, ...]) -> None:
    cities = [i for i, c in enumerate(centers) if c.level == "city"]
    if not cities:
        raise ConfigError("center", len(centers), "needs exactly one center of level city")
    if len(cities) > 1:
        raise ConfigError(f"center[{cities[1]}].level", "city",
                          f"a second city center; center[{cities[0]}] is the city")
    hub = centers[cities[0]]
    by_code = {c.code: c for c in centers}
    for i, c in enumerate(centers):
        if c.level in ("subcenter", "district") and c.parent != hub.code:
            raise ConfigError(f"center[{i}].parent", c.parent,
                              f"a {c.level} center's parent must be the city center {hub.code}")
        if c.level == "street":
            parent = by_code.get(c.parent)
            if parent is None:
                raise ConfigError(f"center[{i}].parent", c.parent, "no center has this code")
            if parent.level != "district":
                raise ConfigError(f"center[{i}].parent", c.parent,
                                  f"a street center's parent must be a district, "
                                  f"not a {parent.level}")
        # The code carries its place in the tree, so a node's code alone tells
        # which district supervises it.
        if c.level in ("subcenter", "street") and not c.code.startswith(c.parent):
            raise ConfigError(f"center[{i}].code", c.code,
                              f"must start with its parent's code {c.parent}")


def _check_counts(centers: tuple[Center, ...]) -> None:
    for level, expected in EXPECTED_COUNTS.items():
        found = sum(c.level == level for c in centers)
        if found != expected:
            raise ConfigError("center", found,
                              f"the city has {expected} centers of level {level} "
                              f"(EXPECTED_COUNTS)")
