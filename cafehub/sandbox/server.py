"""Running the sandbox: uvicorn servers in background threads on loopback.

:class:`SandboxServers` starts the Cafe24-like and the Sellmate-like app
(port 0 picks a free ephemeral port), waits until both listen, and stops them
on exit. Tests use it as a context manager; ``cafehub sandbox serve`` uses it
with fixed ports and waits for Ctrl-C.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import datetime

import uvicorn
from sqlalchemy import Engine

from .cafe24_app import build_app
from .control import Sandbox, SandboxConfig
from .sellmate_app import build_sellmate_app
from .state import open_shop


class _Server:
    def __init__(self, app: object, host: str, port: int) -> None:
        config = uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="off",  # type: ignore[arg-type]
                                access_log=False, timeout_keep_alive=30)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name=f"sandbox-{port}", daemon=True)

    def start(self, timeout: float = 10.0) -> int:
        self.thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the sandbox server did not start (is the port free?)")
            time.sleep(0.01)
        sockets = self.server.servers[0].sockets
        return int(sockets[0].getsockname()[1])

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@dataclass(frozen=True, slots=True)
class Endpoints:
    cafe24_url: str
    sellmate_url: str


class SandboxServers:
    """Both sandbox servers for one :class:`Sandbox`, in threads."""

    def __init__(self, sandbox: Sandbox, *, host: str = "127.0.0.1", port: int = 0, sellmate_port: int = 0) -> None:
        self.sandbox = sandbox
        self._cafe24 = _Server(build_app(sandbox), host, port)
        self._sellmate = _Server(build_sellmate_app(sandbox), host, sellmate_port)
        self.host = host
        self.endpoints: Endpoints | None = None

    def start(self) -> Endpoints:
        cafe24_port = self._cafe24.start()
        sellmate_port = self._sellmate.start()
        self.endpoints = Endpoints(f"http://{self.host}:{cafe24_port}", f"http://{self.host}:{sellmate_port}")
        return self.endpoints

    def stop(self) -> None:
        self._cafe24.stop()
        self._sellmate.stop()

    def __enter__(self) -> SandboxServers:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def cafe24_url(self) -> str:
        assert self.endpoints is not None
        return self.endpoints.cafe24_url

    @property
    def sellmate_url(self) -> str:
        assert self.endpoints is not None
        return self.endpoints.sellmate_url


def open_sandbox(engine: Engine, config: SandboxConfig = SandboxConfig()) -> Sandbox:
    """A sandbox over the store at ``engine`` (deriving its ``sandbox_*`` tables on first use)."""
    now = config.clock()
    shop = open_shop(engine, derive_now=_naive(now), zone=config.zone)
    return Sandbox(shop, config)


def _naive(moment: datetime) -> datetime:
    from datetime import UTC

    return moment.astimezone(UTC).replace(tzinfo=None)
