"""``add``, ``list`` and ``disable`` of a site's staff logins: ``hallsync node user …`` and
``hallsync hub user …`` are these commands over each site's ``Directory``."""
from __future__ import annotations

import sys
from collections.abc import Callable

import click

from sync.cli_output import emit, json_option
from sync.errors import ValidationError


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        line = sys.stdin.readline()
        if not line:
            raise ValidationError("标准输入中没有密码", field="password")
        return line.rstrip("\r\n")
    return click.prompt("密码", hide_input=True, confirmation_prompt="再次输入密码")


def _options(decorators):
    def apply(command):
        for decorate in reversed(decorators):
            command = decorate(command)
        return command
    return apply


def attach_user_commands(group: click.Group, roles: dict[str, str], open_directory: Callable,
                         store_options: list, scope_help: str | None = None,
                         add_options: dict[str, Callable] | None = None) -> None:
    """``add``, ``list`` and ``disable`` under ``group``.

    ``open_directory(**store options)`` binds the server's store and returns its
    ``web.staff.Directory``; ``scope_help`` adds ``--scope`` (the hub's logins);
    ``add_options`` maps a keyword of the directory's ``add_user`` to the click option
    that gives it (a node's ``--department``).
    """
    scope = [click.option("--scope", default=None, help=scope_help)] if scope_help else []
    add_options = add_options or {}

    @group.command()
    @click.argument("username")
    @click.option("--role", "roles_", multiple=True, required=True,
                  type=click.Choice(sorted(roles)),
                  help="A role; repeat for several: "
                       + ", ".join(f"{key} ({name})" for key, name in roles.items()))
    @click.option("--name", "display_name", default="", help="The name shown on pages (显示名).")
    @click.option("--password-stdin", is_flag=True,
                  help="Read the password from the first line of standard input (for scripts).")
    @_options(scope + list(add_options.values()) + store_options)
    @json_option
    def add(username, roles_, display_name, password_stdin, as_json, scope=None, **store):
        """Add a login; asks the password twice."""
        from sync.envelope import now_ms
        extra = {name: store.pop(name) for name in add_options}
        directory = open_directory(**store)
        password = _read_password(password_stdin)
        user = directory.add_user(username, password, roles_, scope=scope,
                                  display_name=display_name, now_ms=now_ms(), **extra)
        emit(directory.describe(user), as_json)

    @group.command("list")
    @_options(store_options)
    @json_option
    def list_(as_json, **store):
        """The logins: roles, scope, disabled or not, last login."""
        users = open_directory(**store).list_users()
        if not as_json:
            for u in users:
                state = "停用" if u["disabled"] else "启用"
                scoped = f" 部门 {','.join(u['departments'])}" if u.get("departments") else ""
                click.echo(f"{u['username']:<16} {state} {u['center']:<12} "
                           f"{','.join(u['roles']):<28} {u['display_name']}{scoped}")
        emit({"count": len(users), "users": users}, as_json, quiet=not as_json)

    @group.command()
    @click.argument("username")
    @_options(store_options)
    @json_option
    def disable(username, as_json, **store):
        """Refuse this user's logins from now on; an open session ends at its next request."""
        directory = open_directory(**store)
        emit(directory.describe(directory.disable_user(username)), as_json)
