"""``cafehub sync``: pull a Cafe24 mall into the canonical store."""

from __future__ import annotations

import os
import secrets
import sys
from datetime import date
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from cafehub.cli.common import err, fail, out
from cafehub.connectors.cafe24.client import Cafe24Client
from cafehub.connectors.config import Cafe24Config
from cafehub.connectors.errors import ConnectorError
from cafehub.connectors.secrets import load_key
from cafehub.connectors.tokens import SqlTokenStore
from cafehub.store.engines import StoreError, open_engine
from cafehub.sync.engine import PHASES, Syncer, SyncOptions, SyncReport, SyncStopped
from cafehub.sync.mapping import MappingError

app = typer.Typer(help="Pull a Cafe24 mall into the canonical store.", invoke_without_command=True)

#: The sandbox's default app credentials (``cafehub sandbox serve``).
SANDBOX_CLIENT = ("sandbox-client", "sandbox-secret")
SECRET_ENV = "CAFEHUB_CAFE24_CLIENT_SECRET"


def _client_secret() -> str:
    """The app's client secret: the environment, else a hidden prompt on an interactive terminal."""
    secret = os.environ.get(SECRET_ENV)
    if secret:
        return secret
    if not sys.stdin.isatty():
        fail(f"the app's client secret is needed: set {SECRET_ENV} (it is asked for only on a terminal)")
    secret = typer.prompt("Cafe24 client secret", hide_input=True, err=True)
    if not secret:
        fail("no client secret was given")
    return str(secret)


class RichProgress:
    """A progress bar per phase."""

    def __init__(self, progress: Progress) -> None:
        self.bar = progress
        self.tasks: dict[str, TaskID] = {}

    def phase(self, name: str, total: int | None) -> None:
        self.tasks[name] = self.bar.add_task(name, total=total)

    def advance(self, name: str, rows: int) -> None:
        self.bar.advance(self.tasks[name], rows)


def _report(report: SyncReport) -> None:
    for name, phase in report.phases.items():
        c = phase.changes
        out.print(f"{name:10} {phase.rows:7} rows read   {c.inserted:6} inserted  {c.updated:6} updated  "
                  f"{c.deleted:6} deleted", markup=False, highlight=False)
    out.print(
        f"{report.calls} calls in {report.seconds:.1f}s ({report.calls_per_second():.2f} calls/s, "
        f"{report.rows_per_second():.1f} rows/s), {report.rate_limited} rate-limited ({report.blocks} usage blocks "
        f"waited out), {report.retries} retried, "
        f"{report.refreshes} token refreshes",
        markup=False,
        highlight=False,
    )


@app.callback()
def sync(
    mall: Annotated[str, typer.Option("--mall", help="Cafe24 mall id.")],
    db: Annotated[str | None, typer.Option("--db", help="Store URL (default: the embedded SQLite file).")] = None,
    sandbox_url: Annotated[str | None, typer.Option("--sandbox-url", help="Sync from a sandbox at this URL.")] = None,
    client_id: Annotated[str | None, typer.Option("--client-id", envvar="CAFEHUB_CAFE24_CLIENT_ID")] = None,
    client_secret: Annotated[str | None, typer.Option("--client-secret", hidden=True, show_default=False,
                                                      help="Refused: use CAFEHUB_CAFE24_CLIENT_SECRET.")] = None,
    code: Annotated[str | None, typer.Option("--code", help="Exchange this authorization code first.")] = None,
    authorize_url: Annotated[bool, typer.Option("--authorize-url", help="Print the URL to authorize the app.")] = False,
    redirect_uri: Annotated[str, typer.Option("--redirect-uri")] = "https://localhost/cafehub/oauth",
    since: Annotated[str, typer.Option("--since", help="First order day of a full sync.")] = "2024-01-01",
    full: Annotated[bool, typer.Option("--full", help="Ignore cursors and read everything again.")] = False,
    zone: Annotated[str, typer.Option("--zone", help="The mall's time zone.")] = "Asia/Seoul",
    only: Annotated[list[str] | None, typer.Option("--only", help="Sync only these phases (repeatable).")] = None,
    no_progress: Annotated[bool, typer.Option("--no-progress", help="No progress bar.")] = False,
) -> None:
    """Sync customers, coupons, issued coupons, carts and orders; only what changed since the last run.

    The app's client secret is read from CAFEHUB_CAFE24_CLIENT_SECRET, or asked for when
    the terminal is interactive; never from the command line, where `ps` would show it.
    OAuth tokens are stored encrypted with the key in CAFEHUB_SECRET_KEY,
    CAFEHUB_SECRET_KEY_FILE, or ~/.config/cafehub/secret.key (created on first use).
    """
    if client_secret is not None:
        fail(f"--client-secret is refused: a secret on the command line is visible to every user of this "
             f"machine (ps); set {SECRET_ENV} or let cafehub ask for it")
    if sandbox_url and not client_id:
        client_id, client_secret = SANDBOX_CLIENT
    if not client_id:
        fail("give --client-id (or CAFEHUB_CAFE24_CLIENT_ID)")
    client_secret = client_secret or _client_secret()
    try:
        first_day = date.fromisoformat(since)
    except ValueError:
        fail(f"--since {since!r} is not a date (YYYY-MM-DD)")
    phases = tuple(only or PHASES)
    unknown = [p for p in phases if p not in PHASES]
    if unknown:
        fail(f"unknown phase {unknown[0]!r}; choose from {', '.join(PHASES)}")
    try:
        config = Cafe24Config(mall_id=mall, client_id=client_id, client_secret=client_secret, base_url=sandbox_url,
                              zone=zone, redirect_uri=redirect_uri)
        key = load_key()
        if key.created is not None:
            err.print(f"created a new secret key in {key.created}: the store's OAuth tokens are encrypted with it; "
                      "keep it (and back it up) with the store", markup=False, highlight=False)
        engine = open_engine(db)
        client = Cafe24Client(config, SqlTokenStore(engine, key.cipher))
    except (ConnectorError, StoreError) as error:
        fail(str(error))
    except Exception as error:  # an unreachable database server
        fail(f"cannot open the store: {str(error).splitlines()[0]}")
    with client:
        if authorize_url:
            out.print(client.oauth.authorize_url(secrets.token_urlsafe(12)), markup=False, highlight=False)
            return
        try:
            if code:
                client.tokens.authorize_with_code(code)
            elif client.tokens.store.load(mall) is None:
                if not sandbox_url:
                    fail(f"mall {mall!r} is not authorized yet: run with --authorize-url, open it, then pass --code")
                client.tokens.authorize_with_code(client.oauth.approve_without_browser())
            options = SyncOptions(since=first_day, full=full, phases=phases)
            with Progress(TextColumn("{task.description:10}"), BarColumn(), MofNCompleteColumn(),
                          TimeElapsedColumn(), console=err, disable=no_progress or not os.isatty(2)) as bar:
                report = Syncer(client, engine, options, RichProgress(bar)).run()
        except SyncStopped as stopped:
            fail(str(stopped), 1)
        except (ConnectorError, MappingError) as error:
            fail(str(error), 1)
    _report(report)
