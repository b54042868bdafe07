"""Chat API under load: 200 conversations at once against the sandbox, every turn over HTTP on loopback.

Three processes: the sandbox (``cafehub sandbox serve --no-rate-limit``, a
200-member, 3,000-order shop), the service (``cafehub serve``, one chat shop
on that sandbox, the client's Cafe24 bucket opened wide: the rate limit is
off on both sides, so no turn waits for it) and this load generator. Each
conversation is one member, opened by the shop's server (API token), and
talks like a customer with a think time between messages: order history →
details → ``/cancel`` → the first cancellable order → whatever the engine
asks (scope, items, refund account, reason) → confirm, or stops where the
shop refuses. One turn in twenty is sent twice with the same message id (a
client's retry): it must get the same answer and run nothing again.

After the run every transcript is read back and checked: each message sent
recorded once, each answered, no cancellation written twice in the sandbox.
The baseline, measured in the same run, is one conversation turn alone (no
other load). Reported: turn latency (median, p95) under load and alone,
conversations per second sustained, turns per second. Bounded: a deadline
for the whole run and a timeout per request. Target: p95 <= 100 ms.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

TARGET_P95_MS = 100.0
#: Conversations at once (``CAFEHUB_BENCH_CHAT_CONVERSATIONS``).
CONVERSATIONS = int(os.environ.get("CAFEHUB_BENCH_CHAT_CONVERSATIONS", "200"))
#: Worker processes of ``cafehub serve`` (``CAFEHUB_BENCH_CHAT_WORKERS``; conversations are in the store, leased
#: per conversation, so any worker may answer any turn).
WORKERS = int(os.environ.get("CAFEHUB_BENCH_CHAT_WORKERS", "1"))
#: Seconds a customer takes between messages (``CAFEHUB_BENCH_CHAT_THINK="5,15"`` for people who read first).
THINK_SECONDS = tuple(float(x) for x in os.environ.get("CAFEHUB_BENCH_CHAT_THINK", "0.5,1.5").split(",")[:2])
DEADLINE_SECONDS = 600.0
REQUEST_TIMEOUT = 60.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for(port: int, process: subprocess.Popen[bytes], timeout: float = 180.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"a server exited with {process.returncode} before listening")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit("a server did not start in time")


class _Response:
    """What the load generator reads of an answer."""

    def __init__(self, status_code: int, headers: dict[str, str], body: bytes) -> None:
        self.status_code = status_code
        self.headers = headers
        self.body = body

    def json(self) -> Any:
        return json.loads(self.body)

    def raise_for_status(self) -> None:
        if self.status_code >= 400:
            raise RuntimeError(f"HTTP {self.status_code}: {self.body[:200]!r}")


class _Connection:
    """One customer's keep-alive HTTP/1.1 connection to the service, as a browser tab holds one.

    The load generator shares the machine's cores with the two servers it measures, so it is kept cheap:
    httpx's async client cost about 11 ms of CPU per turn here (more than the service's own turn), this
    about 1 ms. A connection the server closed while idle (uvicorn's keep-alive timeout is 5 s, shorter than
    people's think time) is opened again and the request sent again, as a client would.
    """

    def __init__(self, host: str, port: int, tally: Tally) -> None:
        self.host, self.port, self.tally = host, port, tally
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, method: str, path: str, *, body: Any = None,
                      headers: dict[str, str] | None = None) -> _Response:
        payload = b"" if body is None else json.dumps(body, separators=(",", ":")).encode()
        head = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}", f"Content-Length: {len(payload)}"]
        if body is not None:
            head.append("Content-Type: application/json")
        head += [f"{k}: {v}" for k, v in (headers or {}).items()]
        data = ("\r\n".join(head) + "\r\n\r\n").encode() + payload
        for attempt in range(4):
            if self.reader is None or self.writer is None or self.reader.at_eof() or self.writer.is_closing():
                self.close()
                self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
            try:
                return await asyncio.wait_for(self._exchange(data), REQUEST_TIMEOUT)
            except (ConnectionError, asyncio.IncompleteReadError):
                self.close()
                if attempt == 3:
                    raise
                self.tally.reconnects += 1
        raise AssertionError("unreachable")

    async def _exchange(self, data: bytes) -> _Response:
        assert self.reader is not None
        assert self.writer is not None
        self.writer.write(data)
        await self.writer.drain()
        lines = (await self.reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            if name:
                headers[name.strip().lower()] = value.strip()
        assert "chunked" not in headers.get("transfer-encoding", ""), "the chat API answers with a length"
        body = await self.reader.readexactly(int(headers.get("content-length", "0")))
        if headers.get("connection", "").lower() == "close":
            self.close()
        return _Response(status, headers, body)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


def _p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[max(0, int(len(ordered) * 0.95) - 1)] if ordered else 0.0


def _median(samples: list[float]) -> float:
    return statistics.median(samples) if samples else 0.0


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    #: Per turn, from the service's ``Server-Timing``: its own time (from a worker thread taking the request to
    #: the answer), that thread's CPU time, and of its time the part spent waiting for Cafe24's rate limit.
    server_ms: list[float] = field(default_factory=list)
    server_cpu_ms: list[float] = field(default_factory=list)
    cafe24_wait_ms: list[float] = field(default_factory=list)
    #: Per conversation: its token headers, messages sent (retries not counted), bot messages received.
    sent: dict[str, tuple[dict[str, str], int, int]] = field(default_factory=dict)
    retried: int = 0
    reconnects: int = 0
    retry_mismatches: int = 0
    cancelled: dict[str, str] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    outcomes: dict[str, int] = field(default_factory=dict)


def run(conversations: int = CONVERSATIONS, **_: Any) -> dict[str, Any]:
    """Run the load (the suite's ``--customers`` does not apply: a 200-member, 3,000-order shop)."""
    from sqlalchemy import create_engine, text

    from cafehub.sandbox.sample import sample_shop
    from cafehub.service.tokens import Scope, TokenStore
    from cafehub.store import io as store_io

    now = datetime.now(UTC)
    data = sample_shop(customers=200, orders=3000, start=(now - timedelta(days=170)).replace(tzinfo=None))
    members = sorted({o.member_id for o in data.orders if o.member_id})[:conversations]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        source = create_engine(f"sqlite:///{folder / 'source.db'}")
        store_io.create_schema(source)
        store_io.write_shop(source, data)
        store_url = os.environ.get("CAFEHUB_BENCH_STORE") or f"sqlite:///{folder / 'chat.db'}"
        if store_url.startswith("sqlite"):
            create_engine(store_url).connect().close()
        port, sellmate_port, service_port = _free_port(), _free_port(), _free_port()
        sandbox = subprocess.Popen(
            [sys.executable, "-m", "cafehub", "sandbox", "serve", "--db", str(source.url), "--port", str(port),
             "--sellmate-port", str(sellmate_port), "--no-rate-limit", "--sms-port", "0", "--smtp-port", "0",
             "--channeltalk-port", "0"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        service = None
        try:
            _wait_for(port, sandbox)
            (folder / "shop.toml").write_text('[hub]\nwms = "sellmate"\ncancel_mode = "complete"\n', encoding="utf-8")
            (folder / "cafehub.toml").write_text(f'''
[shops.bench]
store = "{store_url}"

[shops.bench.chat]
key = "pk_bench_{'x' * 20}"
mall_id = "demo"
cafe24_url = "http://127.0.0.1:{port}"
client_id = "sandbox-client"
client_secret = "sandbox-secret"
sellmate_url = "http://127.0.0.1:{sellmate_port}"
sellmate_key = "sandbox-sellmate-key"
settings = "shop.toml"
cafe24_capacity = 100000
cafe24_drain_per_second = 100000.0
cafe24_max_per_second = 100000.0
{'codes = "redis://127.0.0.1:6379/15"' if WORKERS > 1 else ""}
''', encoding="utf-8")
            tokens = TokenStore.open(f"sqlite:///{folder / 'cafehub-service.db'}")
            token = tokens.issue("bench", "load", frozenset({Scope.READ, Scope.WRITE})).token
            tokens.close()
            service_log = (folder / "service.log").open("wb")
            service = subprocess.Popen(
                [sys.executable, "-m", "cafehub", "serve", "--config", str(folder / "cafehub.toml"),
                 "--port", str(service_port), "--log-level", "warning", "--workers", str(WORKERS)],
                stdout=service_log, stderr=subprocess.STDOUT,
                env={**os.environ, "CAFEHUB_OTP_SECRET": "b" * 64})
            _wait_for(service_port, service)
            base = "/v1/shops/bench/chat"
            result = asyncio.run(_load(service_port, base, token, members,
                                       {"service": service.pid, "sandbox": sandbox.pid}))
            claims = _claims(create_engine(str(source.url)), text)
            logged = (folder / "service.log").read_text(encoding="utf-8", errors="replace").splitlines()
            result["service_errors"] = [line for line in logged if "Error" in line or "error" in line][-20:]
        finally:
            for process in (service, sandbox):
                if process is not None:
                    process.terminate()
                    process.wait(timeout=30)
    result["doubled_writes"] = sum(1 for count in claims.values() if count > 1)
    result["store"] = "CAFEHUB_BENCH_STORE" if os.environ.get("CAFEHUB_BENCH_STORE") else "sqlite file"
    result["shop"] = {"customers": 200, "orders": 3000}
    result["target_p95_ms"] = TARGET_P95_MS
    result["think_seconds"] = list(THINK_SECONDS)
    result["workers"] = WORKERS
    result["http_stack"] = _http_stack()
    result["cpus"] = os.cpu_count()
    return result


def _http_stack() -> str:
    """What uvicorn serves with: httptools and uvloop when ``cafehub[serve]`` is installed, else h11, asyncio."""
    from importlib.util import find_spec

    return " + ".join(("httptools" if find_spec("httptools") else "h11", "uvloop" if find_spec("uvloop") else
                       "asyncio"))


def _cpu_seconds(pid: int) -> float:
    """CPU time (user + system) a process and its live children (``--workers``) have used so far (Linux /proc)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        children = [int(c) for task in Path(f"/proc/{pid}/task").iterdir()
                    for c in (task / "children").read_text().split()]
    except OSError:
        return 0.0
    own = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return own + sum(_cpu_seconds(child) for child in children)


def _claims(engine: Any, text: Any) -> dict[str, int]:
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT order_id, COUNT(*) FROM sandbox_claims GROUP BY order_id")).all()
    return {r[0]: int(r[1]) for r in rows}


async def _load(port: int, base: str, token: str, members: list[str], pids: dict[str, int]) -> dict[str, Any]:
    """The conversation alone (after another as a warm-up: the first turns of a fresh service pay for its
    connections and caches), then all of them at once; the CPU each process used during the latter."""
    warm = Tally()
    await _conversation(_Connection("127.0.0.1", port, warm), base, token, members[-1], warm, random.Random(2),
                        think=(0.0, 0.0))
    alone = Tally()
    await _conversation(_Connection("127.0.0.1", port, alone), base, token, members[0], alone, random.Random(1),
                        think=(0.0, 0.0))
    tally = Tally()
    rng = random.Random(7)
    think = (THINK_SECONDS[0], THINK_SECONDS[-1])
    connections = [_Connection("127.0.0.1", port, tally) for _ in members]
    tasks = [_conversation(connection, base, token, m, tally, random.Random(rng.random()), think=think)
             for connection, m in zip(connections, members, strict=True)]
    cpu_before = {name: _cpu_seconds(pid) for name, pid in pids.items()}
    own_before, load_before = time.process_time(), os.getloadavg()
    started = time.perf_counter()
    await asyncio.wait_for(asyncio.gather(*tasks), timeout=DEADLINE_SECONDS)
    wall = time.perf_counter() - started
    cpu = {name: round(_cpu_seconds(pid) - cpu_before[name], 2) for name, pid in pids.items()}
    cpu["load generator"] = round(time.process_time() - own_before, 2)
    load_after = os.getloadavg()
    lost = await _check_transcripts(connections[0], base, tally)
    for connection in connections:
        connection.close()
    turns = len(tally.latencies)
    own = [latency - wait for latency, wait in zip(tally.latencies, tally.cafe24_wait_ms, strict=True)]
    return {
        "conversations": len(members),
        "cpu_s": cpu,
        "load_average": {"before": [round(x, 2) for x in load_before], "after": [round(x, 2) for x in load_after]},
        "wall_s": round(wall, 2),
        "conversations_per_s": round(len(members) / wall, 2),
        "turns": turns,
        "turns_per_s": round(turns / wall, 2),
        "median_ms": round(statistics.median(tally.latencies), 1),
        "p95_ms": round(_p95(tally.latencies), 1),
        "max_ms": round(max(tally.latencies), 1),
        "alone_median_ms": round(statistics.median(alone.latencies), 1),
        "alone_p95_ms": round(_p95(alone.latencies), 1),
        "ex_wait_median_ms": round(_median(own), 1),
        "ex_wait_p95_ms": round(_p95(own), 1),
        "cafe24_wait_total_s": round(sum(tally.cafe24_wait_ms) / 1e3, 3),
        "server_median_ms": round(_median(tally.server_ms), 1),
        "server_p95_ms": round(_p95(tally.server_ms), 1),
        "server_cpu_median_ms": round(_median(tally.server_cpu_ms), 2),
        "alone_server_median_ms": round(_median(alone.server_ms), 1),
        "alone_server_cpu_median_ms": round(_median(alone.server_cpu_ms), 2),
        "retried_turns": tally.retried,
        "reconnects": tally.reconnects,
        "retry_mismatches": tally.retry_mismatches,
        "lost_or_doubled_messages": lost,
        "cancellations": len(tally.cancelled),
        "outcomes": tally.outcomes,
        "errors": tally.errors[:10],
    }


def _server_timing(header: str) -> dict[str, float]:
    """``turn;dur=12.5, cpu;dur=3.1, cafe24-wait;dur=0.00`` as ``{"turn": 12.5, ...}`` (milliseconds)."""
    found: dict[str, float] = {}
    for part in header.split(","):
        name, _, rest = part.strip().partition(";dur=")
        if name and rest:
            found[name] = float(rest)
    return found


def _buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    return [b for block in message["blocks"] if block["type"] == "order" for b in block["buttons"]] + \
        message["buttons"]


def _next(message: dict[str, Any]) -> dict[str, Any] | None:
    """What the customer sends next, from what the bot asked (``None``: the conversation is over)."""
    key = message["key"]
    expect = message.get("expect")
    if key == "orders.title":
        return {"button": _press(_buttons(message)[0])}
    if key == "orders.detail":
        return {"text": "/cancel"}
    if expect is None:
        return None
    kind, answer = expect["kind"], expect["answer"]
    if kind in ("order", "choice", "confirm"):
        wanted = {"scope": "whole", "confirm": True}.get(answer)
        buttons = _buttons(message)
        chosen = next((b for b in buttons if wanted is None or b["answers"].get(answer) == wanted), buttons[0])
        return {"button": _press(chosen)}
    if kind == "items":
        first = next(i["order_item_code"] for b in message["blocks"] if b["type"] == "order"
                     for i in b["items"] if i["selectable"])
        return {"answers": {"items": [first]}}
    if kind == "fields" and answer == "account":
        return {"answers": {"account": {"bank_code": "bank_04", "account_no": "123-456-7890", "holder": "Kim"}}}
    return None


def _press(button: dict[str, Any]) -> dict[str, Any]:
    return {"command": button["command"], "answers": button["answers"]}


async def _conversation(http: _Connection, base: str, token: str, member: str, tally: Tally,
                        rng: random.Random, *, think: tuple[float, float]) -> None:
    try:
        opened = await http.request("POST", f"{base}/conversations", body={"member_id": member, "language": "ko"},
                                    headers={"Authorization": f"Bearer {token}"})
        opened.raise_for_status()
        conversation = opened.json()["conversation_id"]
        headers = {"Authorization": f"Bearer {opened.json()['token']}"}
        body: dict[str, Any] | None = {"text": "주문 내역 보여주세요"}
        sent = received = 0
        while body is not None and sent < 12:
            await asyncio.sleep(rng.uniform(*think))
            body = {**body, "message_id": f"{conversation}-{sent}"}
            start = time.perf_counter()
            response = await http.request("POST", f"{base}/conversations/{conversation}/messages", body=body,
                                          headers=headers)
            tally.latencies.append((time.perf_counter() - start) * 1e3)
            timing = _server_timing(response.headers.get("server-timing", ""))
            tally.server_ms.append(timing.get("turn", 0.0))
            tally.server_cpu_ms.append(timing.get("cpu", 0.0))
            tally.cafe24_wait_ms.append(timing.get("cafe24-wait", 0.0))
            response.raise_for_status()
            answer = response.json()
            sent += 1
            received += len(answer["messages"])
            if rng.random() < 0.05:  # a client's retry of the same message
                again = await http.request("POST", f"{base}/conversations/{conversation}/messages", body=body,
                                           headers=headers)
                tally.retried += 1
                if again.json()["messages"] != answer["messages"]:
                    tally.retry_mismatches += 1
            last = answer["messages"][-1]["message"] if answer["messages"] else None
            if last is None:
                break
            tally.outcomes[last["key"]] = tally.outcomes.get(last["key"], 0) + 1
            if last["key"] in ("cancel.done", "cancel.done_no_refund", "cancel.requested"):
                tally.cancelled[conversation] = last["key"]
            body = _next(last)
        tally.sent[conversation] = (headers, sent, received)
    except Exception as error:  # reported, and the run goes on
        tally.errors.append(f"{member}: {type(error).__name__}: {str(error)[:120]}")


async def _check_transcripts(http: _Connection, base: str, tally: Tally) -> int:
    """Conversations whose transcript does not hold each message sent exactly once and each bot message
    received exactly once (a lost or doubled message on either side)."""
    wrong = 0
    for conversation, (headers, sent, received) in tally.sent.items():
        response = await http.request("GET", f"{base}/conversations/{conversation}/messages", headers=headers)
        roles = [entry["role"] for entry in response.json()["entries"]]
        if roles.count("user") != sent or roles.count("bot") != received:
            wrong += 1
    return wrong


def report(result: dict[str, Any]) -> str:
    load = result.get("load_average", {})
    cpu, turns = result["cpu_s"], max(result["turns"], 1)
    lines = [
        f"{result['conversations']} conversations at once, {result['turns']} turns in {result['wall_s']} s "
        f"(rate limit off; think time {THINK_SECONDS[0]}-{THINK_SECONDS[-1]} s; store: {result['store']}; "
        f"{result.get('workers', 1)} service worker(s); {result.get('cpus')} CPUs, load average "
        f"{load.get('before', ['?'])[0]} before, {load.get('after', ['?'])[0]} after)",
        f"  turn latency under load: median {result['median_ms']} ms, p95 {result['p95_ms']} ms "
        f"(target <= {TARGET_P95_MS:.0f} ms), max {result['max_ms']} ms; excluding Cafe24 rate-limit waits "
        f"({result.get('cafe24_wait_total_s', 0)} s in all): median {result.get('ex_wait_median_ms')} ms, "
        f"p95 {result.get('ex_wait_p95_ms')} ms",
        f"  inside the service (Server-Timing, no queueing): median {result.get('server_median_ms')} ms, "
        f"p95 {result.get('server_p95_ms')} ms; CPU of the turn's thread: median "
        f"{result.get('server_cpu_median_ms')} ms",
        f"  one conversation alone:  median {result['alone_median_ms']} ms, p95 {result['alone_p95_ms']} ms "
        f"(p95 ratio under load {result['p95_ms'] / max(result['alone_p95_ms'], 0.001):.1f}x); inside the "
        f"service median {result.get('alone_server_median_ms')} ms, CPU {result.get('alone_server_cpu_median_ms')} ms",
        f"  sustained: {result['conversations_per_s']} conversations/s, {result['turns_per_s']} turns/s; "
        f"{result['cancellations']} cancellations written",
        f"  CPU used during the load: service {cpu['service']} s, sandbox {cpu['sandbox']} s, "
        f"load generator {cpu.get('load generator', '?')} s; per turn (load-insensitive): "
        + ", ".join(f"{name} {seconds / turns * 1e3:.1f} ms" for name, seconds in cpu.items())
        + f", all three {sum(cpu.values()) / turns * 1e3:.1f} ms (service on {result.get('http_stack', '?')})",
        f"  retries: {result['retried_turns']} sent twice, {result['retry_mismatches']} answered differently, "
        f"{result['reconnects']} resent after a dropped connection; "
        f"lost or doubled messages: {result['lost_or_doubled_messages']}; doubled writes: {result['doubled_writes']}",
    ]
    if result["errors"]:
        lines.append("  errors: " + "; ".join(result["errors"]))
    return "\n".join(lines)
