"""Events and their chain: made, checked, and any change found."""
import json

import pytest
from hypothesis import given, settings, strategies as st

from sync import codec, events
from sync.errors import Code, ProtocolError, ValidationError
from sync.signing import KeyPair

KEYS = KeyPair.generate()


def chain(n, origin="210102001"):
    made, prev = [], events.GENESIS
    for seq in range(1, n + 1):
        event = events.make(KEYS, origin=origin, seq=seq, prev_hash=prev, type_="record.put",
                            record=f"profile:{seq % 3}", payload={"data": {"n": seq, "名": "窗口"}})
        made.append(event)
        prev = event["hash"]
    return made


def test_intact_chain_verifies_with_signatures():
    assert events.check_chain(chain(20), keys={KEYS.key_id: KEYS.public}) is None


@pytest.mark.parametrize("field, value", [
    ("payload", {"data": {"n": 999}}), ("type", "record.delete"), ("record", "x:1"),
    ("created_at", "2020-01-01T00:00:00.000Z"), ("prev_hash", "f" * 64), ("hash", "0" * 64),
])
def test_a_changed_field_is_found_at_its_seq(field, value):
    made = chain(10)
    made[6][field] = value
    fault = events.check_chain(made)
    assert fault is not None and fault.seq == 7


def test_a_forged_signature_is_found():
    made = chain(5)
    other = KeyPair.generate()
    made[2]["sig"] = events.make(other, origin="210102001", seq=3, prev_hash=made[1]["hash"],
                                 type_="record.put", record="profile:0",
                                 payload={"data": {}})["sig"]
    fault = events.check_chain(made, keys={KEYS.key_id: KEYS.public})
    assert fault.seq == 3 and "signature" in fault.reason


def test_missing_and_reordered_events_are_found():
    made = chain(6)
    assert events.check_chain(made[:2] + made[3:]).seq == 4
    assert events.check_chain([made[1], made[0]]).seq == 2


@given(st.dictionaries(st.text(max_size=10),
                       st.integers(-2**63, 2**63 - 1) | st.text(max_size=10) | st.none(),
                       max_size=6))
@settings(max_examples=100, deadline=None)
def test_canonical_json_is_python_sorted_compact_json(value):
    expected = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert codec.canonical(value) == expected.encode("utf-8")


@pytest.mark.parametrize("value", [2**64, {"x": 1.5}, ["\ud800"], {1, 2}])
def test_non_canonical_values_are_refused(value):
    with pytest.raises(ProtocolError) as info:
        codec.canonical(value)
    assert info.value.code == Code.EVENT_MALFORMED


def test_floats_and_unknown_types_are_refused():
    with pytest.raises(ProtocolError) as info:
        chain(0) or events.make(KEYS, origin="a", seq=1, prev_hash=events.GENESIS,
                                type_="record.put", record="r:1", payload={"data": {"x": 1.5}})
    assert info.value.code == Code.EVENT_MALFORMED
    with pytest.raises(ProtocolError) as info:
        events.make(KEYS, origin="a", seq=1, prev_hash=events.GENESIS, type_="no.such",
                    record="", payload={})
    assert info.value.code == Code.EVENT_TYPE_UNKNOWN
    with pytest.raises(ProtocolError):
        events.make(KEYS, origin="a", seq=1, prev_hash=events.GENESIS, type_="record.put",
                    record="", payload={"data": {}})


@pytest.mark.parametrize("record, payload", [
    ("profile:a\0", {"data": {}}),
    ("profile:a", {"data": {"name": "张\0三"}}),
    ("profile:a", {"data": {"k\0": 1}}),
])
def test_a_node_makes_no_event_with_a_nul_character(record, payload):
    """The hub refuses any body with U+0000, so a node refuses to write such an event at all:
    its outbox never holds one that would block its push forever."""
    with pytest.raises(ValidationError) as info:
        events.make(KeyPair.generate(), origin="210102001", seq=1, prev_hash=events.GENESIS,
                    type_="record.put", record=record, payload=payload)
    assert "空字符" in info.value.detail
