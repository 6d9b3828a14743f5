"""``hallsync node user …``: the center's staff logins, and the departments they work for."""
from __future__ import annotations

import click

from node.cli import node
from sync import roles as known_roles
from sync.cli_output import data_dir_option, emit, json_option
from sync.errors import ValidationError
from web.user_commands import attach_user_commands

DEPARTMENT_HELP = ("A department code of config/departments.toml this reviewer or approver works "
                   "for; repeat for several. None: center-wide.")


@node.group()
def user():
    """Staff logins of this center (after `node enroll`): add, list, departments, disable."""


def _node_directory(data_dir: str):
    from node import store
    from node.users import STAFF
    store.bind(data_dir)
    return STAFF


attach_user_commands(user, known_roles.NODE, _node_directory, [data_dir_option],
                     add_options={"department": click.option("--department", multiple=True,
                                                             help=DEPARTMENT_HELP)})


@user.command("departments")
@click.argument("username")
@click.option("--department", multiple=True, help=DEPARTMENT_HELP)
@click.option("--center-wide", is_flag=True, help="No department: the whole center's cases.")
@data_dir_option
@json_option
def departments_(username, department, center_wide, as_json, data_dir):
    """Set the departments a reviewer or approver works for, or make the login center-wide."""
    from node.departments import set_departments  # here: loading the group opens no database
    if bool(department) == center_wide:
        raise ValidationError("department: 请给出 --department（可重复）或 --center-wide，二者选一",
                              field="department")
    directory = _node_directory(data_dir)
    emit(directory.describe(set_departments(username, department)), as_json)
