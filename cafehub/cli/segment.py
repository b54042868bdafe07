"""``cafehub segment ...``: check, format and convert segments."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from cafehub import api
from cafehub.cli.common import UserError, err, out, print_diagnostics, read_segment_input, user_errors
from cafehub.diagnostics import SegmentError, render_all

app = typer.Typer(help="Check, format and convert segments.", no_args_is_help=True)

TextArg = Annotated[str | None, typer.Argument(help="Segment text, or '-' to read standard input.", show_default=False)]
FileOpt = Annotated[Path | None, typer.Option("--file", "-f", help="Read the segment from FILE ('-' for stdin).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]


def _emit_json(data: Any) -> None:
    out.print(json.dumps(data, ensure_ascii=False, indent=2), markup=False, highlight=False)


@app.command()
def check(text: TextArg = None, file: FileOpt = None, as_json: JsonOpt = False) -> None:
    """Check a segment: exit 0 when valid (warnings shown), 1 with diagnostics when not."""
    with user_errors():
        source, origin = read_segment_input(text, file)
    try:
        checked = api.check(source)
    except SegmentError as error:
        if as_json:
            _emit_json({"valid": False, "diagnostics": [d.to_dict() for d in error.diagnostics]})
        else:
            print_diagnostics(error, source, origin)
        raise typer.Exit(1) from None
    if as_json:
        _emit_json({"valid": True, "diagnostics": [d.to_dict() for d in checked.warnings]})
        return
    if checked.warnings:
        err.print(render_all(checked.warnings, source, origin), markup=False, highlight=False)
    note = f" ({len(checked.warnings)} warning(s))" if checked.warnings else ""
    out.print(f"ok: {origin} is a valid segment{note}", markup=False, highlight=False)


@app.command("fmt")
def fmt(
    text: TextArg = None,
    file: FileOpt = None,
    write: Annotated[bool, typer.Option("--write", "-w", help="Rewrite FILE in place.")] = False,
    check_only: Annotated[bool, typer.Option("--check", help="Exit 1 if the input is not canonical.")] = False,
    width: Annotated[int, typer.Option(help="Line width to wrap at.")] = 88,
) -> None:
    """Print a segment in canonical form (keeping its leading comment block)."""
    with user_errors():
        source, origin = read_segment_input(text, file)
        if write and (file is None or str(file) == "-"):
            raise UserError("--write needs -f FILE")
    with user_errors(source, origin):
        formatted = api.format(source, width=width)
    if check_only:
        if formatted.rstrip("\n") != source.rstrip("\n"):
            err.print(f"{origin} is not in canonical form", markup=False)
            raise typer.Exit(1)
        return
    if write:
        assert file is not None
        file.write_text(formatted + "\n", encoding="utf-8")
        return
    out.print(formatted, markup=False, highlight=False)


@app.command("to-json")
def to_json(text: TextArg = None, file: FileOpt = None) -> None:
    """Print the JSON AST of a segment."""
    with user_errors():
        source, origin = read_segment_input(text, file)
    with user_errors(source, origin):
        document = api.to_json(source)
    _emit_json(document)


@app.command("from-json")
def from_json(
    document: Annotated[str | None, typer.Argument(help="JSON text, or '-' for standard input.")] = None,
    file: FileOpt = None,
    check_names: Annotated[bool, typer.Option("--check/--no-check", help="Also check names and types.")] = True,
) -> None:
    """Print the canonical text of a JSON AST document."""
    with user_errors():
        source, origin = read_segment_input(document, file)
    with user_errors(None, origin):
        tree = api.from_json(source)
        if check_names:
            api.check(tree)
    out.print(api.format(tree), markup=False, highlight=False)


@app.command()
def schema() -> None:
    """Print the JSON Schema of JSON AST documents."""
    _emit_json(api.json_schema())
