"""``cafehub segment explain``: why one customer matches a segment, or does not.

Prints the segment as a tree: each clause with ✓ or ✗, and under it the
evidence (rows in scope and matched, the aggregate computed, the time
windows resolved in the shop's zone). ``--json`` prints
:meth:`cafehub.execution.explain.Explanation.to_dict` instead. The ``segment``
group builds :data:`app` only when ``explain`` runs or help lists it.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.text import Text

from cafehub.cli import registry as registry_cli
from cafehub.cli.common import UserError, err, fail, out, read_segment_input, user_errors
from cafehub.compiler.evaluation import DEFAULT_HISTORY_START, DEFAULT_ZONE, ContextError, EvalContext, load_zone

if TYPE_CHECKING:  # the command imports these when it runs, so other segment commands start without them
    from rich.tree import Tree

    from cafehub.execution.explain import Clause, Evidence, Explanation, Node

#: Row keys listed per line of evidence before "+N more".
MAX_LISTED = 12


def parse_now(value: str | None, zone_name: str) -> datetime:
    """``--now``: ISO 8601, read in the shop's zone when it has no offset; default the current instant."""
    if value is None:
        return datetime.now(UTC)
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise UserError(f"--now '{value}' is not an ISO 8601 date or time (e.g. 2025-03-01T09:00)") from None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=load_zone(zone_name))


def build_context(now: str | None, tz: str, retention_days: int, history_start: str | None) -> EvalContext:
    """The evaluation context from the command's options, with one-line errors."""
    try:
        start = date.fromisoformat(history_start) if history_start else DEFAULT_HISTORY_START
    except ValueError:
        raise UserError(f"--history-start '{history_start}' is not a date (e.g. 2024-01-01)") from None
    try:
        return EvalContext(now=parse_now(now, tz), zone=load_zone(tz), cart_retention_days=retention_days,
                           history_start=start)
    except ContextError as error:
        raise UserError(str(error)) from None


# ---------------------------------------------------------------- rendering


def _mark(value: bool) -> Text:
    return Text("✓ ", style="bold green") if value else Text("✗ ", style="bold red")


def _listing(keys: tuple[str, ...]) -> str:
    if not keys:
        return "none"
    shown = ", ".join(keys[:MAX_LISTED])
    return shown + (f" (+{len(keys) - MAX_LISTED} more)" if len(keys) > MAX_LISTED else "")


def _line(text: str, style: str = "dim") -> Text:
    return Text(text, style=style)


def _add_clause(tree: Tree, clause: Clause, total: int) -> None:
    label = Text.assemble(Text(clause.text), _line(f"  true for {len(clause.true_rows)} of {total}: "
                                                   f"{_listing(clause.true_rows)}"))
    branch = tree.add(label)
    if clause.unknown_rows:
        branch.add(_line(f"unknown (null field) for {_listing(clause.unknown_rows)}"))
    for window in clause.windows:
        branch.add(_line(f"window: {window.text()}"))
    for child in clause.children:
        _add_clause(branch, child, total)


def _add_evidence(tree: Tree, evidence: Evidence) -> None:
    total = len(evidence.rows_in_scope)
    if evidence.aggregate is not None:
        value = evidence.value if evidence.value is not None else "null (no rows)"
        tree.add(Text.assemble(Text(f"{evidence.aggregate} = "), Text(value, style="bold")))
    tree.add(_line(f"matched {len(evidence.matched)} of {total} {evidence.collection} rows in scope: "
                   f"{_listing(evidence.matched)}"))
    scope = tree.add(_line(f"scope: {evidence.scope}"))
    if evidence.scope_window is not None:
        scope.add(_line(evidence.scope_window.text()))
    scope.add(_line(f"in scope: {_listing(evidence.rows_in_scope)}"))
    if evidence.condition is not None:
        _add_clause(tree.add(_line("condition")), evidence.condition, total)


def _add_node(tree: Tree | None, node: Node) -> Tree:
    from rich.tree import Tree

    label = Text.assemble(_mark(node.value), Text(node.text))
    if node.version is not None:
        label.append(f"  version {node.version}", style="dim")
    branch = Tree(label) if tree is None else tree.add(label)
    if node.evidence is not None:
        _add_evidence(branch, node.evidence)
    for window in node.windows:
        branch.add(_line(f"window: {window.text()}"))
    for child in node.children:
        _add_node(branch, child)
    return branch


def render(explanation: Explanation) -> Tree:
    """The explanation as a rich tree (all user text as plain text, never markup)."""
    verdict = "matches" if explanation.matches else "does not match"
    header = Text.assemble(
        Text(f"member {explanation.member_id} "), Text(verdict, style="bold green" if explanation.matches
                                                       else "bold red"),
        _line(f"  at {explanation.now.isoformat()} ({explanation.zone}), cart retention "
              f"{explanation.cart_retention_days}d, history from {explanation.history_start}"),
    )
    from rich.tree import Tree

    root = Tree(header)
    _add_node(root, explanation.root)
    return root


# ---------------------------------------------------------------- the command


def register(app: typer.Typer) -> None:
    """Add ``explain`` to the ``segment`` Typer app."""

    @app.command("explain")
    def explain_command(
        text: Annotated[str | None, typer.Argument(help="Segment text, or '-' to read standard input.",
                                                   show_default=False)] = None,
        file: Annotated[Path | None, typer.Option("--file", "-f", help="Read the segment from FILE.")] = None,
        member: Annotated[str, typer.Option("--member", metavar="ID", help="The member id to explain.")] = "",
        db: Annotated[str | None, typer.Option("--db", metavar="URL", show_default=False,
                                               help="Database URL. Default: cafehub.db in the working directory."
                                               )] = None,
        now: Annotated[str | None, typer.Option(
            "--now", metavar="ISO", help="Evaluation instant (ISO 8601; without offset, in --tz). Default: now.",
            show_default=False)] = None,
        tz: Annotated[str, typer.Option("--tz", metavar="ZONE", help="The shop's time zone.")] = DEFAULT_ZONE,
        retention_days: Annotated[int, typer.Option("--retention-days", metavar="N",
                                                    help="Cart retention in days.")] = 7,
        history_start: Annotated[str | None, typer.Option(
            "--history-start", metavar="DATE", help="First day of order history. Default: 2024-01-01.",
            show_default=False)] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print the explanation as JSON.")] = False,
        shop: registry_cli.ShopOpt = registry_cli.DEFAULT_SHOP,
    ) -> None:
        """Explain, clause by clause, why a member matches a segment or not."""
        from cafehub.execution.explain import explain
        from cafehub.execution.python import load_customer
        from cafehub.store.engines import StoreError, open_store

        with user_errors():
            source, origin = read_segment_input(text, file)
            if not member:
                raise UserError("give the member to explain with --member ID")
            ctx = build_context(now, tz, retention_days, history_start)
        checked = registry_cli.check_with_store(source, origin, db, shop)
        try:
            engine = open_store(db)
            try:
                customer = load_customer(engine, member)
            finally:
                engine.dispose()
        except StoreError as error:
            fail(str(error), 1)
        if customer is None:
            fail(f"no customer with member id {member!r} in the store", 1)
        explanation = explain(checked, customer, ctx)
        if as_json:
            out.print(json.dumps(explanation.to_dict(), ensure_ascii=False, indent=2), markup=False,
                      highlight=False)
            return
        if checked.warnings:
            err.print(f"{len(checked.warnings)} warning(s): run `cafehub segment check` to see them",
                      markup=False, highlight=False)
        out.print(render(explanation), soft_wrap=False)


#: The ``explain`` command, built only when it runs (see :data:`cafehub.cli.segment.ELSEWHERE`).
app = typer.Typer()
register(app)

__all__ = ["app", "build_context", "parse_now", "register", "render"]
