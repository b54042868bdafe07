"""``cafehub segment audience/snapshot/snapshots``: who a saved segment selects at a send time, recorded per campaign.

``audience NAME`` streams the members of a saved segment (with name, cell
phone, e-mail and consents) as CSV or JSON Lines to standard output, sorted
by member id, in constant memory; ``--count`` prints only how many.
``--snapshot CAMPAIGN`` records the audience and its send time first, then
streams the recorded rows; ``snapshot CAMPAIGN`` shows them again later,
exactly as they were. Heavy imports stay inside the commands.
"""

from __future__ import annotations

import codecs
import sys
from collections.abc import Iterable
from typing import TYPE_CHECKING, Annotated

import typer

from cafehub.cli.common import UserError, out, user_errors
from cafehub.cli.registry import DEFAULT_SHOP, ByOpt, DbOpt, NameArg, ShopOpt, open_registry, registry_errors
from cafehub.cli.segment import HistoryOpt, NowOpt, RetentionOpt, TzOpt, evaluation_context

if TYPE_CHECKING:
    from cafehub.registry.output import Format

FormatOpt = Annotated[str, typer.Option("--format", metavar="csv|jsonl", help="Output format.")]
CountOpt = Annotated[bool, typer.Option("--count", help="Print only the number of members.")]


def _write(chunks: Iterable[str]) -> None:
    """Write text chunks to standard output; a reader that stops early (``| head``) ends quietly."""
    _write_bytes(chunk.encode() for chunk in chunks)


def _write_bytes(chunks: Iterable[bytes]) -> None:
    """Write UTF-8 chunks to standard output (its binary buffer: audience text is UTF-8 whatever the locale);
    a reader that stops early (``| head``) ends quietly."""
    sys.stdout.flush()
    binary = getattr(sys.stdout, "buffer", None)  # None: a text-only stream put in its place
    decoder = codecs.getincrementaldecoder("utf-8")()  # a chunk may end inside a character
    try:
        for chunk in chunks:
            if binary is None:
                sys.stdout.write(decoder.decode(chunk))
            else:
                binary.write(chunk)
        (sys.stdout if binary is None else binary).flush()
    except BrokenPipeError:
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error at exit
        raise typer.Exit(0) from None


def _format(value: str) -> Format:
    if value in ("csv", "jsonl"):
        return value  # type: ignore[return-value]
    raise UserError(f"--format must be csv or jsonl, not '{value}'")


#: The commands of this module; :mod:`cafehub.cli.segment` builds them when one of them runs.
app = typer.Typer()


@app.command("audience")
def audience(
    name: NameArg,
    version: Annotated[int | None, typer.Option("--version", "-v", metavar="N", show_default=False,
                                                help="Use version N (default: the latest).")] = None,
    now: NowOpt = None,
    tz: TzOpt = "Asia/Seoul",
    retention_days: RetentionOpt = 7,
    history_start: HistoryOpt = None,
    count: CountOpt = False,
    fmt: FormatOpt = "csv",
    snapshot: Annotated[str | None, typer.Option("--snapshot", metavar="CAMPAIGN", show_default=False,
                                                 help="Record this audience as CAMPAIGN's, then print it.")] = None,
    by: ByOpt = None,
    db: DbOpt = None,
    shop: ShopOpt = DEFAULT_SHOP,
) -> None:
    """Print the members of saved segment NAME at the send time --now, with their contacts and consents."""
    from cafehub.cli.registry import _author
    from cafehub.execution.sql import count_sql
    from cafehub.registry.audience import Snapshots, audience_bytes

    with user_errors():
        ctx = evaluation_context(now, tz, retention_days, history_start)
        form = _format(fmt)
    with open_registry(db, shop) as registry, registry_errors():
        if snapshot is not None:
            snapshots = Snapshots(registry)
            taken = snapshots.take(snapshot, name, ctx, taken_by=_author(by), version=version)
            if count:
                typer.echo(str(taken.members))
                return
            _write(snapshots.members_text(snapshot, form))
            return
        checked = registry.checked(name, version)
        if count:
            typer.echo(str(count_sql(registry.engine, checked, ctx)))
            return
        _write_bytes(audience_bytes(registry.engine, checked, ctx, form))

@app.command("snapshot")
def snapshot_(
    campaign: Annotated[str, typer.Argument(metavar="CAMPAIGN", help="The campaign.", show_default=False)],
    count: CountOpt = False,
    fmt: FormatOpt = "csv",
    info: Annotated[bool, typer.Option("--info", help="Print what was recorded, not the members.")] = False,
    db: DbOpt = None,
    shop: ShopOpt = DEFAULT_SHOP,
) -> None:
    """Print a campaign's recorded audience exactly as it was at its send time."""
    from cafehub.registry.audience import Snapshots

    with user_errors():
        form = _format(fmt)
    with open_registry(db, shop) as registry, registry_errors():
        snapshots = Snapshots(registry)
        taken = snapshots.get(campaign)
        if count:
            typer.echo(str(taken.members))
            return
        if info:
            used = ", ".join(f"{n} v{v}" for n, v in taken.versions)
            lines = [
                f"campaign:    {taken.campaign}",
                f"segment:     {taken.segment} version {taken.version} (uses: {used})",
                f"send time:   {taken.send_time.astimezone(taken.context().zone).isoformat()} ({taken.zone}), "
                f"cart retention {taken.cart_retention_days}d, history from {taken.history_start}",
                f"members:     {taken.members:,}",
                f"recorded:    {taken.taken_at.isoformat()} by {taken.taken_by}",
                "",
                taken.text,
            ]
            out.print("\n".join(lines), markup=False, highlight=False)
            return
        _write(snapshots.members_text(campaign, form))

@app.command("snapshots")
def snapshots_(db: DbOpt = None, shop: ShopOpt = DEFAULT_SHOP) -> None:
    """List the shop's recorded campaign audiences, newest send time first."""
    from rich.table import Table

    from cafehub.registry.audience import Snapshots

    with open_registry(db, shop) as registry, registry_errors():
        found = Snapshots(registry).campaigns()
    table = Table(box=None, pad_edge=False)
    for column in ("campaign", "segment", "version", "send time (UTC)", "members"):
        table.add_column(column, overflow="fold")
    for s in found:
        table.add_row(s.campaign, s.segment, str(s.version), s.send_time.strftime("%Y-%m-%d %H:%M:%S"),
                      f"{s.members:,}")
    out.print(table, markup=False, highlight=False)


__all__ = ["app"]
