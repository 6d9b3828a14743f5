"""A click group whose subcommands are imported when first named, not at start.

``hallsync node run`` on a street PC must not load the hub's modules (nor the
bench's, nor the demo's): each would cost memory and start-up time there.
"""
from __future__ import annotations

from typing import Callable

import click


class LazyGroup(click.Group):
    """``loaders`` maps a subcommand's name to a function that imports and returns it."""

    def __init__(self, *args, loaders: dict[str, Callable[[], click.Command]], **kwargs):
        super().__init__(*args, **kwargs)
        self.loaders = loaders

    def list_commands(self, ctx) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.loaders})

    def get_command(self, ctx, name: str) -> click.Command | None:
        if name not in self.commands and name in self.loaders:
            self.add_command(self.loaders[name](), name)
        return super().get_command(ctx, name)
