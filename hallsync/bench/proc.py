"""What a running program costs, read from /proc: memory and CPU time of its processes.

Memory is the proportional set size (PSS): each shared page counted once
across the processes sharing it, so a process and its children add up to
what they really cost the PC. It comes from ``/proc/PID/smaps_rollup``
(Linux 4.14+); where that is missing the resident set size (RSS, which
counts shared libraries in full) stands in, and ``kind`` says so (psutil's
RSS, if installed, where there is no /proc).

CPU time (user + system) does not depend on how busy the machine is, unlike
wall time: on a shared machine it says what a step costs on an idle one.
"""
from __future__ import annotations

import os
from pathlib import Path

PROC = Path("/proc")


def process_tree(pid: int) -> list[int]:
    """``pid`` and its descendants (Linux: from /proc; elsewhere: ``pid`` alone)."""
    parents: dict[int, list[int]] = {}
    for stat in PROC.glob("[0-9]*/stat"):
        try:
            # "pid (comm) state ppid …": comm may hold spaces, so split after its ")".
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # the process ended meanwhile
        parents.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        todo.extend(parents.get(current, []))
    return tree


def _field_kb(path: Path, name: str) -> int | None:
    try:
        for line in path.read_text().splitlines():
            if line.startswith(name + ":"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def resident_mb(pid: int) -> float | None:
    """RSS of ``pid`` and its descendants: what they would take alone on a PC (no sharing)."""
    rss = [_field_kb(PROC / str(p) / "status", "VmRSS") for p in process_tree(pid)]
    return sum(rss) / 1024 if all(kb is not None for kb in rss) else None


def memory_mb(pid: int) -> tuple[float, str]:
    """(megabytes, "pss" or "rss") of ``pid`` and its descendants together."""
    pids = process_tree(pid)
    pss = [_field_kb(PROC / str(p) / "smaps_rollup", "Pss") for p in pids]
    if all(kb is not None for kb in pss):
        return sum(pss) / 1024, "pss"
    rss = [_field_kb(PROC / str(p) / "status", "VmRSS") for p in pids]
    if all(kb is not None for kb in rss):
        return sum(rss) / 1024, "rss"
    try:  # no /proc (Windows, macOS): psutil's RSS, if it is installed
        import psutil
    except ImportError:
        return 0.0, "unavailable"
    main = psutil.Process(pid)
    return sum(p.memory_info().rss for p in [main, *main.children(recursive=True)]) / 2**20, "rss"


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds so far of ``pid`` and its living descendants (0 without /proc)."""
    ticks = 0
    for p in process_tree(pid):
        try:
            fields = (PROC / str(p) / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        ticks += int(fields[11]) + int(fields[12])  # utime, stime: fields 14 and 15 of stat
    return ticks / os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 0.0
