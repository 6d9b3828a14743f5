"""The node gives the memory it freed back to the street PC (glibc's ``malloc_trim``)."""
from __future__ import annotations

import sys

import pytest

from node import memory
from node.app import create_app

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="reads /proc and calls glibc")
MB = 1024 * 1024


def resident_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * 4096


def freed_but_kept() -> list:
    """30 MB freed between blocks still in use, as a page's work leaves them: glibc keeps
    the holes for reuse, and the process's resident memory does not fall. Memory freed
    earlier is given back first, or the blocks could reuse it instead of growing."""
    memory.give_back()
    blocks = [bytearray(100_000) for _ in range(600)]
    kept = blocks[1::2]  # every other block, so each freed one is a hole, not the heap's end
    del blocks
    return kept


def test_freed_memory_goes_back_to_the_system():
    kept = freed_but_kept()
    held = resident_bytes()
    assert memory.give_back()
    assert held - resident_bytes() > 20 * MB
    assert len(kept) == 300


def test_a_page_gives_back_what_was_freed_once_it_is_sent(tmp_path):
    client = create_app({"data_dir": str(tmp_path / "node")}).test_client()
    assert client.get("/login").status_code == 200  # the first page's own imports
    kept = freed_but_kept()
    held = resident_bytes()
    response = client.get("/login")
    assert response.status_code == 200
    response.close()  # what the server does once the body is sent
    assert held - resident_bytes() > 20 * MB
    assert len(kept) == 300
