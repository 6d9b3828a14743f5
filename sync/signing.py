"""Ed25519 keys: made, stored, identified, used to sign and verify.

A key id is the first 16 hex digits of SHA-256 over the raw public key, so
anyone holding the public key can recompute it. Private keys are written
atomically (temp file, fsync, rename) with mode 0600.
"""
from __future__ import annotations

import base64
import functools
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (Ed25519PrivateKey,
                                                               Ed25519PublicKey)

from sync.errors import AuthError, Code, ConfigError


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)


@functools.lru_cache(maxsize=4096)
def _parsed_public_key(text: str) -> "PublicKey":
    """Parsed once per process: the hub checks a center's key with every request it sends
    and every event it relays (a key never changes: a new one has a new text)."""
    try:
        raw = unb64(text)
        return PublicKey(Ed25519PublicKey.from_public_bytes(raw), raw)
    except (ValueError, TypeError):
        raise AuthError("public key is not 32 bytes of base64",
                        code=Code.ENVELOPE_MALFORMED) from None


def key_id_of(public_raw: bytes) -> str:
    """The key id: 16 hex digits of SHA-256 over the 32 raw public key bytes."""
    return hashlib.sha256(public_raw).hexdigest()[:16]


@dataclass(frozen=True)
class PublicKey:
    """A peer's public key with its id."""

    key: Ed25519PublicKey
    raw: bytes

    @staticmethod
    def from_b64(text: str) -> "PublicKey":
        """Parse the base64 of 32 raw bytes; a malformed key is an ``AuthError``."""
        if not isinstance(text, str):
            raise AuthError("public key is not 32 bytes of base64", code=Code.ENVELOPE_MALFORMED)
        return _parsed_public_key(text)

    @property
    def key_id(self) -> str:
        return key_id_of(self.raw)

    @property
    def b64(self) -> str:
        return b64(self.raw)

    def verify(self, signature: bytes, message: bytes) -> bool:
        """True when ``signature`` is this key's signature of ``message``."""
        try:
            self.key.verify(signature, message)
            return True
        except InvalidSignature:
            return False


@dataclass(frozen=True)
class KeyPair:
    """Our own private key and its public half."""

    private: Ed25519PrivateKey
    public: PublicKey

    @classmethod
    def generate(cls) -> "KeyPair":
        return cls._from_private(Ed25519PrivateKey.generate())

    @classmethod
    def _from_private(cls, private: Ed25519PrivateKey) -> "KeyPair":
        raw = private.public_key().public_bytes(serialization.Encoding.Raw,
                                                serialization.PublicFormat.Raw)
        return cls(private, PublicKey(private.public_key(), raw))

    @property
    def key_id(self) -> str:
        return self.public.key_id

    def sign(self, message: bytes) -> bytes:
        return self.private.sign(message)

    def save(self, path: Path) -> None:
        """Write the private key as PEM, atomically, readable by the owner only."""
        pem = self.private.private_bytes(serialization.Encoding.PEM,
                                         serialization.PrivateFormat.PKCS8,
                                         serialization.NoEncryption())
        write_atomic(Path(path), pem, mode=0o600)

    @classmethod
    def load(cls, path: Path) -> "KeyPair":
        """Read a PEM private key written by ``save``."""
        try:
            private = serialization.load_pem_private_key(Path(path).read_bytes(), password=None)
        except (OSError, ValueError) as exc:
            raise ConfigError("key_file", str(path), f"cannot be read: {exc}") from None
        if not isinstance(private, Ed25519PrivateKey):
            raise ConfigError("key_file", str(path), "is not an Ed25519 key")
        return cls._from_private(private)


def rotation_bytes(center: str, old_key_id: str, new_public_b64: str) -> bytes:
    """What both keys sign when a center rotates: the old endorses, the new proves possession."""
    return f"hallsync-rotate-v1\n{center}\n{old_key_id}\n{new_public_b64}".encode("ascii")


def write_atomic(path: Path, data: bytes, mode: int = 0o644) -> None:
    """Write ``data`` so that ``path`` holds either the old or the new content, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
