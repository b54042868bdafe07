"""The ``cafehub`` command line: one Typer app with a sub-app per area.

Sub-apps are imported only when their command runs (or when help lists
them), so ``cafehub segment check`` never pays for SQLAlchemy, the sandbox or
the demo generator; their plain options are read without pydantic (see
:mod:`cafehub.cli.coercion`). To add an area, write a module with a Typer ``app`` whose
import is light (heavy imports go inside the command functions) and add one
line to :data:`AREAS`.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

import typer
from typer.core import TyperCommand, TyperGroup

from cafehub.cli.coercion import lighten, lighten_param

#: command name -> (module holding a Typer ``app``, one-line help shown in ``cafehub --help``).
AREAS: dict[str, tuple[str, str]] = {
    "segment": ("cafehub.cli.segment", "Check, format, convert, compile, run and explain segments."),
    "store": ("cafehub.cli.store", "Create, load, dump and inspect the canonical store."),
    "sandbox": ("cafehub.cli.sandbox", "Local servers that behave like Cafe24 and Sellmate."),
    "sync": ("cafehub.cli.sync", "Pull a Cafe24 mall into the canonical store."),
    "demo": ("cafehub.cli.demo", "Build a demo shop and run example segments on it."),
    "function": ("cafehub.cli.function", "Workflow functions (getOrders, sendMobileOTP, ...): schema and call."),
    "serve": ("cafehub.cli.serve", "Run the service: segment API, web editor, chat."),
    "token": ("cafehub.cli.token", "Create, list and revoke the service's API tokens."),
    "command": ("cafehub.cli.command", "Run chat commands (orders, ETA, cancel, return/exchange, address)."),
    "chat": ("cafehub.cli.chat", "Talk to the chat bot in the terminal against the sandbox."),
}


def load_area(name: str) -> typer.Typer:
    """The Typer app of one area (imports its module)."""
    module = import_module(AREAS[name][0])
    sub: typer.Typer = module.app
    sub._add_completion = False  # the root has no completion commands, nor do its areas
    return sub


class LazyAreas(TyperGroup):
    """A click group whose sub-commands are imported on first use."""

    def list_commands(self, ctx: Any) -> list[str]:  # click's Context (vendored by newer Typer)
        return sorted({*super().list_commands(ctx), *AREAS})

    def get_help_option(self, ctx: Any) -> Any:
        return lighten_param(super().get_help_option(ctx))

    _listing = False

    def format_help(self, ctx: Any, formatter: Any) -> None:
        # ``cafehub --help`` lists the areas by their AREAS line: no area module is imported for it.
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        found = super().get_command(ctx, cmd_name)
        if found is not None or cmd_name not in AREAS:
            return found
        if self._listing:
            return TyperCommand(name=cmd_name, help=AREAS[cmd_name][1])
        command = lighten(typer.main.get_command(load_area(cmd_name)), ctx)
        command.name = cmd_name
        if not command.help:
            command.help = AREAS[cmd_name][1]
        return command


app = typer.Typer(
    name="cafehub",
    help="Customer segments and chat commands for Cafe24 shops.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    cls=LazyAreas,
)


@app.callback()
def _root() -> None:
    """Customer segments and chat commands for Cafe24 shops."""


def main(argv: list[str] | None = None) -> Any:
    """Console-script entry point."""
    return app(argv)
