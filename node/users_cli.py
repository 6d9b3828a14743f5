"""``hallsync node user …``: the center's staff logins."""
from __future__ import annotations

from node.cli import node
from sync import roles as known_roles
from sync.cli_output import data_dir_option
from web.user_commands import attach_user_commands


@node.group()
def user():
    """Staff logins of this center (after `node enroll`): add, list, disable."""


def _node_directory(data_dir: str):
    from node import store
    from node.users import STAFF
    store.bind(data_dir)
    return STAFF


attach_user_commands(user, known_roles.NODE, _node_directory, [data_dir_option])
