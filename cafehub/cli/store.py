"""``cafehub store ...``: create, load, dump and inspect the canonical store.

Every command takes ``--db URL`` (default: ``cafehub.db`` in the working
directory, see :func:`cafehub.store.engines.default_url`). A store problem
(bad URL, unreachable server, missing table, bad input file) is printed as a
message naming what is wrong, with exit status 1; never a traceback.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from cafehub.cli.common import err, fail, out
from cafehub.store import io, load
from cafehub.store.engines import (
    StoreError,
    check_store,
    display_url,
    open_engine,
    open_store,
    ping,
    store_errors,
)
from cafehub.store.formats import FORMATS, Format

app = typer.Typer(help="Create, load, dump and inspect the canonical store.", no_args_is_help=True)

DbOpt = Annotated[
    str | None,
    typer.Option(
        "--db",
        metavar="URL",
        help="Database URL (sqlite:///shop.db, duckdb:///shop.duckdb, postgresql+psycopg://..., "
        "mysql+pymysql://...). Default: cafehub.db in the working directory.",
        show_default=False,
    ),
]


@contextmanager
def _store_errors() -> Iterator[None]:
    try:
        yield
    except StoreError as error:
        fail(str(error), 1)


@app.command()
def init(db: DbOpt = None) -> None:
    """Create the seven tables and their indexes (tables already there are kept)."""
    with _store_errors():
        engine = open_engine(db)
        try:
            ping(engine)
            with store_errors(engine):
                io.create_schema(engine)
            check_store(engine)
        finally:
            engine.dispose()
    out.print(f"the store at {display_url(engine.url)} is ready (7 tables)", markup=False, highlight=False)


@app.command("load")
def load_(
    directory: Annotated[Path, typer.Argument(metavar="DIR", help="Directory with one file per table.")],
    db: DbOpt = None,
    replace: Annotated[bool, typer.Option("--replace", help="Empty the seven tables first (same transaction).")] = (
        False
    ),
    max_errors: Annotated[int, typer.Option(help="Stop after this many problems.", min=1)] = load.DEFAULT_MAX_ERRORS,
    tz: Annotated[str | None, typer.Option(
        "--tz", metavar="ZONE", show_default=False,
        help="Read timestamps without an offset as wall-clock time in this zone (the shop's, e.g. Asia/Seoul); "
        "without it they are refused.")] = None,
) -> None:
    """Load DIR/<table>.jsonl or DIR/<table>.csv files, checking every row; all or nothing.

    Files: customers, coupons, customer_coupons, cart_items, orders, order_items,
    order_payments (a missing file means no rows). A bad row is reported with its
    file, line and column, and nothing is loaded.
    """
    with _store_errors():
        zone = _zone(tz)
        engine = open_store(db)
        try:
            with Progress(
                SpinnerColumn(),
                TextColumn("{task.description}"),
                TimeElapsedColumn(),
                console=err,
                transient=True,
                disable=not err.is_terminal,
            ) as bar:
                task = bar.add_task("checking and loading…", total=None)

                def progress(table: str, rows: int) -> None:
                    bar.update(task, description=f"loading {table}: {rows:,} rows")

                summary = load.load_directory(
                    engine, directory, replace=replace, max_errors=max_errors, progress=progress, zone=zone
                )
        finally:
            engine.dispose()
    table = Table(title=f"loaded into {display_url(engine.url)}")
    table.add_column("table")
    table.add_column("file")
    table.add_column("rows", justify="right")
    for name, path in summary.files.items():
        table.add_row(name, path.name, f"{summary.rows.get(name, 0):,}")
    out.print(table)
    out.print(f"{sum(summary.rows.values()):,} rows in {summary.seconds:.1f} s", markup=False, highlight=False)


def _zone(name: str | None) -> ZoneInfo | None:
    from cafehub.compiler.evaluation import ContextError, load_zone

    try:
        return None if name is None else load_zone(name)
    except ContextError as error:
        raise StoreError(f"--tz: {error}") from None


@app.command()
def dump(
    directory: Annotated[Path, typer.Argument(metavar="DIR", help="Directory to write (created if missing).")],
    db: DbOpt = None,
    fmt: Annotated[str, typer.Option("--format", help="jsonl or csv.")] = "jsonl",
) -> None:
    """Write every table to DIR/<table>.<format>; `cafehub store load DIR` reads it back exactly."""
    with _store_errors():
        if fmt not in FORMATS:
            raise StoreError(f"unknown format '{fmt}' (use jsonl or csv)")
        chosen: Format = "csv" if fmt == "csv" else "jsonl"
        engine = open_store(db)
        try:
            counts = load.dump_directory(engine, directory, fmt=chosen)
        finally:
            engine.dispose()
    total = sum(counts.values())
    out.print(f"wrote {total:,} rows in {len(counts)} files to {directory}", markup=False, highlight=False)


@app.command()
def info(db: DbOpt = None) -> None:
    """Show the store's URL and the number of rows in each table."""
    with _store_errors():
        engine = open_store(db)
        try:
            with store_errors(engine), engine.connect() as conn:
                counts = io.count_rows(conn)
        finally:
            engine.dispose()
    table = Table(title=display_url(engine.url))
    table.add_column("table")
    table.add_column("rows", justify="right")
    for name, count in counts.items():
        table.add_row(name, f"{count:,}")
    out.print(table)
