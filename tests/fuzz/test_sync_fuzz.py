"""Suite c of issue 13, part two: a Hypothesis fuzzer of the envelope and of every sync
body, against a real hub on SQLite and on PostgreSQL, signed by an enrolled center.

Whatever it sends, the hub answers below 500, every answer is signed by the hub's key,
every refusal is a problem with its code, and a refusal changes nothing (the security
log aside)."""
from __future__ import annotations

import hashlib
import json
import uuid
import zlib
from urllib.parse import urlparse, urlunparse

import pytest
import requests
from hypothesis import given
from hypothesis import strategies as st

from hub import db as hub_db
from hub.models import (CenterState, EnrollToken, Event, HubMessage, NodeKey, OriginHead)
from node import store
from node.app import load_settings
from node.enroll import enroll
from sync import envelope as env
from sync.events import GENESIS
from sync.signing import KeyPair, b64
from tests.conftest import PG_URL, pg_admin
from tests.fuzz.conftest import FUZZ, start_hub
from tests.protocol import make_events

A = "210102001"


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def target(request, tmp_path_factory):
    """(hub, center A's keys): a hub with A enrolled, its tables bound in this process."""
    database_name = None
    if request.param == "postgresql":
        database_name = f"hallsync_fuzz_{uuid.uuid4().hex[:10]}"
        with pg_admin() as cur:
            cur.execute(f'CREATE DATABASE "{database_name}"')
        hub = start_hub(tmp_path_factory,
                        urlunparse(urlparse(PG_URL)._replace(path=f"/{database_name}")))
    else:
        hub = start_hub(tmp_path_factory)
    node_dir = hub.data_dir.parent / "node"
    enroll(node_dir, hub.url, hub.token(A), load_settings({"data_dir": str(node_dir)}))
    keys = store.load_keys(node_dir)
    database = hub_db.bind(hub.db_url)
    yield hub, keys
    database.close()
    hub.stop()
    if database_name:
        with pg_admin() as cur:
            cur.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE datname = %s", (database_name,))
            cur.execute(f'DROP DATABASE IF EXISTS "{database_name}"')


# A refusal may mark its center for the coverage page and nothing else: NODE_DIVERGED
# sets ``needs_recovery`` (an alert, like the security log's row).
CENTER_FIELDS = [f for f in CenterState._meta.sorted_fields if f.name != "needs_recovery"]


def state():
    """All a refusal must leave as it was."""
    return (Event.select().count(), HubMessage.select().count(),
            sorted(OriginHead.select().tuples()), sorted(NodeKey.select().tuples()),
            sorted(CenterState.select(*CENTER_FIELDS).tuples()),
            sorted(EnrollToken.select().tuples()))


texts = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=24)
scalars = (st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats() | texts
           | st.sampled_from(["", "\0", "1" * 40, A, "hub", "210102002"]))
json_values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(texts, inner, max_size=4), max_leaves=12)


def maybe(valid):
    """Mostly the valid value, sometimes anything at all."""
    return st.one_of(st.just(valid), st.just(valid), json_values)


@st.composite
def push_bodies(draw, keys: KeyPair):
    good = make_events(keys, A, 1, draw(st.integers(1, 3)), GENESIS)
    events = [draw(st.fixed_dictionaries({field: maybe(value) for field, value in e.items()}))
              for e in good]
    if draw(st.booleans()):
        events = draw(st.lists(json_values, max_size=3)) + events
    return {"events": draw(maybe(events))}


def bodies(endpoint: str, keys: KeyPair):
    if endpoint == "push":
        return push_bodies(keys)
    if endpoint == "exchange":  # any of the three parts, each as its own endpoint's body
        return st.one_of(st.fixed_dictionaries({}, optional={
            part: bodies(part, keys) for part in ("heartbeat", "push", "pull")}), json_values)
    fields = {"pull": {"since": 0, "limit": 10}, "events": {"from_seq": 1},
              "heartbeat": {"app_version": "0.1.0", "catalog_version": 1, "backlog": 0,
                            "last_seq": 0, "acked_seq": 0, "clock_ms": env.now_ms(),
                            "last_error": ""},
              "rotate": {"public_key": KeyPair.generate().public.b64, "endorsement": "",
                         "proof": ""},
              "hub-key": {"since_key_id": "0" * 16},
              "enroll": {"token": f"{A}.x.y", "public_key": keys.public.b64}}[endpoint]
    return st.one_of(st.fixed_dictionaries({k: maybe(v) for k, v in fields.items()}),
                     json_values)


# What HTTP lets a header value hold (visible ASCII, and bytes 0x80–0xFF); a control
# character or DEL is not HTTP, and the HTTP server answers it with its own plain 400.
HEADER_TEXT = st.text(alphabet=st.characters(min_codepoint=0x21, max_codepoint=0xFF,
                                             blacklist_characters="\x7f",
                                             blacklist_categories=("Cc", "Zs")), max_size=40)
ENVELOPE_FIELDS = ["Sender", "Recipient", "Time", "Nonce", "Key-Id", "Reply-To", "Digest",
                   "Signature"]


@st.composite
def requests_(draw, keys: KeyPair):
    """(endpoint, headers, body bytes): a sealed request, perhaps spoiled."""
    endpoint = draw(st.sampled_from(["push", "pull", "heartbeat", "exchange", "events",
                                     "rotate", "hub-key", "enroll"]))
    body = draw(bodies(endpoint, keys))
    time_ms = draw(st.one_of(st.none(), st.none(), st.integers(0, 10**17)))
    path = "/sync/v1/" + endpoint
    # Python's json writes what orjson would refuse to: integers past 64 bits, NaN.
    data = zlib.compress(json.dumps(body, ensure_ascii=False).encode())
    envelope = resigned(env.seal({}, keys=keys, sender=A, recipient="hub", method="POST",
                                 path=path, time_ms=time_ms)[0], data, keys)
    if draw(st.integers(0, 4)) == 0:  # raw bytes in place of the body, signed as they are
        data = draw(st.binary(max_size=200))
        envelope = resigned(envelope, data, keys)
    headers = envelope.headers()
    spoil = draw(st.sampled_from([None, None, None, *ENVELOPE_FIELDS]))
    if spoil is not None:
        name = "Hallsync-" + spoil
        if draw(st.booleans()):
            del headers[name]
        else:
            headers[name] = draw(HEADER_TEXT)
    return endpoint, headers, data


def resigned(envelope: env.Envelope, data: bytes, keys: KeyPair) -> env.Envelope:
    unsigned = env.Envelope(**{**envelope.__dict__, "digest": hashlib.sha256(data).hexdigest()})
    return env.Envelope(**{**unsigned.__dict__,
                           "signature": b64(keys.sign(unsigned.signing_bytes()))})


@FUZZ
@given(data=st.data())
def test_whatever_a_center_sends_the_hub_answers_signed_and_a_refusal_changes_nothing(
        target, data):
    hub, keys = target
    endpoint, headers, body = data.draw(requests_(keys))
    before = state()
    response = requests.post(hub.url + "/sync/v1/" + endpoint, data=body, headers=headers,
                             timeout=30)
    assert response.status_code < 500, response.content[:300]
    reply = env.read_headers(response.headers, method="POST", path="/sync/v1/" + endpoint)
    env.verify(reply, response.content, KeyPair.load(hub.data_dir / "hub.key").public,
               skew_s=300)
    answer = env.unpack(response.content, 1 << 24)
    if response.status_code >= 400:
        assert answer["status"] == response.status_code and answer["code"], answer
        assert state() == before, (endpoint, answer)
    elif "problem" in answer.get("push", {}):  # an exchange whose push alone was refused
        assert answer["push"]["problem"]["code"], answer
        after = state()
        assert (after[0], after[2]) == (before[0], before[2]), answer  # events, heads
