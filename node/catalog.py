"""The catalog at a node: signed versions applied in order, atomically, exactly once.

A version arrives as a ``catalog.version`` message on the pull stream. Besides
the stream's own signature, the version carries the hub's signature over its
content, so a catalog version can be checked wherever it travels. A version
this node already has is a no-op; one that skips a version stops the stream
until the missing one arrives.
"""
from __future__ import annotations

from collections.abc import Callable

import orjson

from node import store
from node.hub_keys import signed_by_hub
from node.inbox import applies
from node.models import CatalogMatter, NodeState
from sync import codec
from sync.catalog_scope import acceptance
from sync.catalog_changes import verify_version
from sync.errors import AuthError, Code, SequenceError
from sync.topology import load_topology

IN_FORCE = "in_force"


@applies("catalog.version")
def apply_version(message: dict, _ctx) -> str:
    """Apply one signed catalog version (inside the inbox's transaction)."""
    body = message["payload"]
    state = NodeState.get()
    if not signed_by_hub(lambda key: verify_version(body, key)):
        raise AuthError(f"catalog version {body.get('version')} is not signed by the hub",
                        code=Code.SIGNATURE_INVALID)
    version = body["version"]
    if version <= state.catalog_version:
        return f"catalog v{version} already applied"
    if version != state.catalog_version + 1:
        raise SequenceError(f"catalog v{version} arrived before v{state.catalog_version + 1}",
                            code=Code.SEQUENCE_GAP, expected_seq=state.catalog_version + 1)
    for matter in body["put"]:
        (CatalogMatter.insert(code=matter["basic_code"], name=matter["name"],
                              department=matter["department"],
                              data=codec.canonical(matter).decode(), status=IN_FORCE,
                              version=version)
         .on_conflict_replace().execute())
    for removed in body["removed"]:
        CatalogMatter.update(status=removed["status"], version=version).where(
            CatalogMatter.code == removed["code"]).execute()
    store.update_state(catalog_version=version)
    return f"catalog v{version}: {len(body['put'])} put, {len(body['removed'])} removed"


def matters_in_force() -> dict[str, dict]:
    rows = CatalogMatter.select(CatalogMatter.code, CatalogMatter.data).where(
        CatalogMatter.status == IN_FORCE).tuples()
    return {code: orjson.loads(data) for code, data in rows}


def accepted_matters(center: str, admits: Callable[[dict], bool]) -> list[dict]:
    """The matters of the catalog that ``center`` accepts new cases of (the window's
    ``acceptance`` rule) and that ``admits``, by code: what the online hall offers."""
    topology = load_topology()
    found = []
    for row in CatalogMatter.select().order_by(CatalogMatter.code):
        matter = orjson.loads(row.data)
        if admits(matter) and acceptance(matter, row.status, center, topology).allowed:
            found.append(matter)
    return found


def summary() -> dict:
    """The catalog version this node runs, and how many matters are in force."""
    return {"catalog_version": NodeState.select(NodeState.catalog_version).scalar() or 0,
            "matters": CatalogMatter.select().where(CatalogMatter.status == IN_FORCE).count()}
