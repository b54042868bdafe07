"""The ``cafehub`` command line: one Typer app with a sub-app per area."""

from __future__ import annotations

import typer

from cafehub.cli import demo, sandbox, segment, store, sync
from cafehub.cli import explain as explain_cli

app = typer.Typer(
    name="cafehub",
    help="Customer segments and chat commands for Cafe24 shops.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
explain_cli.register(segment.app)
app.add_typer(segment.app, name="segment")
app.add_typer(store.app, name="store")
app.add_typer(sandbox.app, name="sandbox")
app.add_typer(sync.app, name="sync")
app.add_typer(demo.app, name="demo")


def main() -> None:
    """Console-script entry point."""
    app()
