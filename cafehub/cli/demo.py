"""``cafehub demo``: build a realistic demo shop and run example segments on it.

The README's first command: with no arguments it generates 10,000 customers
into the embedded SQLite store (``cafehub.db`` in the working directory),
then runs one example segment per filter of the product guide and prints
each segment, its audience size and a few member ids. Seeded, so the same
``--seed`` and ``--now`` always give the same shop and the same audiences.
"""

from __future__ import annotations

import textwrap
import time
from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from cafehub.cli.common import fail, out
from cafehub.compiler.evaluation import DEFAULT_ZONE, ContextError, load_zone
from cafehub.demo.generator import DEFAULT_CUSTOMERS, DEFAULT_SEED, DemoSettings
from cafehub.demo.shop import ExampleResult, build, default_runner, run_examples
from cafehub.grammar.format import DEFAULT_WIDTH, MIN_WIDTH
from cafehub.store.engines import StoreError, display_url, open_engine, ping

app = typer.Typer(help="Build a demo shop and run example segments on it.")

SAMPLE_IDS = 3


def parse_now(value: str | None, zone_name: str) -> datetime:
    """``--now``: ISO 8601; without an offset it is the shop's wall-clock time. Default: the current instant."""
    if value is None:
        return datetime.now(UTC).replace(microsecond=0)
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"'{value}' is not an ISO 8601 date or time (e.g. 2025-12-01T09:00)") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=load_zone(zone_name))
    return parsed


def _sample(ids: list[str]) -> str:
    """A few ids spread over the (sorted) audience, not just its first few."""
    if not ids:
        return "-"
    count = min(SAMPLE_IDS, len(ids))
    picked = [ids[i * len(ids) // count] for i in range(count)]
    more = f" … (+{len(ids) - count:,})" if len(ids) > count else ""
    return ", ".join(picked) + more


@app.callback(invoke_without_command=True)
def demo(
    customers: Annotated[int, typer.Option("--customers", "-n", min=0, help="Number of members.")] = DEFAULT_CUSTOMERS,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed and --now give the same shop.")] = DEFAULT_SEED,
    db: Annotated[
        str | None,
        typer.Option("--db", metavar="URL", help="Store to build in. Default: cafehub.db in the working directory."),
    ] = None,
    now: Annotated[
        str | None,
        typer.Option(
            metavar="ISO", help="The shop's 'now' (ISO 8601; no offset = Seoul time). Default: the current time."
        ),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace a store that holds other (non-demo) data.")] = False,
) -> None:
    """Generate a demo shop (members, coupons, carts, orders since 2024) and run example segments on it."""
    started = time.perf_counter()
    try:
        settings = DemoSettings(customers=customers, seed=seed, now=parse_now(now, DEFAULT_ZONE))
    except (ValueError, ContextError) as exc:
        fail(str(exc))
    try:
        runner = default_runner()
        engine = open_engine(db)
        try:
            ping(engine)
            shown = display_url(engine.url)
            local_now = settings.now.astimezone(settings.zone)
            out.print(
                f"Building a demo shop of {customers:,} customers (seed {seed}, now {local_now.isoformat()} "
                f"{settings.zone.key}) in {shown}",
                markup=False,
                highlight=False,
            )
            with Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[rows]:>12,} rows"),
                TimeElapsedColumn(),
                console=out,
                transient=False,
            ) as bar:
                task = bar.add_task("generating and loading", total=max(customers, 1), rows=0)

                def progress(done: int, rows: int) -> None:
                    bar.update(task, completed=done, rows=rows)

                report = build(engine, settings, force=force, progress=progress)
                bar.update(task, completed=max(customers, 1), rows=report.total_rows)
            summary = ", ".join(f"{name} {count:,}" for name, count in report.rows.items())
            out.print(f"Wrote {report.total_rows:,} rows in {report.seconds:.1f} s: {summary}", markup=False)
            results = run_examples(engine, settings, runner=runner)
        finally:
            engine.dispose()
    except StoreError as exc:
        fail(str(exc), 1)
    out.print(_results_table(results, customers))
    total = time.perf_counter() - started
    query_time = sum(r.seconds for r in results)
    out.print(
        f"{len(results)} segments in {query_time * 1000:,.0f} ms; total {total:.1f} s. "
        f"Try your own: cafehub segment check 'order(status = paid).count >= 3'",
        markup=False,
        highlight=False,
    )


#: Columns of the results table other than the segment: borders and padding (16), "#" (2),
#: "audience" (8), "ms" (5); and the fewest the sample ids get before the segment takes the rest.
_OTHER_COLUMNS = 31
_MIN_SAMPLE = 18


def segment_width(console_width: int) -> int:
    """The segment column's width: what the other columns leave, between the formatter's narrowest
    width and its default (a wider segment column would only leave the sample ids less room)."""
    return max(MIN_WIDTH, min(DEFAULT_WIDTH, console_width - _OTHER_COLUMNS - _MIN_SAMPLE))


def laid_out(text: str, width: int) -> list[str]:
    """The lines of a segment in a column ``width`` wide, all of it, none longer than the column.

    As written when every line fits; otherwise laid out by the canonical formatter at that
    width (breaks before and/or, one condition per indented line), and a line that is still
    too long (one long condition) wraps at its spaces, its continuation indented four columns
    under it. Table cells are not left to re-wrap: that cut long words off with "…" and lost
    the indentation of continuation lines.
    """
    from cafehub.api import format as format_segment

    lines = text.splitlines()
    if all(len(line) <= width for line in lines):
        return lines
    shown: list[str] = []
    for line in format_segment(text, width=width).splitlines():
        if len(line) <= width:
            shown.append(line)
            continue
        hanging = " " * (len(line) - len(line.lstrip()) + 4)
        shown.extend(textwrap.wrap(line, width, subsequent_indent=hanging, break_on_hyphens=False))
    return shown


def _results_table(results: list[ExampleResult], customers: int, console_width: int | None = None) -> Table:
    """The examples with their audiences, each segment in full (:func:`laid_out`)."""
    width = segment_width(out.width if console_width is None else console_width)
    table = Table(title="Example segments", show_lines=True, expand=False)
    table.add_column("#", justify="right", style="dim")
    table.add_column("segment", width=width, overflow="fold")
    table.add_column("audience", justify="right")
    table.add_column("sample member ids", overflow="fold", min_width=_MIN_SAMPLE)
    table.add_column("ms", justify="right", style="dim")
    for number, result in enumerate(results, 1):
        cell = Text("\n".join(laid_out(result.example.text, width)), style="bold")
        cell.append("\n" + result.example.description, style="dim")
        share = f"\n{len(result.member_ids) / customers:.1%}" if customers else ""
        table.add_row(
            str(number),
            cell,
            f"{len(result.member_ids):,}{share}",
            _sample(result.member_ids),
            f"{result.seconds * 1000:,.0f}",
        )
    return table
