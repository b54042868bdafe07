"""``cafehub command``: run a chat command step against the sandbox or a real mall.

``cafehub command run "/cancel" --member m0001 --order 20250301-0000012 --choice whole --choice change_of_mind``
runs one step with those answers and prints the message (``--json``: the
whole structured result). Without ``--settings`` or ``--sandbox-url`` the
sandbox is started in-process over the store (``--db``). Staff decide held
returns with ``cafehub command pending list|approve|reject``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from cafehub.cli.common import fail, out

if TYPE_CHECKING:
    from cafehub.runtime.engine import CommandEngine
    from cafehub.runtime.result import StepResult

app = typer.Typer(help="Run chat commands (order history, ETA, cancel, return/exchange, address).",
                  no_args_is_help=True)

SANDBOX_CLIENT = ("sandbox-client", "sandbox-secret")
SANDBOX_SELLMATE_KEY = "sandbox-sellmate-key"
#: ``--choice`` values and the answer each fills.
SCOPES = ("whole", "items")
KINDS = ("return", "exchange")
#: What to pass for each question (shown after a message that asks).
OPTION_FOR = {"order": "--order ID", "scope": "--choice whole|items", "items": "--items CODE[:QTY],...",
              "kind": "--choice return|exchange", "reason": "--choice REASON", "photos": "--photo PATH",
              "account": "--account BANK_CODE:NUMBER:HOLDER", "address": "--address zipcode=...,address1=...",
              "confirm": "--confirm (or --no-confirm)"}


def _reasons() -> set[str]:
    from cafehub.runtime.rules.cancel import CancelReason
    from cafehub.runtime.rules.returns import ReturnReason

    return {r.value for r in CancelReason} | {r.value for r in ReturnReason}


def _pairs(text: str, option: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        key, sep, value = part.partition("=")
        if not sep or not key:
            fail(f"{option} takes key=value pairs separated by commas")
        out[key.strip()] = value.strip()
    return out


def build_answers(
    *, order: str | None, items: str | None, choices: list[str], variants: list[str], photos: list[str],
    account: str | None, address: str | None, confirm: bool | None,
) -> dict[str, Any]:
    """The answers of one step from the command line."""
    answers: dict[str, Any] = {}
    if order:
        answers["order"] = order
    if items:
        picked = []
        for part in filter(None, (p.strip() for p in items.split(","))):
            code, _, quantity = part.partition(":")
            if quantity and not quantity.isdigit():
                fail("--items takes CODE or CODE:QUANTITY, separated by commas")
            picked.append({"order_item_code": code, **({"quantity": int(quantity)} if quantity else {})})
        answers["items"] = picked
    reasons = _reasons()
    for choice in choices:
        slot = ("scope" if choice in SCOPES else "kind" if choice in KINDS else "reason" if choice in reasons
                else None)
        if slot is None:
            fail(f"--choice {choice!r} is none of: {', '.join((*SCOPES, *KINDS, *sorted(reasons)))}")
        answers[slot] = choice
    if variants:
        answers["variants"] = _pairs(",".join(variants), "--variant")
    if photos:
        answers["photos"] = photos
    if account:
        bank, number, holder = ([*account.split(":", 2), "", ""])[:3]
        answers["account"] = {"bank_code": bank, "account_no": number, "holder": holder}
    if address:
        answers["address"] = _pairs(address, "--address")
    if confirm is not None:
        answers["confirm"] = confirm
    return answers


@contextmanager
def open_engine(settings_file: Path | None, db: str | None, sandbox_url: str | None, sellmate_url: str | None,
                mall: str, sample: bool) -> Iterator[CommandEngine]:
    """An engine for a mall (``--settings``), a running sandbox (``--sandbox-url``) or an in-process sandbox."""
    from cafehub.connectors.cafe24.client import Cafe24Client
    from cafehub.connectors.config import Cafe24Config
    from cafehub.connectors.errors import ConnectorError
    from cafehub.connectors.sellmate import SellmateClient, SellmateConfig
    from cafehub.connectors.tokens import MemoryTokenStore, SqlTokenStore
    from cafehub.runtime.engine import CommandEngine
    from cafehub.runtime.reads import ShopConnectors
    from cafehub.runtime.settings import HubSettings, SettingsError, ShopSettings, load_settings
    from cafehub.store.engines import StoreError
    from cafehub.store.engines import open_engine as open_store

    try:
        store = open_store(db)
        raw: dict[str, Any] = {}
        if settings_file is not None:
            import tomllib

            settings = load_settings(settings_file)
            raw = tomllib.loads(settings_file.read_text(encoding="utf-8"))
        else:
            settings = ShopSettings(hub=HubSettings(wms="sellmate"))
    except (StoreError, SettingsError) as error:
        fail(str(error))
    cafe24 = raw.get("cafe24", {})
    sellmate = raw.get("sellmate", {})
    servers = None
    try:
        if settings_file is not None and cafe24.get("base_url") is None and sandbox_url is None:
            secret = os.environ.get("CAFEHUB_CAFE24_CLIENT_SECRET", "")
            if not secret:
                fail("set CAFEHUB_CAFE24_CLIENT_SECRET for the mall's app")
            config = Cafe24Config(mall_id=cafe24.get("mall_id", mall), client_id=cafe24.get("client_id", ""),
                                  client_secret=secret, zone=settings.hub.zone)
            client = Cafe24Client(config, SqlTokenStore(store))
            if client.tokens.store.load(config.mall_id) is None:
                fail(f"mall {config.mall_id!r} is not authorized yet: run `cafehub sync --authorize-url` first")
            sellmate_client = None
            if settings.hub.wms == "sellmate":
                key = os.environ.get("CAFEHUB_SELLMATE_API_KEY", "")
                if not key or not sellmate.get("base_url"):
                    fail("a Sellmate shop needs [sellmate] base_url and CAFEHUB_SELLMATE_API_KEY")
                sellmate_client = SellmateClient(SellmateConfig(base_url=sellmate["base_url"], api_key=key))
        else:
            url, sm_url = sandbox_url or cafe24.get("base_url"), sellmate_url or sellmate.get("base_url")
            if url is None:
                servers, url, sm_url = _local_sandbox(store, mall, sample)
            config = Cafe24Config(mall_id=mall, client_id=SANDBOX_CLIENT[0], client_secret=SANDBOX_CLIENT[1],
                                  base_url=url, zone=settings.hub.zone)
            client = Cafe24Client(config, MemoryTokenStore())
            client.tokens.authorize_with_code(client.oauth.approve_without_browser())
            sellmate_client = (SellmateClient(SellmateConfig(base_url=sm_url, api_key=SANDBOX_SELLMATE_KEY))
                               if sm_url and settings.hub.wms == "sellmate" else None)
        overrides = raw.get("mall") or None
        engine = CommandEngine(ShopConnectors(client, sellmate_client), store, settings, mall_id=config.mall_id,
                               mall_overrides=overrides)
    except ConnectorError as error:
        if servers is not None:
            servers.stop()
        fail(str(error))
    try:
        yield engine
    finally:
        engine.close()
        if servers is not None:
            servers.stop()


def _local_sandbox(store: Any, mall: str, sample: bool) -> tuple[Any, str, str]:
    from sqlalchemy import inspect

    from cafehub.sandbox.control import SandboxConfig
    from cafehub.sandbox.sample import sample_shop
    from cafehub.sandbox.server import SandboxServers, open_sandbox
    from cafehub.store import io as store_io

    if not inspect(store).has_table("orders"):
        if not sample:
            fail("the store holds no shop: run `cafehub demo` first, pass --sample, or give --sandbox-url")
        store_io.create_schema(store)
        store_io.write_shop(store, sample_shop())
    sandbox = open_sandbox(store, SandboxConfig(mall_id=mall, rate_limit=False))
    servers = SandboxServers(sandbox)
    endpoints = servers.start()
    return servers, endpoints.cafe24_url, endpoints.sellmate_url


def _print(result: StepResult, as_json: bool) -> None:
    if as_json:
        out.print(json.dumps(result.model_dump(mode="json"), ensure_ascii=False, indent=2), markup=False,
                  highlight=False)
        return
    out.print(result.message.plain_text(), markup=False, highlight=False)
    expect = result.message.expect
    if result.state == "asking" and expect is not None:
        option = OPTION_FOR.get(expect.answer.split(".")[0], f"--{expect.answer}")
        if expect.answer.startswith("variants."):
            option = f"--variant {expect.answer.split('.', 1)[1]}=VARIANT_CODE"
        out.print(f"(answer with {option})", markup=False, highlight=False)


@app.command()
def run(
    command: Annotated[str, typer.Argument(help="/orders, /eta, /cancel, /return, /address (or ja/ko names).")],
    member: Annotated[str | None, typer.Option("--member", help="A signed-in member's id.")] = None,
    guest_order: Annotated[list[str] | None, typer.Option("--guest-order", help="A verified guest's order id.")]
    = None,
    lang: Annotated[str, typer.Option("--lang", help="ja, ko or en.")] = "ja",
    as_json: Annotated[bool, typer.Option("--json", help="Print the structured result as JSON.")] = False,
    order: Annotated[str | None, typer.Option("--order")] = None,
    items: Annotated[str | None, typer.Option("--items", help="CODE[:QTY],...")] = None,
    choice: Annotated[list[str] | None, typer.Option("--choice", help="whole/items, return/exchange, a reason.")]
    = None,
    variant: Annotated[list[str] | None, typer.Option("--variant", help="ITEM_CODE=VARIANT_CODE")] = None,
    photo: Annotated[list[Path] | None, typer.Option("--photo", help="A photo file (defect, wrong item).")] = None,
    account: Annotated[str | None, typer.Option("--account", help="BANK_CODE:NUMBER:HOLDER")] = None,
    address: Annotated[str | None, typer.Option("--address", help="name=...,zipcode=...,address1=...")] = None,
    confirm: Annotated[bool | None, typer.Option("--confirm/--no-confirm")] = None,
    settings: Annotated[Path | None, typer.Option("--settings", help="A shop settings file (TOML).")] = None,
    db: Annotated[str | None, typer.Option("--db", help="Store URL (default: the embedded SQLite file).")] = None,
    sandbox_url: Annotated[str | None, typer.Option("--sandbox-url", help="A running sandbox.")] = None,
    sellmate_url: Annotated[str | None, typer.Option("--sellmate-url", help="A running Sellmate sandbox.")] = None,
    mall: Annotated[str, typer.Option("--mall")] = "demo",
    sample: Annotated[bool, typer.Option("--sample", help="Fill an empty store with the sample shop.")] = False,
) -> None:
    """Run one step of a chat command with the answers given as options."""
    from pydantic import ValidationError

    from cafehub.runtime.answers import Answers, Identity, parse_command

    if lang not in ("ja", "ko", "en"):
        fail("--lang is one of ja, ko, en")
    if parse_command(command) is None:
        fail(f"{command!r} is not a command: /orders, /eta, /cancel, /return, /address")
    if bool(member) == bool(guest_order):
        fail("give --member ID, or one or more --guest-order ID")
    identity = Identity.member(member) if member else Identity.guest(guest_order or [])
    given = build_answers(order=order, items=items, choices=choice or [], variants=variant or [], photos=[],
                          account=account, address=address, confirm=confirm)
    with open_engine(settings, db, sandbox_url, sellmate_url, mall, sample) as engine:
        photo_ids = []
        for path in photo or []:
            try:
                data = path.read_bytes()
            except OSError as exc:
                fail(f"cannot read {path}: {exc.strerror}")
            uploaded = engine.upload_photo(data)
            if uploaded.photo_id is None:
                fail(f"{path}: {uploaded.problem.value if uploaded.problem else 'refused'}")
            photo_ids.append(uploaded.photo_id)
        if photo_ids:
            given["photos"] = photo_ids
        try:
            answers = Answers.model_validate(given)
        except ValidationError as error:
            fail(f"bad answer: {error.errors(include_input=False)[0]['loc']}")
        result = engine.step(identity, command, answers, language=lang)  # type: ignore[arg-type]
        _print(result, as_json)
    if result.state == "failed":
        raise typer.Exit(1)


SettingsOption = Annotated[Path | None, typer.Option("--settings", help="A shop settings file (TOML).")]
DbOption = Annotated[str | None, typer.Option("--db", help="Store URL (default: the embedded SQLite file).")]
SandboxOption = Annotated[str | None, typer.Option("--sandbox-url", help="A running sandbox.")]
MallOption = Annotated[str, typer.Option("--mall")]

pending_app = typer.Typer(help="Returns and exchanges held for staff (defect_mode = pending).",
                          no_args_is_help=True)
app.add_typer(pending_app, name="pending")


@pending_app.command("list")
def pending_list(
    settings: SettingsOption = None,
    db: DbOption = None,
    sandbox_url: SandboxOption = None,
    mall: MallOption = "demo",
) -> None:
    """Claims waiting for staff."""
    with open_engine(settings, db, sandbox_url, None, mall, False) as engine:
        rows = engine.pending.waiting()
    for row in rows:
        out.print(f"{row['claim_id']}  {row['order_id']}  {row['kind']}  {len(row['photos'])} photo(s)  "
                  f"{row['created_at']:%Y-%m-%d %H:%M}", markup=False, highlight=False)
    if not rows:
        out.print("no claims are waiting", markup=False, highlight=False)


@pending_app.command("photos")
def pending_photos(
    claim_id: str,
    out_dir: Annotated[Path, typer.Option("--out", help="Folder to write the photos to.")] = Path("."),
    settings: SettingsOption = None,
    db: DbOption = None,
    sandbox_url: SandboxOption = None,
    mall: MallOption = "demo",
) -> None:
    """Write a held claim's photos to a folder, for staff to look at before deciding."""
    from cafehub.runtime.pending import PendingError

    suffix = {"image/jpeg": ".jpg", "image/png": ".png", "image/gif": ".gif", "image/webp": ".webp",
              "image/heic": ".heic", "image/heif": ".heif"}
    with open_engine(settings, db, sandbox_url, None, mall, False) as engine:
        try:
            photos = engine.pending.photos(claim_id)
        except PendingError as error:
            fail(str(error))
    out_dir.mkdir(parents=True, exist_ok=True)
    for photo_id, kind, data in photos:
        path = out_dir / f"{claim_id}-{photo_id}{suffix.get(kind, '')}"
        path.write_bytes(data)
        out.print(str(path), markup=False, highlight=False)


@pending_app.command("approve")
def pending_approve(
    claim_id: str,
    settings: SettingsOption = None,
    db: DbOption = None,
    sandbox_url: SandboxOption = None,
    mall: MallOption = "demo",
) -> None:
    """File a held claim in Cafe24; prints the message for the customer."""
    from cafehub.runtime.pending import PendingError

    with open_engine(settings, db, sandbox_url, None, mall, False) as engine:
        try:
            decision = engine.pending.approve(claim_id)
        except PendingError as error:
            fail(str(error))
    out.print(f"{decision.state}: {decision.message.plain_text()}", markup=False, highlight=False)
    if decision.state == "failed":
        raise typer.Exit(1)


@pending_app.command("reject")
def pending_reject(
    claim_id: str,
    reason: Annotated[str, typer.Option("--reason", help="Sent to the customer.")],
    settings: SettingsOption = None,
    db: DbOption = None,
    sandbox_url: SandboxOption = None,
    mall: MallOption = "demo",
) -> None:
    """Refuse a held claim; prints the message for the customer."""
    from cafehub.runtime.pending import PendingError

    with open_engine(settings, db, sandbox_url, None, mall, False) as engine:
        try:
            decision = engine.pending.reject(claim_id, reason)
        except PendingError as error:
            fail(str(error))
    out.print(f"{decision.state}: {decision.message.plain_text()}", markup=False, highlight=False)
