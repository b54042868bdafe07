"""``cafehub segment membership --member ID``: which saved segments one customer is in now, and why.

Reads the latest version of every live saved segment and that customer's
rows only (through the ``member_id`` indexes), then evaluates each segment
in memory; ``--explain`` shows each verdict clause by clause, as
``cafehub segment explain`` does. Heavy imports stay inside the command.
"""

from __future__ import annotations

import json
from typing import Annotated

import typer

from cafehub.cli.common import UserError, out, user_errors
from cafehub.cli.registry import DEFAULT_SHOP, DbOpt, ShopOpt, open_registry, registry_errors
from cafehub.cli.segment import HistoryOpt, NowOpt, RetentionOpt, TzOpt, evaluation_context

#: The commands of this module; :mod:`cafehub.cli.segment` builds them when one of them runs.
app = typer.Typer()


@app.command("membership")
def membership(
    member: Annotated[str, typer.Option("--member", metavar="ID", help="The member id.")] = "",
    now: NowOpt = None,
    tz: TzOpt = "Asia/Seoul",
    retention_days: RetentionOpt = 7,
    history_start: HistoryOpt = None,
    segment: Annotated[list[str] | None, typer.Option(
        "--segment", metavar="NAME", show_default=False,
        help="Only this saved segment (repeat for several). Default: every live one.")] = None,
    with_explanation: Annotated[bool, typer.Option("--explain", help="Explain each verdict.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")] = False,
    db: DbOpt = None,
    shop: ShopOpt = DEFAULT_SHOP,
) -> None:
    """Show which of the shop's saved segments a customer is in at --now (default: now)."""
    from rich.text import Text

    from cafehub.cli.explain import render
    from cafehub.registry.membership import LiveMembership

    with user_errors():
        if not member:
            raise UserError("give the customer with --member ID")
        ctx = evaluation_context(now, tz, retention_days, history_start)
    with open_registry(db, shop) as registry, registry_errors():  # an unknown member: one line, exit 1
        found = LiveMembership(registry).membership(member, ctx, explain=with_explanation, names=segment)
    if as_json:
        out.print(json.dumps(found.to_dict(), ensure_ascii=False, indent=2), markup=False, highlight=False)
        return
    local = found.now.astimezone(ctx.zone).isoformat()
    out.print(f"member {member} at {local} ({ctx.zone.key}): in {len(found.segments)} of "
              f"{len(found.verdicts)} saved segment(s)", markup=False, highlight=False)
    width = max((len(v.name) for v in found.verdicts), default=0)
    for verdict in found.verdicts:
        mark = Text("! ", style="bold yellow") if verdict.error else (
            Text("✓ ", style="bold green") if verdict.matches else Text("✗ ", style="bold red"))
        line = Text.assemble("  ", mark, Text(f"{verdict.name:<{width}}  version {verdict.version}"))
        if verdict.error:
            line.append(f"  {verdict.error}", style="yellow")
        out.print(line, highlight=False)
        if verdict.explanation is not None:
            out.print(render(verdict.explanation), soft_wrap=False)


__all__ = ["app"]
