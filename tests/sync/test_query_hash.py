"""The stored form of a query code: salted, checked as typed, and refusing everything else."""
from __future__ import annotations

import time

from sync import query_hash
from sync.case_records import _received

CODE = "86KK2QJV"


def test_a_code_matches_its_hash_as_printed_or_typed():
    stored = query_hash.hash_code(CODE)
    assert query_hash.is_query_hash(stored) and CODE not in stored
    for typed in (CODE, "86kk2qjv", " 86KK-2QJV "):
        assert query_hash.code_matches(typed, stored)


def test_another_code_none_or_garbage_never_matches():
    stored = query_hash.hash_code(CODE)
    for typed, against in [("86KK2QJW", stored), (CODE, None), (CODE, "pbkdf2_sha256$1$x$y"),
                           (None, stored), ("", stored)]:
        assert not query_hash.code_matches(typed, against)


def test_each_case_has_its_own_salt():
    assert query_hash.hash_code(CODE) != query_hash.hash_code(CODE)


def test_no_case_costs_what_a_wrong_code_costs():
    stored = query_hash.hash_code(CODE)

    def cost(against) -> float:
        start = time.perf_counter()
        for _ in range(5):
            query_hash.code_matches("23456789", against)
        return time.perf_counter() - start
    # The same rounds of work either way (generous bounds: the machine is shared).
    assert 0.5 < cost(None) / cost(stored) < 2


def test_case_received_refuses_a_malformed_hash():
    payload = {"number": "210102-20260301-00001", "matter": {},
               "applicant": {"kind": "enterprise", "name": "沈阳某建设有限公司",
                             "id_code": "91210100MA0Q123430", "phone": "02423456789"}}
    assert _received(payload) is None
    assert _received({**payload, "query_hash": query_hash.hash_code(CODE)}) is None
    assert "query_hash" in _received({**payload, "query_hash": CODE})
