"""Where a chat turn's CPU goes in the service: conversations run in this process, profiled.

The sandbox runs as its own process (as in ``bench/chat_load.py``); the
service's chat runtime for one shop is built in this process from the same
configuration, and ``CONVERSATIONS`` conversations talk through its
conversation engine one after another (the same script as the load test:
history, details, ``/cancel``, then whatever the engine asks), first for
warm-up, then under ``cProfile``. Printed: CPU per turn of this process (the
service's share without its HTTP stack), the profile's top functions by
cumulative and by own time, and the number of SQL statements and Cafe24 and
Sellmate requests per turn.

``PYTHONPATH=. python -m bench.chat_profile [CONVERSATIONS]``
"""

from __future__ import annotations

import cProfile
import io
import os
import pstats
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.chat_load import _free_port, _next, _wait_for


def _conversation(chat: Any, member: str, counter: list[int]) -> None:
    from cafehub.runtime.conversations import Event

    engine = chat.conversations
    conversation = f"w-prof{counter[0]}"
    counter[0] += 1
    engine.store.create(conversation, "bench", "api", language="ko")
    body: dict[str, Any] | None = {"text": "주문 내역 보여주세요"}
    sent = 0
    while body is not None and sent < 12:
        if "text" in body:
            event = Event(kind="text", text=body["text"])
        elif "button" in body:
            event = Event(kind="button", command=body["button"]["command"], answers=body["button"]["answers"])
        else:
            event = Event(kind="button", command="", answers=body["answers"])
        answered = engine.answer("bench", conversation, event, message_id=f"{conversation}-{sent}", channel="api",
                                 member_id=member)
        sent += 1
        counter[1] += 1
        if not answered.messages:
            return
        body = _next(answered.messages[-1].model_dump(mode="json"))


def main() -> None:
    from sqlalchemy import create_engine, event

    from cafehub.sandbox.sample import sample_shop
    from cafehub.service.chat.runtime import chat_runtime
    from cafehub.service.config import parse_config
    from cafehub.service.state import ServiceState
    from cafehub.service.tokens import TokenStore
    from cafehub.store import io as store_io

    count = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    now = datetime.now(UTC)
    data = sample_shop(customers=200, orders=3000, start=(now - timedelta(days=170)).replace(tzinfo=None))
    members = sorted({o.member_id for o in data.orders if o.member_id})
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        source = create_engine(f"sqlite:///{folder / 'source.db'}")
        store_io.create_schema(source)
        store_io.write_shop(source, data)
        port, sellmate_port = _free_port(), _free_port()
        sandbox = subprocess.Popen(
            [sys.executable, "-m", "cafehub", "sandbox", "serve", "--db", str(source.url), "--port", str(port),
             "--sellmate-port", str(sellmate_port), "--no-rate-limit", "--sms-port", "0", "--smtp-port", "0",
             "--channeltalk-port", "0"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            _wait_for(port, sandbox)
            (folder / "shop.toml").write_text('[hub]\nwms = "sellmate"\ncancel_mode = "complete"\n',
                                              encoding="utf-8")
            store = folder / "chat.db"
            create_engine(f"sqlite:///{store}").connect().close()
            config = parse_config({"shops": {"bench": {"store": f"sqlite:///{store}", "chat": {
                "key": "pk_bench_" + "x" * 20, "mall_id": "demo", "cafe24_url": f"http://127.0.0.1:{port}",
                "client_id": "sandbox-client", "client_secret": "sandbox-secret",
                "sellmate_url": f"http://127.0.0.1:{sellmate_port}", "sellmate_key": "sandbox-sellmate-key",
                "settings": "shop.toml", "cafe24_capacity": 100000, "cafe24_drain_per_second": 100000.0,
                "cafe24_max_per_second": 100000.0}}}}, folder)
            state = ServiceState(config=config, tokens=TokenStore.open(f"sqlite:///{folder / 'service.db'}"))
            chat = chat_runtime(state).shop(config.shops["bench"])
            statements: Counter[str] = Counter()

            def count_sql(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
                statements[statement.split(None, 1)[0].upper()] += 1

            def count_commit(conn: Any) -> None:
                statements["(commit)"] += 1

            event.listen(chat.conversations.store.engine, "before_cursor_execute", count_sql)
            event.listen(chat.conversations.store.engine, "commit", count_commit)
            counter = [0, 0]
            for member in members[:5]:  # warm-up: imports, statement caches, connections
                _conversation(chat, member, counter)
            counter[1] = 0
            plain = time.process_time()
            for member in members[5 + count:5 + 2 * count]:  # the same work unprofiled, for its real CPU time
                _conversation(chat, member, counter)
            plain = time.process_time() - plain
            print(f"unprofiled: {plain / counter[1] * 1e3:.2f} ms CPU per turn in this process ({counter[1]} turns)")
            statements.clear()
            counter[1] = 0
            profile = cProfile.Profile(time.thread_time)  # CPU time: the machine is shared
            cpu, wall = time.process_time(), time.perf_counter()
            profile.enable()
            for member in members[5:5 + count]:
                _conversation(chat, member, counter)
            profile.disable()
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
            turns = counter[1]
            print(f"{count} conversations, {turns} turns: {cpu / turns * 1e3:.2f} ms CPU per turn in this process "
                  f"(profiled), wall {wall / turns * 1e3:.2f} ms; load average {os.getloadavg()[0]:.2f}")
            print("SQL statements per turn (the store's engine): "
                  + ", ".join(f"{k} {v / turns:.2f}" for k, v in statements.most_common()))
            out = io.StringIO()
            stats = pstats.Stats(profile, stream=out)
            stats.sort_stats("cumulative").print_stats(60)
            stats.sort_stats("tottime").print_stats(40)
            stats.print_callers("request")
            print(out.getvalue())
            state.close()
        finally:
            sandbox.terminate()
            sandbox.wait(timeout=30)


if __name__ == "__main__":
    main()
