"""``cafehub sandbox ...``: local Cafe24-like and Sellmate-like servers."""

from __future__ import annotations

import threading
from collections.abc import Callable
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


@app.callback()
def _group() -> None:
    """Local servers that behave like Cafe24 and Sellmate (``serve``).

    A callback keeps ``serve`` a sub-command: Typer would otherwise make a
    one-command app the command itself, and ``cafehub sandbox serve`` (as the
    README and the benchmarks write it) would stop working.
    """


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
    sms_port: Annotated[int, typer.Option("--sms-port", help="SMS provider outbox port (0 = off).")] = 8026,
    smtp_port: Annotated[int, typer.Option("--smtp-port", help="SMTP sink port (0 = off).")] = 8027,
    channeltalk_port: Annotated[int, typer.Option("--channeltalk-port",
                                                  help="Channel Talk stand-in port (0 = off).")] = 8028,
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
    extras = _start_messaging(host, sms_port, smtp_port, channeltalk_port)
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
        for stop_extra in extras:
            stop_extra()


def _start_messaging(host: str, sms_port: int, smtp_port: int, channeltalk_port: int) -> list[Callable[[], None]]:
    """The SMS outbox, the SMTP sink and the Channel Talk stand-in, each when its port is not 0."""
    from cafehub.sandbox.channeltalk import ChannelTalkStandIn
    from cafehub.sandbox.messaging import SmsOutbox, SmtpSink
    from cafehub.sandbox.server import _Server

    stops: list[Callable[[], None]] = []
    if sms_port:
        outbox = SmsOutbox()
        server = _Server(outbox.app(), host, sms_port)
        port = server.start()
        stops.append(server.stop)
        out.print(f"SMS outbox       http://{host}:{port}  (X-Api-Key: {outbox.api_key}; GET /v1/outbox?to=)",
                  markup=False, highlight=False)
    if smtp_port:
        sink = SmtpSink(host, smtp_port).start()
        stops.append(sink.stop)
        out.print(f"SMTP sink        {host}:{sink.port}", markup=False, highlight=False)
    if channeltalk_port:
        stand_in = ChannelTalkStandIn()
        server = _Server(stand_in.app(), host, channeltalk_port)
        port = server.start()
        stops += [server.stop, stand_in.close]
        out.print(f"Channel Talk     http://{host}:{port}  (X-Access-Key: {stand_in.access_key})", markup=False,
                  highlight=False)
    return stops
