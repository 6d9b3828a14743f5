"""``hallsync hub user …``: logins to the hub's pages (the node's commands, with a scope)."""
from __future__ import annotations

from hub.commands.hub import db_option, hub, open_hub
from sync import roles as known_roles
from sync.cli_output import data_dir_option
from web.user_commands import attach_user_commands


@hub.group()
def user():
    """Logins to the hub's pages: operators, district admins, auditors."""


def _hub_directory(data_dir: str, db_url: str | None):
    from hub.staff import HUB_STAFF
    open_hub(data_dir, db_url)
    return HUB_STAFF


attach_user_commands(
    user, known_roles.HUB, _hub_directory, [data_dir_option, db_option],
    scope_help="The district a district_admin sees (its center code); operators and "
               "auditors see the whole city.")
