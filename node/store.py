"""The node's data directory: ``node.db`` (SQLite, WAL) and ``node.key``."""
from __future__ import annotations

from pathlib import Path

from node.models import MODELS, NodeState, database
from sync.database import open_database
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
    """The node's sync state; raises NOT_ENROLLED before ``hallsync node enroll``."""
    row = NodeState.get_or_none(NodeState.id == 1)
    if row is None:
        raise HallsyncError("this node is not enrolled: run `hallsync node enroll`",
                            code=Code.NOT_ENROLLED, status=409)
    return row


def load_keys(data_dir) -> KeyPair:
    return KeyPair.load(key_path(data_dir))


def require_center(code: str) -> None:
    """Raise 403 FORBIDDEN unless ``code`` is the center this node serves."""
    own = state().center
    if code != own:
        raise Forbidden(f"the record belongs to center {code}; this node serves {own}",
                        reason="center")
