"""``cafehub chat``: talk to the chat bot in the terminal, against the sandbox, as a customer would.

The same conversation engine as the chat API and Channel Talk: intent,
verification by a one-time code (printed on the terminal by the console
sender, the number masked), every command (/orders, /eta, /cancel, /return,
/address) with its questions; a number presses the button it labels.
``/photo PATH`` uploads a photo when a return asks for one, ``/quit`` ends.
Without ``--sandbox-url`` the sandbox runs in-process over ``--db`` (with
``--sample``, an empty store gets the sample shop). Conversations are kept in
the store: run it again with the same ``--conversation`` to continue.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from cafehub.cli.common import fail, out

app = typer.Typer(help="Talk to the chat bot in the terminal (against the sandbox or a mall).")


@app.command()
def chat(
    member: Annotated[str | None, typer.Option("--member", help="Chat as this signed-in member.")] = None,
    lang: Annotated[str, typer.Option("--lang", help="The first language: ja, ko or en.")] = "ko",
    conversation: Annotated[str, typer.Option("--conversation", help="Continue this conversation.")] = "terminal",
    settings: Annotated[Path | None, typer.Option("--settings", help="A shop settings file (TOML).")] = None,
    db: Annotated[str | None, typer.Option("--db", help="Store URL (default: the embedded SQLite file).")] = None,
    sandbox_url: Annotated[str | None, typer.Option("--sandbox-url", help="A running sandbox.")] = None,
    sellmate_url: Annotated[str | None, typer.Option("--sellmate-url", help="A running Sellmate sandbox.")] = None,
    mall: Annotated[str, typer.Option("--mall")] = "demo",
    sample: Annotated[bool, typer.Option("--sample", help="Fill an empty store with the sample shop.")] = False,
) -> None:
    """Chat with the bot; one line per message."""
    from cafehub.cli.command import open_engine
    from cafehub.runtime.conversations import ChatActions, ChatStore, ConversationEngine, Event, render_text
    from cafehub.runtime.identity import ConsoleSender, MemoryCodeStore, OtpService, load_secret

    if lang not in ("ja", "ko", "en"):
        fail("--lang is one of ja, ko, en")
    with open_engine(settings, db, sandbox_url, sellmate_url, mall, sample) as commands:
        otp = OtpService(MemoryCodeStore(), ConsoleSender(sys.stdout), load_secret(allow_random=True))
        actions = ChatActions(commands, otp, shop=mall)
        engine = ConversationEngine(ChatStore(commands.ledger.engine), lambda _shop: actions)
        out.print("Type a message (a number presses that button; /photo PATH uploads a photo; /quit ends).",
                  markup=False, highlight=False)
        for line in sys.stdin:
            text = line.strip()
            if not text:
                continue
            if text in ("/quit", "/exit"):
                break
            event = Event(kind="text", text=text)
            if text.startswith("/photo "):
                path = Path(text.removeprefix("/photo ").strip())
                try:
                    uploaded = commands.upload_photo(path.read_bytes())
                except OSError as error:
                    out.print(f"cannot read {path}: {error.strerror}", markup=False, highlight=False)
                    continue
                if uploaded.photo_id is None:
                    problem = uploaded.problem.value if uploaded.problem else "refused"
                    out.print(f"{path}: {problem}", markup=False, highlight=False)
                    continue
                event = Event(kind="photos", photos=(uploaded.photo_id,))
            replies = engine.handle(mall, conversation, event, channel="terminal", member_id=member, language=lang)
            for reply in replies:
                out.print(render_text(reply) + "\n", markup=False, highlight=False)
