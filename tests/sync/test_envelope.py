"""Envelopes: what is signed round-trips, and any one changed byte is refused."""
import hashlib

import pytest
from hypothesis import given, settings, strategies as st

from sync import envelope as env
from sync.errors import AuthError, Code, ProtocolError
from sync.signing import KeyPair

KEYS = KeyPair.generate()
OTHER = KeyPair.generate()
texts = st.text(alphabet=st.characters(blacklist_characters="\0", blacklist_categories=("Cs",)),
                max_size=20)  # NUL: below; lone surrogates are not UTF-8
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-2**53, 2**53) | texts,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(texts, inner,
                                                                 max_size=4),
    max_leaves=20)


def sealed(body=None, **kw):
    options = dict(keys=KEYS, sender="210102001", recipient="hub", method="POST",
                   path="/sync/v1/push")
    options.update(kw)
    return env.seal({"events": []} if body is None else body, **options)


@given(json_values)
@settings(max_examples=60, deadline=None)
def test_body_round_trips_and_verifies(body):
    envelope, data = sealed({"x": body})
    read = env.read_headers(envelope.headers(), method="POST", path="/sync/v1/push")
    assert read == envelope
    env.verify(read, data, KEYS.public, skew_s=300)
    assert env.unpack(data, 1 << 20) == {"x": body}


@given(st.data())
@settings(max_examples=60, deadline=None)
def test_any_changed_byte_of_the_signed_bytes_is_refused(data):
    envelope, body = sealed()
    signed = bytearray(envelope.signing_bytes())
    index = data.draw(st.integers(0, len(signed) - 1))
    signed[index] ^= data.draw(st.integers(1, 255))
    signature = KEYS.public.key  # verify the changed bytes against the original signature
    from sync.signing import unb64
    assert not KEYS.public.verify(unb64(envelope.signature), bytes(signed))
    del signature


@pytest.mark.parametrize("mutate, code", [
    (lambda e, b: (e, b + b"x"), Code.DIGEST_MISMATCH),
    (lambda e, b: (env.Envelope(**{**e.__dict__, "path": "/sync/v1/pull"}), b),
     Code.SIGNATURE_INVALID),
    (lambda e, b: (env.Envelope(**{**e.__dict__, "recipient": "other"}), b),
     Code.SIGNATURE_INVALID),
    (lambda e, b: (env.Envelope(**{**e.__dict__, "signature": "bm9wZQ=="}), b),
     Code.SIGNATURE_INVALID),
])
def test_tampering_is_refused_with_its_code(mutate, code):
    envelope, body = mutate(*sealed())
    with pytest.raises(AuthError) as info:
        env.verify(envelope, body, KEYS.public, skew_s=300)
    assert info.value.code == code


def test_other_key_and_skew_are_refused():
    envelope, body = sealed()
    with pytest.raises(AuthError) as info:
        env.verify(envelope, body, OTHER.public, skew_s=300)
    assert info.value.code == Code.SIGNATURE_INVALID
    old, body = sealed(time_ms=env.now_ms() - 301_000)
    with pytest.raises(AuthError) as info:
        env.verify(old, body, KEYS.public, skew_s=300)
    assert info.value.code == Code.CLOCK_SKEW


def test_missing_header_and_bombs_are_refused():
    envelope, body = sealed()
    headers = envelope.headers()
    del headers["Hallsync-Nonce"]
    with pytest.raises(ProtocolError) as info:
        env.read_headers(headers, method="POST", path="/x")
    assert info.value.code == Code.ENVELOPE_MALFORMED
    bomb = env.pack({"x": "0" * 100_000})
    with pytest.raises(ProtocolError) as info:
        env.unpack(bomb, 10_000)
    assert info.value.code == Code.BODY_TOO_LARGE
    with pytest.raises(ProtocolError) as info:
        env.unpack(b"not zlib", 10_000)
    assert info.value.code == Code.BODY_MALFORMED


@given(json_values, st.sampled_from(["\0", "a\0", "\\\0"]), st.booleans())
@settings(max_examples=40, deadline=None)
def test_a_nul_character_anywhere_is_refused(body, nul, as_key):
    """No sync body carries U+0000 (PostgreSQL's text cannot), wherever it hides."""
    with pytest.raises(ProtocolError) as info:
        env.unpack(env.pack([body, {nul: 1} if as_key else [nul]]), 1 << 20)
    assert info.value.code == Code.BODY_MALFORMED


@pytest.mark.parametrize("text", ["\\u0000", "\\\\u0000", "u0000", "\\x00"])
def test_text_that_only_looks_like_a_nul_escape_is_kept(text):
    assert env.unpack(env.pack({"t": text}), 1 << 20) == {"t": text}


@pytest.mark.parametrize("value", ["1" * 17, "-1", "+5", "1_000", "1e5", "١٢", " 12", ""])
def test_time_is_plain_ascii_digits(value):
    envelope, _ = sealed()
    with pytest.raises(ProtocolError) as info:
        env.read_headers({**envelope.headers(), "Hallsync-Time": value}, method="POST",
                         path="/x")
    assert info.value.code == Code.ENVELOPE_MALFORMED


def test_digest_is_over_the_compressed_bytes():
    envelope, body = sealed()
    assert envelope.digest == hashlib.sha256(body).hexdigest()
