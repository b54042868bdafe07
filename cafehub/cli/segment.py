"""``cafehub segment ...``: check, format and convert segments."""

from __future__ import annotations

import json
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer.core import TyperGroup

from cafehub import api
from cafehub.cli import registry as registry_cli
from cafehub.cli.coercion import lighten
from cafehub.cli.common import (
    InputError,
    UserError,
    echo,
    fail,
    print_diagnostics,
    read_segment_input,
    user_errors,
)
from cafehub.diagnostics import SegmentError, render_all

#: Commands written in other modules (each with a Typer ``app``), built only when one of them runs or help lists
#: them, so ``cafehub segment check`` does not build the saved-segment commands.
ELSEWHERE: dict[str, str] = {
    **dict.fromkeys(("save", "list", "show", "history", "delete"), "cafehub.cli.registry"),
    **dict.fromkeys(("audience", "snapshot", "snapshots"), "cafehub.cli.audience"),
    "membership": "cafehub.cli.membership",
    "explain": "cafehub.cli.explain",
}


class _CommandsElsewhere(TyperGroup):
    """The ``segment`` group: its own commands, and those of :data:`ELSEWHERE` on demand."""

    def list_commands(self, ctx: Any) -> list[str]:
        return sorted({*super().list_commands(ctx), *ELSEWHERE})

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        found = super().get_command(ctx, cmd_name)
        if found is not None or cmd_name not in ELSEWHERE:
            return found
        built = lighten(typer.main.get_command(import_module(ELSEWHERE[cmd_name]).app), ctx)
        return built.get_command(ctx, cmd_name) if hasattr(built, "get_command") else built


app = typer.Typer(help="Check, format and convert segments.", no_args_is_help=True, cls=_CommandsElsewhere)

TextArg = Annotated[str | None, typer.Argument(help="Segment text, or '-' to read standard input.", show_default=False)]
FileOpt = Annotated[Path | None, typer.Option("--file", "-f", help="Read the segment from FILE ('-' for stdin).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]


def _emit_json(data: Any) -> None:
    echo(json.dumps(data, ensure_ascii=False, indent=2))


@app.command()
def check(text: TextArg = None, file: FileOpt = None, as_json: JsonOpt = False,
          db: registry_cli.DbOpt = None, shop: registry_cli.ShopOpt = registry_cli.DEFAULT_SHOP) -> None:
    """Check a segment: exit 0 when valid (warnings shown), 1 with diagnostics when not.

    Saved segments it uses (segment("vip")) are read from the store's registry (--db, --shop).
    """
    source: str | None = None
    origin = "segment"
    try:
        try:
            source, origin = read_segment_input(text, file)
        except InputError as error:
            source, origin = None, error.origin
            raise
        except UserError as error:
            fail(str(error), error.exit_code)
        checked = registry_cli.check_with_store(source, origin, db, shop, report=False)
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
        echo(render_all(checked.warnings, source, origin), stderr=True)
    note = f" ({len(checked.warnings)} warning(s))" if checked.warnings else ""
    echo(f"ok: {origin} is a valid segment{note}")


@app.command("fmt")
def fmt(
    text: TextArg = None,
    file: FileOpt = None,
    write: Annotated[bool, typer.Option("--write", "-w", help="Rewrite FILE in place.")] = False,
    check_only: Annotated[bool, typer.Option("--check", help="Exit 1 if the input is not canonical.")] = False,
    width: Annotated[int, typer.Option(help="Line width to wrap at (at least 20).")] = 88,
) -> None:
    """Print a segment in canonical form (keeping its leading comment block)."""
    from cafehub.grammar.format import MIN_WIDTH

    with user_errors():
        if width < MIN_WIDTH:
            raise UserError(f"--width must be at least {MIN_WIDTH} columns, not {width}")
        source, origin = read_segment_input(text, file)
        if write and (file is None or str(file) == "-"):
            raise UserError("--write needs -f FILE")
    with user_errors(source, origin):
        formatted = api.format(source, width=width)
    if check_only:
        if formatted.rstrip("\n") != source.rstrip("\n"):
            echo(f"{origin} is not in canonical form", stderr=True)
            raise typer.Exit(1)
        return
    if write:
        assert file is not None
        file.write_text(formatted + "\n", encoding="utf-8")
        return
    echo(formatted)


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
    from cafehub.grammar.json_ast import JSON_LENGTH_FACTOR
    from cafehub.grammar.limits import DEFAULT_LIMITS

    with user_errors():
        source, origin = read_segment_input(document, file, DEFAULT_LIMITS.max_length * JSON_LENGTH_FACTOR)
    with user_errors(None, origin):
        tree = api.from_json(source)
        if check_names:
            api.check(tree)
    echo(api.format(tree))


@app.command()
def schema() -> None:
    """Print the JSON Schema of JSON AST documents."""
    _emit_json(api.json_schema())


# ---------------------------------------------------------------- SQL: print and run
# (``segment sql`` and ``segment run``; the work is in cafehub.compiler.backends.sql and
# cafehub.execution.sql, this only turns options into a context and errors into messages.
# Those modules are imported inside the commands, so the other commands start without them.)

if TYPE_CHECKING:
    from cafehub.compiler.backends.sql import SchemaMapping
    from cafehub.compiler.evaluation import EvalContext

DialectOpt = Annotated[str, typer.Option("--dialect", "-d", help="sqlite, duckdb, postgres, mysql, spark, "
                                         "bigquery, snowflake or trino.")]
MappingOpt = Annotated[Path | None, typer.Option("--mapping", help="A JSON schema mapping (see docs/SQL.md).")]
NowOpt = Annotated[str | None, typer.Option("--now", help="Evaluation instant, ISO 8601 (2026-11-26T10:30:00+09:00 "
                                            "or ...Z; without an offset: in the shop's zone). Default: now.")]
TzOpt = Annotated[str, typer.Option("--tz", help="The shop's time zone (IANA name).")]
RetentionOpt = Annotated[int, typer.Option("--retention-days", help="How long the shop keeps cart items.")]
HistoryOpt = Annotated[str | None, typer.Option("--history-start", help="First day of order history "
                                                "(YYYY-MM-DD, in the shop's zone). Default: 2024-01-01.")]


def evaluation_context(now: str | None, tz: str, retention_days: int, history_start: str | None) -> EvalContext:
    """The evaluation context of the options ``--now``, ``--tz``, ``--retention-days``, ``--history-start``."""
    from datetime import UTC, date, datetime

    from cafehub.compiler.evaluation import DEFAULT_HISTORY_START, ContextError, EvalContext, load_zone

    try:
        zone = load_zone(tz)
    except ContextError as exc:
        raise UserError(f"--tz: {exc}") from None
    if now is None:
        instant = datetime.now(UTC)
    else:
        try:
            instant = datetime.fromisoformat(now.strip())
        except ValueError:
            raise UserError(f"--now: '{now}' is not an ISO 8601 date-time "
                            "(e.g. 2026-11-26T10:30:00+09:00, 2026-11-26T01:30:00Z or 2026-11-26T10:30)") from None
        if instant.tzinfo is None:
            instant = instant.replace(tzinfo=zone)  # wall-clock time in the shop's zone (fold=0)
    start = DEFAULT_HISTORY_START
    if history_start is not None:
        try:
            start = date.fromisoformat(history_start.strip())
        except ValueError:
            raise UserError(f"--history-start: '{history_start}' is not a date (YYYY-MM-DD)") from None
    try:
        return EvalContext(now=instant, zone=zone, cart_retention_days=retention_days, history_start=start)
    except ContextError as exc:
        raise UserError(str(exc)) from None


def _mapping(path: Path | None) -> SchemaMapping | None:
    from cafehub.compiler.backends.sql import MappingError, SchemaMapping

    if path is None:
        return None
    try:
        return SchemaMapping.from_file(path)
    except MappingError as exc:
        raise UserError(str(exc)) from None


@app.command("sql")
def sql(
    text: TextArg = None,
    file: FileOpt = None,
    dialect: DialectOpt = "sqlite",
    mapping: MappingOpt = None,
    now: NowOpt = None,
    tz: TzOpt = "Asia/Seoul",
    retention_days: RetentionOpt = 7,
    history_start: HistoryOpt = None,
    db: registry_cli.DbOpt = None,
    shop: registry_cli.ShopOpt = registry_cli.DEFAULT_SHOP,
) -> None:
    """Print the SQL of a segment for a dialect, and its parameters (with values when --now is given)."""
    from cafehub.compiler.backends.sql import UnknownDialectError, compile_sql

    with user_errors():
        source, origin = read_segment_input(text, file)
        schema_mapping = _mapping(mapping)
        ctx = evaluation_context(now, tz, retention_days, history_start) if now is not None else None
    checked = registry_cli.check_with_store(source, origin, db, shop)
    with user_errors(source, origin):
        try:
            compiled = compile_sql(checked, dialect=dialect, mapping=schema_mapping)
        except UnknownDialectError as exc:
            raise UserError(str(exc)) from None
    infos = compiled.describe_parameters(ctx)
    lines = [compiled.sql, "", f"-- parameters ({compiled.dialect}, values for now = {ctx.now.isoformat()})"
             if ctx is not None else f"-- parameters ({compiled.dialect}; give --now to see their values)"]
    width = max((len(i.name) for i in infos), default=0)
    shown = [_shown(i.value) for i in infos] if ctx is not None else ["" for _ in infos]
    value_width = max((len(v) for v in shown), default=0)
    for info, value in zip(infos, shown, strict=True):
        lines.append(f"--   {info.name:<{width}}  {value:<{value_width}}  {info.computed_as}".rstrip())
    typer.echo("\n".join(lines))


def _shown(value: object) -> str:
    """A parameter value as a reader wants it: instants in UTC, strings quoted."""
    from datetime import datetime

    if isinstance(value, datetime):
        return value.isoformat(sep=" ") + " UTC"
    return repr(value) if isinstance(value, str) else str(value)


@app.command("run")
def run(
    text: TextArg = None,
    file: FileOpt = None,
    db: Annotated[str | None, typer.Option("--db", help="Database URL (default: the embedded store "
                                           "cafehub.db in the working directory).")] = None,
    now: NowOpt = None,
    tz: TzOpt = "Asia/Seoul",
    retention_days: RetentionOpt = 7,
    history_start: HistoryOpt = None,
    count: Annotated[bool, typer.Option("--count", help="Print only the number of matching customers.")] = False,
    mapping: MappingOpt = None,
    engine: Annotated[str, typer.Option("--engine", help="sql (the database evaluates the segment) or python "
                                        "(customers are read in batches and evaluated in memory).")] = "sql",
    shop: registry_cli.ShopOpt = registry_cli.DEFAULT_SHOP,
) -> None:
    """Print the member ids matching a segment, one per line, sorted (or their number with --count)."""
    from cafehub.execution.python import run_predicate
    from cafehub.execution.sql import run_sql
    from cafehub.store.engines import StoreError, open_engine, store_errors

    with user_errors():
        if engine not in ("sql", "python"):
            raise UserError(f"--engine must be sql or python, not '{engine}'")
        if engine == "python" and mapping is not None:
            raise UserError("--mapping applies to --engine sql; --engine python reads the canonical store")
        source, origin = read_segment_input(text, file)
        ctx = evaluation_context(now, tz, retention_days, history_start)
        schema_mapping = _mapping(mapping)
    checked = registry_cli.check_with_store(source, origin, db, shop)  # a bad segment never reaches the database
    with user_errors():
        try:
            store = open_engine(db, must_exist=True)
            try:
                if engine == "python":
                    with store_errors(store):
                        ids = run_predicate(store, checked, ctx)
                else:
                    ids = run_sql(store, checked, ctx, mapping=schema_mapping)
            finally:
                store.dispose()
        except StoreError as exc:
            raise UserError(str(exc)) from None
    if count:
        typer.echo(str(len(ids)))
    elif ids:
        typer.echo("\n".join(ids))
