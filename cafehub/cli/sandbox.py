"""``cafehub sandbox ...``."""

from __future__ import annotations

import typer

app = typer.Typer(help="(under construction)", no_args_is_help=True)
