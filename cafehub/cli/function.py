"""``cafehub function schema|call``: the workflow functions from the command line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from cafehub.cli.common import fail, out

app = typer.Typer(help="Workflow functions: getOrders, sendMobileOTP, verifyMobileOTP, cancelOrder.",
                  no_args_is_help=True)


@app.command()
def schema(name: Annotated[str, typer.Argument(help="Function name.")]) -> None:
    """Print the function's input and output JSON Schemas."""
    from cafehub.runtime.functions import schema as function_schema

    try:
        print(json.dumps(function_schema(name), indent=2, ensure_ascii=False))
    except KeyError as error:
        fail(str(error.args[0]))


@app.command()
def call(
    name: Annotated[str, typer.Argument(help="Function name.")],
    input_json: Annotated[str, typer.Option("--input", help="The input as JSON.")],
    settings: Annotated[Path | None, typer.Option("--settings", help="A shop settings file (TOML).")] = None,
    db: Annotated[str | None, typer.Option("--db", help="Store URL (the write ledger; default ./cafehub.db).")] = None,
    sandbox_url: Annotated[str | None, typer.Option("--sandbox-url", help="Cafe24 (sandbox) base URL.")] =
        "http://127.0.0.1:8024",
    sellmate_url: Annotated[str | None, typer.Option("--sellmate-url", help="Sellmate (sandbox) base URL.")] = None,
    mall: Annotated[str, typer.Option("--mall")] = "demo",
    sms_url: Annotated[str, typer.Option("--sms-url", help="SMS provider base URL.")] = "http://127.0.0.1:8026",
    sms_key: Annotated[str, typer.Option("--sms-key", envvar="CAFEHUB_SMS_KEY")] = "sandbox-sms-key",
    redis_url: Annotated[str, typer.Option("--redis", help="Code store shared between calls.")] =
        "redis://127.0.0.1:6379/0",
) -> None:
    """Run one function against the sandbox or a mall (codes shared through Redis; secret from CAFEHUB_OTP_SECRET)."""
    from pydantic import ValidationError

    from cafehub.cli.command import open_engine
    from cafehub.connectors.errors import ConnectorError
    from cafehub.connectors.sms import SmsClient, SmsConfig
    from cafehub.runtime.conversations import ChatActions
    from cafehub.runtime.functions import FUNCTIONS
    from cafehub.runtime.functions import call as run_function
    from cafehub.runtime.identity import OtpSecretError, OtpService, RedisCodeStore, SmsCodeSender, load_secret

    if name not in FUNCTIONS:
        fail(f"unknown function {name!r}; one of {', '.join(FUNCTIONS)}")
    try:
        payload = json.loads(input_json)
    except ValueError:
        fail("--input is not valid JSON")
    try:
        secret = load_secret()
    except OtpSecretError as error:
        fail(str(error))
    with open_engine(settings, db, sandbox_url, sellmate_url, mall, False) as engine:
        try:
            otp = OtpService(RedisCodeStore.from_url(redis_url), SmsCodeSender(SmsClient(SmsConfig(
                base_url=sms_url, api_key=sms_key))), secret)
            result = run_function(ChatActions(engine, otp, shop=mall), name, payload)
        except ValidationError as error:
            problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}"
                                 for e in error.errors(include_input=False))
            fail(f"bad input: {problems}")
        except (ConnectorError, ValueError) as error:
            fail(str(error))
    out.print_json(json.dumps(result, ensure_ascii=False))
