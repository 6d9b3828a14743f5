"""Suite c of issue 13, part one: schemathesis against both OpenAPI documents, through a
real hub and a real node, logged in. Never a 500; every error is the one problem shape;
a refused write at the node leaves its event log as it was."""
from __future__ import annotations

import orjson
import schemathesis

from tests.fuzz.conftest import FUZZ
from tests.processes import ROOT

PROBLEM_KEYS = {"code", "status", "title", "detail"}
HUB_SCHEMA = schemathesis.openapi.from_dict(orjson.loads((ROOT / "hub/openapi.json").read_bytes()))
NODE_SCHEMA = schemathesis.openapi.from_dict(
    orjson.loads((ROOT / "node/openapi.json").read_bytes()))


def check_answer(case, response) -> None:
    where = f"{case.method} {case.formatted_path} {case.query or ''} {case.body!r:.300}"
    assert response.status_code < 500, f"{where} → {response.status_code}: {response.text[:500]}"
    if response.status_code >= 400 and "json" in response.headers.get("Content-Type", ""):
        problem = response.json()
        assert PROBLEM_KEYS <= set(problem), f"{where} → {problem}"
        assert problem["status"] == response.status_code, f"{where} → {problem}"


@HUB_SCHEMA.parametrize()
@FUZZ
def test_the_hub_api_never_fails(case, fuzz_hub, hub_session):
    check_answer(case, case.call(base_url=fuzz_hub.url, session=hub_session, timeout=30))


def last_seq(url: str, session) -> int:
    return session.get(url + "/api/status", timeout=30).json()["last_seq"]


@NODE_SCHEMA.parametrize()
@FUZZ
def test_the_node_api_never_fails_and_a_refusal_writes_nothing(case, fuzz_node, node_session):
    url = fuzz_node[1]
    before = last_seq(url, node_session) if case.method == "POST" else None
    response = case.call(base_url=url, session=node_session, timeout=30)
    check_answer(case, response)
    if before is not None and response.status_code >= 400:
        assert last_seq(url, node_session) == before, f"{case.formatted_path} wrote an event"
