"""``cafehub sandbox ...``: local Cafe24-like and Sellmate-like servers."""

from __future__ import annotations

import threading
from typing import Annotated

import typer
from sqlalchemy import inspect

from cafehub.cli.common import fail, out
from cafehub.sandbox.control import SandboxConfig
from cafehub.sandbox.sample import sample_shop
from cafehub.sandbox.server import SandboxServers, open_sandbox
from cafehub.store import io as store_io
from cafehub.store.engines import StoreError, default_url, open_engine

app = typer.Typer(help="Local servers that behave like Cafe24 and Sellmate.", no_args_is_help=True)


@app.command()
def serve(
    db: Annotated[str | None, typer.Option("--db", help="Store to serve (default: the embedded SQLite file).")] = None,
    host: Annotated[str, typer.Option("--host")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Cafe24-like server port.")] = 8024,
    sellmate_port: Annotated[int, typer.Option("--sellmate-port", help="Sellmate-like server port.")] = 8025,
    no_rate_limit: Annotated[bool, typer.Option("--no-rate-limit", help="Never answer 429.")] = False,
    mall: Annotated[str, typer.Option("--mall", help="Mall id to pretend to be.")] = "demo",
    zone: Annotated[str, typer.Option("--zone", help="The mall's time zone.")] = "Asia/Seoul",
    sample: Annotated[bool, typer.Option("--sample", help="Fill an empty store with a small sample shop.")] = False,
) -> None:
    """Serve a shop from the store over HTTP until Ctrl-C."""
    try:
        engine = open_engine(db)
        has_shop = inspect(engine).has_table("orders")
    except StoreError as error:
        fail(str(error))
    except Exception as error:
        fail(f"cannot open the store: {str(error).splitlines()[0]}")
    if not has_shop:
        if not sample:
            fail(f"the store {db or default_url()} holds no shop: run `cafehub demo` first, or pass --sample")
        store_io.create_schema(engine)
        store_io.write_shop(engine, sample_shop())
    config = SandboxConfig(mall_id=mall, zone=zone, rate_limit=not no_rate_limit)
    sandbox = open_sandbox(engine, config)
    try:
        servers = SandboxServers(sandbox, host=host, port=port, sellmate_port=sellmate_port)
        servers.start()
    except RuntimeError as error:
        fail(str(error))
    out.print(f"Cafe24 sandbox   {servers.cafe24_url}  (mall {mall}, client {config.client_id} / "
              f"{config.client_secret})", markup=False, highlight=False)
    out.print(f"Sellmate sandbox {servers.sellmate_url}  (X-Api-Key: {config.sellmate_key})", markup=False,
              highlight=False)
    out.print(f"Try: cafehub sync --mall {mall} --db sqlite:///synced.db --sandbox-url {servers.cafe24_url}",
              markup=False, highlight=False)
    out.print("Ctrl-C stops.", markup=False, highlight=False)
    stop = threading.Event()
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        servers.stop()
