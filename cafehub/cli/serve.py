"""``cafehub serve``: run the service (segment API, web editor, chat) under uvicorn.

Imports of FastAPI and the service happen inside the command, so other
commands never pay for them.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from cafehub.cli.common import fail, out

if TYPE_CHECKING:
    from cafehub.service.config import ServiceConfig

app = typer.Typer(help="Run the cafehub service (segment API, web editor, chat).")

ConfigOpt = Annotated[Path | None, typer.Option(
    "--config", "-c", metavar="FILE", show_default=False,
    help="The service configuration (TOML). Default: $CAFEHUB_CONFIG, else ./cafehub.toml, else one shop "
    "'default' on ./cafehub.db.")]


@app.command()
def serve(
    config: ConfigOpt = None,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on (0: any free port).")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes.")] = 1,
    log_level: Annotated[str, typer.Option(help="uvicorn log level.")] = "info",
    keep_alive: Annotated[int, typer.Option(
        min=1, help="Seconds an idle client connection stays open (uvicorn's own default is 5 s, shorter than a "
        "customer takes to read and answer: every chat message then paid for a new connection).")] = 75,
) -> None:
    """Serve the API and the web editor; docs at /docs, the editor at /shops/SHOP/editor."""
    import os

    import uvicorn

    from cafehub.service.app import create_app
    from cafehub.service.config import CONFIG_ENV, ConfigError, load_config
    from cafehub.store.engines import StoreError

    try:
        loaded = load_config(config)
        application = create_app(loaded)  # also for --workers: report a bad configuration before forking
    except (ConfigError, StoreError) as error:
        fail(str(error), 1)
    shops = ", ".join(sorted(loaded.shops))
    out.print(f"cafehub: serving shop(s) {shops} on http://{host}:{port} (API docs at /docs)", markup=False)
    if workers == 1:
        uvicorn.run(application, host=host, port=port, log_level=log_level, server_header=False,
                    timeout_keep_alive=keep_alive)
        return
    problem = shared_state_problem(loaded)
    if problem:
        fail(f"--workers {workers}: {problem}", 1)
    if config is not None:  # each worker builds its own app from the same file
        os.environ[CONFIG_ENV] = str(config.resolve())
    uvicorn.run("cafehub.service.app:create_app", factory=True, host=host, port=port, workers=workers,
                log_level=log_level, server_header=False, timeout_keep_alive=keep_alive)


def shared_state_problem(config: ServiceConfig) -> str | None:
    """Why several worker processes would break a shop's chat, or ``None``.

    Conversations are in the store, leased per conversation, so any worker may answer any turn; but a
    conversation token signed by one worker must verify in the others (one ``CAFEHUB_OTP_SECRET``), and a code
    sent by one must be checked by another (codes in Redis, not in one process's memory).
    """
    import os

    from cafehub.runtime.identity.codes import SECRET_ENV

    chats = sorted(shop.id for shop in config.shops.values() if shop.chat is not None)
    if not chats:
        return None
    if not os.environ.get(SECRET_ENV):
        return f"set {SECRET_ENV} (32 bytes or more) so every worker signs and checks the same chat tokens and codes"
    memory = [shop.id for shop in config.shops.values() if shop.chat is not None and shop.chat.codes == "memory"]
    if memory:
        return (f"shop(s) {', '.join(memory)} keep one-time codes in one process's memory; set "
                "[shops.ID.chat] codes = \"redis://…\" so every worker sees them")
    return None
