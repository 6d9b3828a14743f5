"""The keys of the departments' business systems (部门业务系统), registered by an operator.

A department's system (市场监管, 规划, 住建, …) talks to the hub as a node does: every
request a sealed envelope signed with its own key, a nonce used once, a signed reply.
Its sender is its department's code (``config/departments.toml``), which no center code
can be, and what it may read is its own department's matters only
(``hub.views.department_api``). An operator registers a key (the hub can make the pair
and hand over the private half once) and revokes it; a revoked key signs nothing more.
"""
from __future__ import annotations

from hub.ledger.security import SenderKey
from hub.models import DepartmentKey, database
from sync.catalog_history import load_departments
from sync.errors import AuthError, ConflictError, NotFound, ValidationError
from sync.signing import KeyPair, PublicKey


def department_key(key_id: str) -> SenderKey | None:
    """For ``authenticate``: a department system's key."""
    key = DepartmentKey.get_or_none(DepartmentKey.key_id == key_id)
    return None if key is None else SenderKey(key.department, key.public_key,
                                              key.revoked_ms is None)


def _known(department: str) -> str:
    if department not in load_departments():
        raise ValidationError(f"department: 没有部门 {department!r}（见 config/departments.toml）",
                              field="department")
    return department


def add(department: str, public_key: str | None, now_ms: int) -> tuple[dict, KeyPair | None]:
    """Register a key for ``department``: the one given (base64), or a new pair, returned
    so its private half can be handed over once.

    :raises ValidationError: an unknown department or a malformed key. :raises
        ConflictError: the key is registered already.
    """
    _known(department)
    pair = None
    if public_key is None:
        pair = KeyPair.generate()
        public = pair.public
    else:
        try:
            public = PublicKey.from_b64(public_key)
        except AuthError:
            raise ValidationError("public_key: 不是 Ed25519 公钥（32 字节的 base64）",
                                  field="public_key") from None
    with database.atomic():
        if DepartmentKey.get_or_none(DepartmentKey.key_id == public.key_id) is not None:
            raise ConflictError(f"key {public.key_id} is registered already")
        row = DepartmentKey.create(key_id=public.key_id, department=department,
                                   public_key=public.b64, added_ms=now_ms)
    return _listed(row), pair


def revoke(department: str, now_ms: int) -> list[str]:
    """Revoke every usable key of ``department``; their ids.

    :raises NotFound: it has none."""
    _known(department)
    with database.atomic():
        keys = [k for (k,) in DepartmentKey.select(DepartmentKey.key_id).where(
            (DepartmentKey.department == department) & DepartmentKey.revoked_ms.is_null())
            .tuples()]
        if not keys:
            raise NotFound(f"部门 {department} 没有可用的密钥")
        DepartmentKey.update(revoked_ms=now_ms).where(DepartmentKey.key_id.in_(keys)).execute()
    return keys


def listing() -> list[dict]:
    return [_listed(row) for row in DepartmentKey.select().order_by(DepartmentKey.department,
                                                                    DepartmentKey.added_ms)]


def _listed(row: DepartmentKey) -> dict:
    return {"department": row.department, "key_id": row.key_id, "public_key": row.public_key,
            "added_ms": row.added_ms, "revoked_ms": row.revoked_ms}
