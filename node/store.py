"""The node's data directory: ``node.db`` (SQLite, WAL) and ``node.key``."""
from __future__ import annotations

import functools
from pathlib import Path

from node.models import MODELS, NodeState, database
from sync.database import get_by_key, open_database
from sync.errors import Code, Forbidden, HallsyncError
from sync.schema import upgrade
from sync.signing import KeyPair


def db_path(data_dir) -> Path:
    return Path(data_dir) / "node.db"


def bound_dir() -> Path:
    """The data directory the node's models are bound to (``bind``)."""
    if not _BOUND:
        raise RuntimeError("node.store.bind(data_dir) was not called")
    return _BOUND[0]


def key_path(data_dir) -> Path:
    return Path(data_dir) / "node.key"


_BOUND: list[Path] = []  # the directory ``bind`` last pointed the models at


def bind(data_dir) -> None:
    """Point the node's models at ``DIR/node.db`` and bring its tables up to them
    (a directory made by an older version is upgraded in place: ``sync.schema``)."""
    Path(data_dir).mkdir(parents=True, exist_ok=True)
    _BOUND[:] = [Path(data_dir)]
    db = open_database(f"sqlite:///{db_path(data_dir)}")
    if database.obj is not None and not database.is_closed():
        database.close()
    database.initialize(db)
    with db.connection_context():
        upgrade(db, MODELS)


def state() -> NodeState:
    """The node's sync state; raises NOT_ENROLLED before ``hallsync node enroll``. Read on
    every page and several times a sync round, so with SQL made once (``get_by_key``)."""
    found = get_by_key(NodeState, 1)
    if found is None:
        raise HallsyncError("this node is not enrolled: run `hallsync node enroll`",
                            code=Code.NOT_ENROLLED, status=409)
    return found


_STATE_BY_NAME = {field.name: field for field in NodeState._meta.sorted_fields}


@functools.cache
def _update_sql(names: tuple[str, ...]) -> str:
    columns = ", ".join(f"{_STATE_BY_NAME[name].column_name} = ?" for name in names)
    return f"UPDATE {NodeState._meta.table_name} SET {columns} WHERE id = 1"


def update_state(**values) -> None:
    """Set fields of the node's sync state (an unknown name raises ``KeyError``). A sync
    round writes it once or twice and each message pulled once, so its SQL is made once
    per set of fields here, as ``state`` reads it."""
    database.execute_sql(_update_sql(tuple(values)),
                         [_STATE_BY_NAME[name].db_value(value) for name, value in values.items()])


def load_keys(data_dir) -> KeyPair:
    return KeyPair.load(key_path(data_dir))


def require_center(code: str) -> None:
    """Raise 403 FORBIDDEN unless ``code`` is the center this node serves."""
    own = state().center
    if code != own:
        raise Forbidden(f"the record belongs to center {code}; this node serves {own}",
                        reason="center")
