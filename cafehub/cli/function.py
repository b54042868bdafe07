"""``cafehub function schema|call``: the workflow functions from the command line."""

from __future__ import annotations

import json
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
    sandbox_url: Annotated[str, typer.Option("--sandbox-url", help="Cafe24 (sandbox) base URL.")] =
        "http://127.0.0.1:8024",
    mall: Annotated[str, typer.Option("--mall")] = "demo",
    sms_url: Annotated[str, typer.Option("--sms-url", help="SMS provider base URL.")] = "http://127.0.0.1:8026",
    sms_key: Annotated[str, typer.Option("--sms-key", envvar="CAFEHUB_SMS_KEY")] = "sandbox-sms-key",
    redis_url: Annotated[str, typer.Option("--redis", help="Code store shared between calls.")] =
        "redis://127.0.0.1:6379/0",
) -> None:
    """Run one function against the sandbox (codes shared through Redis; secret from CAFEHUB_OTP_SECRET)."""
    from pydantic import ValidationError

    from cafehub.connectors.cafe24.client import Cafe24Client
    from cafehub.connectors.config import Cafe24Config
    from cafehub.connectors.errors import ConnectorError
    from cafehub.connectors.sms import SmsClient, SmsConfig
    from cafehub.connectors.tokens import MemoryTokenStore
    from cafehub.runtime.conversations import ShopActions
    from cafehub.runtime.functions import call as run_function
    from cafehub.runtime.identity import OtpSecretError, OtpService, RedisCodeStore, SmsCodeSender, load_secret

    try:
        payload = json.loads(input_json)
    except ValueError:
        fail("--input is not valid JSON")
    try:
        secret = load_secret()
        config = Cafe24Config(mall_id=mall, client_id="sandbox-client", client_secret="sandbox-secret",
                              base_url=sandbox_url)
        client = Cafe24Client(config, MemoryTokenStore())
        client.tokens.authorize_with_code(client.oauth.approve_without_browser())
        otp = OtpService(RedisCodeStore.from_url(redis_url), SmsCodeSender(SmsClient(SmsConfig(
            base_url=sms_url, api_key=sms_key))), secret)
        result = run_function(ShopActions(client, otp, shop=mall), name, payload)
    except KeyError as error:
        fail(str(error.args[0]))
    except ValidationError as error:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors())
        fail(f"bad input: {problems}")
    except (OtpSecretError, ConnectorError, ValueError, PermissionError) as error:
        fail(str(error))
    out.print_json(json.dumps(result, ensure_ascii=False))

