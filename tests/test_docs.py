"""The docs name every setting, command and error code (so nothing is undocumented)."""
from __future__ import annotations

import click
import pytest

from hallsync.cli import cli
from hub.settings import HUB
from node.settings import NODE
from sync.errors import Code
from tests.processes import ROOT

README = (ROOT / "README.md").read_text()
EXAMPLE = (ROOT / "config" / "example.toml").read_text()
PROTOCOL = (ROOT / "docs" / "protocol.md").read_text()


def commands(group: click.Group, prefix: str = "hallsync"):
    context = click.Context(group)  # list_commands/get_command: the groups load lazily
    for name in group.list_commands(context):
        command = group.get_command(context, name)
        yield f"{prefix} {name}", command
        if isinstance(command, click.Group):
            yield from commands(command, f"{prefix} {name}")


@pytest.mark.parametrize("name", sorted({s.name for s in HUB + NODE}))
def test_every_setting_is_documented(name):
    assert f"`{name}`" in README or f" `{name}`," in README or f"`{name}`, " in README
    assert f"# {name} = " in EXAMPLE or name == "config_file"


@pytest.mark.parametrize("path", sorted(p for p, c in commands(cli)
                                        if not isinstance(c, click.Group) or p.endswith("quarantine")))
def test_every_command_is_in_the_readme(path):
    words = path.split()
    if words[-2:] in (["quarantine", "list"], ["quarantine", "replay"]):
        path = " ".join(words[:-1])
    assert f"`{path}" in README


@pytest.mark.parametrize("code", [c.value for c in Code])
def test_every_error_code_is_in_the_protocol_doc(code):
    assert f"`{code}`" in PROTOCOL
