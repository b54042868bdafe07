"""``cafehub segment save/list/show/history/delete``: the saved segments of a shop, from the command line.

The registry lives in the store database (``--db``, default ``cafehub.db``);
``--shop`` says whose segments (default ``default``, or ``CAFEHUB_SHOP``).
The commands are built only when one of them runs (see
:data:`cafehub.cli.segment.ELSEWHERE`); imports of the store and the
registry happen inside the commands.

:func:`check_with_store` is what every command taking segment text uses: a
text that names saved segments (``segment("vip")``) is checked with the
shop's registry; any other text without opening a store.
"""

from __future__ import annotations

import getpass
import json
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from cafehub.cli.common import err, fail, out, read_segment_input, user_errors

if TYPE_CHECKING:
    from cafehub.compiler.check import CheckedSegment
    from cafehub.registry import SegmentInfo, SegmentRegistry, SegmentVersion

DbOpt = Annotated[str | None, typer.Option("--db", metavar="URL", show_default=False,
                                           help="Database URL. Default: cafehub.db in the working directory.")]
ShopOpt = Annotated[str, typer.Option("--shop", metavar="ID", envvar="CAFEHUB_SHOP",
                                      help="Whose saved segments (a shop id).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]
ByOpt = Annotated[str | None, typer.Option("--by", metavar="NAME", show_default=False,
                                           help="Who makes the change (default: your user name).")]
NameArg = Annotated[str, typer.Argument(metavar="NAME", help="The segment's name.", show_default=False)]

DEFAULT_SHOP = "default"


def _author(by: str | None) -> str:
    if by is not None:
        return by
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "cli"


@contextmanager
def registry_errors() -> Iterator[None]:
    """Registry and store problems as one-line messages (exit 1; 2 for a bad name)."""
    from cafehub.registry import InvalidName, RegistryError
    from cafehub.store.engines import StoreError

    try:
        yield
    except InvalidName as error:
        fail(str(error), 2)
    except (RegistryError, StoreError) as error:
        fail(str(error), 1)


@contextmanager
def open_registry(db: str | None, shop: str) -> Iterator[SegmentRegistry]:
    """The shop's registry in the store at ``db`` (disposed afterwards)."""
    from cafehub.registry import SegmentRegistry
    from cafehub.store.engines import open_store

    with registry_errors():
        engine = open_store(db)
        try:
            yield SegmentRegistry(engine, shop)
        finally:
            engine.dispose()


def check_with_store(source: str, origin: str, db: str | None, shop: str, *, report: bool = True) -> CheckedSegment:
    """Check ``source``; saved segments it names are read from the shop's registry (a store is opened only then).

    A bad segment is printed and exits 1, unless ``report`` is false: then
    the :class:`~cafehub.diagnostics.SegmentError` is raised to the caller.
    """
    from cafehub import api
    from cafehub.compiler.check import check_tree
    from cafehub.grammar import syntax as s

    with user_errors(source, origin) if report else nullcontext():
        tree = api.parse(source)
        if not any(isinstance(node, s.SegmentRef) for node in s.walk(tree)):
            return check_tree(tree, source)
        with open_registry(db, shop) as registry:
            return registry.check(source)


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC") if moment is not None else ""


def info_dict(info: SegmentInfo) -> dict[str, Any]:
    return {
        "name": info.name,
        "description": info.description,
        "latest_version": info.latest_version,
        "created_at": info.created_at.isoformat(),
        "created_by": info.created_by,
        "updated_at": info.updated_at.isoformat(),
        "updated_by": info.updated_by,
        "deleted_at": info.deleted_at.isoformat() if info.deleted_at else None,
        "deleted_by": info.deleted_by,
    }


def version_dict(version: SegmentVersion) -> dict[str, Any]:
    return {
        "name": version.name,
        "version": version.version,
        "text": version.text,
        "ast": version.ast,
        "saved_at": version.saved_at.isoformat(),
        "saved_by": version.saved_by,
    }


def _emit(data: Any) -> None:
    out.print(json.dumps(data, ensure_ascii=False, indent=2), markup=False, highlight=False)


def _first_line(text: str, width: int = 60) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith("#")]
    first = " ".join(lines)
    return first if len(first) <= width else first[: width - 1] + "…"


#: The commands of this module; :mod:`cafehub.cli.segment` builds them when one of them runs.
app = typer.Typer()


@app.command("save")
def save(
    name: NameArg,
    text: Annotated[str | None, typer.Argument(help="Segment text, or '-' for standard input.",
                                               show_default=False)] = None,
    file: Annotated[Path | None, typer.Option("--file", "-f", help="Read the segment from FILE.")] = None,
    description: Annotated[str | None, typer.Option("--description", "-m", show_default=False,
                                                    help="Describe the segment (kept until changed).")] = None,
    by: ByOpt = None,
    db: DbOpt = None,
    shop: ShopOpt = DEFAULT_SHOP,
    as_json: JsonOpt = False,
) -> None:
    """Check a segment and save it as the next version of NAME (nothing is saved if it is invalid)."""
    from cafehub.diagnostics import render_all

    with user_errors():
        source, origin = read_segment_input(text, file)
    with open_registry(db, shop) as registry, user_errors(source, origin):
        result = registry.save(name, source, saved_by=_author(by), description=description)
    if result.warnings:
        err.print(render_all(result.warnings, source, origin), markup=False, highlight=False)
    if as_json:
        _emit({"created": result.created, "segment": info_dict(result.segment),
               "version": version_dict(result.version)})
        return
    number = result.version.version
    if result.created:
        out.print(f"saved '{name}' version {number} (shop {shop})", markup=False, highlight=False)
    else:
        out.print(f"'{name}' unchanged: version {number} already has this text", markup=False, highlight=False)

@app.command("list")
def list_(
    deleted: Annotated[bool, typer.Option("--deleted", help="Include deleted segments.")] = False,
    db: DbOpt = None,
    shop: ShopOpt = DEFAULT_SHOP,
    as_json: JsonOpt = False,
) -> None:
    """List the shop's saved segments with their latest version."""
    from rich.table import Table

    with open_registry(db, shop) as registry:
        infos = registry.segments(include_deleted=deleted)
    if as_json:
        _emit([info_dict(i) for i in infos])
        return
    if not infos:
        err.print(f"shop {shop} has no saved segments", markup=False, highlight=False)
        return
    table = Table(box=None, pad_edge=False)
    for column in ("name", "version", "updated", "by", "description"):
        table.add_column(column, overflow="fold")
    for info in infos:
        shown = info.name + (" (deleted)" if info.deleted else "")
        table.add_row(shown, str(info.latest_version), _when(info.updated_at), info.updated_by,
                      info.description)
    out.print(table, markup=False, highlight=False)

@app.command("show")
def show(
    name: NameArg,
    version: Annotated[int | None, typer.Option("--version", "-v", metavar="N", show_default=False,
                                                help="Show version N (default: the latest).")] = None,
    text_only: Annotated[bool, typer.Option("--text", help="Print only the segment's text.")] = False,
    db: DbOpt = None,
    shop: ShopOpt = DEFAULT_SHOP,
    as_json: JsonOpt = False,
) -> None:
    """Show a saved segment: its text and who saved it when (any version, deleted segments too)."""
    with open_registry(db, shop) as registry, registry_errors():
        info = registry.info(name)
        found = registry.get(name, version)
    if as_json:
        _emit({"segment": info_dict(info), "version": version_dict(found)})
        return
    if text_only:
        typer.echo(found.text)
        return
    lines = [
        f"segment:     {info.name}" + (f"  (deleted {_when(info.deleted_at)} by {info.deleted_by})"
                                        if info.deleted else ""),
        f"version:     {found.version} of {info.latest_version}",
        f"saved:       {_when(found.saved_at)} by {found.saved_by}",
    ]
    if info.description:
        lines.append(f"description: {info.description}")
    out.print("\n".join(lines) + "\n", markup=False, highlight=False)
    typer.echo(found.text)

@app.command("history")
def history(name: NameArg, db: DbOpt = None, shop: ShopOpt = DEFAULT_SHOP, as_json: JsonOpt = False) -> None:
    """List every version of a saved segment, oldest first."""
    from rich.table import Table

    with open_registry(db, shop) as registry, registry_errors():
        versions = registry.history(name)
    if as_json:
        _emit([version_dict(v) for v in versions])
        return
    table = Table(box=None, pad_edge=False)
    for column in ("version", "saved", "by", "text"):
        table.add_column(column, overflow="fold")
    for v in versions:
        table.add_row(str(v.version), _when(v.saved_at), v.saved_by, _first_line(v.text))
    out.print(table, markup=False, highlight=False)

@app.command("delete")
def delete(name: NameArg, by: ByOpt = None, db: DbOpt = None, shop: ShopOpt = DEFAULT_SHOP) -> None:
    """Delete a saved segment (its versions stay readable with show and history)."""
    with open_registry(db, shop) as registry, registry_errors():
        info = registry.delete(name, deleted_by=_author(by))
    out.print(f"deleted '{name}' ({info.latest_version} version(s) stay readable: "
              f"cafehub segment history {name})", markup=False, highlight=False)


__all__ = ["DbOpt", "ShopOpt", "app", "check_with_store", "open_registry", "registry_errors"]
