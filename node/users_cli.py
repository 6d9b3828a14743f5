"""``hallsync node user …``: the staff logins of this node's center."""
from __future__ import annotations

import sys

import click

from node.cli import node
from node.users import ROLES
from sync.cli_output import data_dir_option, emit, json_option
from sync.errors import ValidationError


@node.group()
def user():
    """Staff logins of this center: add, list, disable."""


def _bind(data_dir: str) -> None:
    from node import store
    store.bind(data_dir)


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        line = sys.stdin.readline()
        if not line:
            raise ValidationError("标准输入中没有密码", field="password")
        return line.rstrip("\r\n")
    return click.prompt("密码", hide_input=True, confirmation_prompt="再次输入密码")


@user.command()
@click.argument("username")
@click.option("--role", "roles", multiple=True, required=True, type=click.Choice(sorted(ROLES)),
              help="A role; repeat for several: "
                   + ", ".join(f"{key} ({name})" for key, name in ROLES.items()))
@click.option("--name", "display_name", default="", help="The name shown on pages (显示名).")
@click.option("--password-stdin", is_flag=True,
              help="Read the password from the first line of standard input (for scripts).")
@data_dir_option
@json_option
def add(username, roles, display_name, password_stdin, data_dir, as_json):
    """Add a login of this center (after `node enroll`); asks the password twice."""
    from node.users import add_user, describe
    from sync.envelope import now_ms
    _bind(data_dir)
    password = _read_password(password_stdin)
    emit(describe(add_user(username, password, roles, display_name=display_name,
                           now_ms=now_ms())), as_json)


@user.command("list")
@data_dir_option
@json_option
def list_(data_dir, as_json):
    """The center's logins: roles, disabled or not, last login."""
    from node.users import list_users
    _bind(data_dir)
    users = list_users()
    if not as_json:
        for u in users:
            state = "停用" if u["disabled"] else "启用"
            click.echo(f"{u['username']:<16} {state} {','.join(u['roles']):<28} "
                       f"{u['display_name']}")
    emit({"count": len(users), "users": users}, as_json, quiet=not as_json)


@user.command()
@click.argument("username")
@data_dir_option
@json_option
def disable(username, data_dir, as_json):
    """Refuse this user's logins from now on; an open session ends at its next request."""
    from node.users import describe, disable_user
    _bind(data_dir)
    emit(describe(disable_user(username)), as_json)
