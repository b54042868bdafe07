"""Workflow functions: published schemas, and calls against the sandbox (codes read from the SMS outbox)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
from pydantic import ValidationError

from cafehub.connectors.sms import SmsClient, SmsConfig
from cafehub.runtime.conversations import ShopActions
from cafehub.runtime.functions import FUNCTIONS, call, schema
from cafehub.runtime.identity import MemoryCodeStore, OtpService, SmsCodeSender, normalize_phone
from cafehub.sandbox.messaging import SmsOutbox
from cafehub.sandbox.testing import serve


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_every_function_publishes_valid_json_schemas(name: str) -> None:
    published = schema(name)
    jsonschema.Draft202012Validator.check_schema(published["input"])
    jsonschema.Draft202012Validator.check_schema(published["output"])


def test_the_cli_prints_a_schema_and_refuses_unknown_names() -> None:
    shown = subprocess.run([sys.executable, "-m", "cafehub", "function", "schema", "cancelOrder"],
                           capture_output=True, text=True, check=True)
    assert json.loads(shown.stdout)["input"]["required"] == ["order_id", "idempotency_key"]
    bad = subprocess.run([sys.executable, "-m", "cafehub", "function", "schema", "dropTables"],
                         capture_output=True, text=True)
    assert bad.returncode != 0
    assert "Traceback" not in bad.stderr


def test_otp_orders_and_cancel_through_functions(tmp_path: Path, sms_outbox: tuple[SmsOutbox, str]) -> None:
    outbox, url = sms_outbox
    with serve(tmp_path) as handle, handle.client() as client:
        otp = OtpService(MemoryCodeStore(), SmsCodeSender(SmsClient(SmsConfig(base_url=url,
                                                                                 api_key=outbox.api_key))), b"f" * 32)
        actions = ShopActions(client, otp, shop="demo")
        guest = next(o for o in sorted(handle.sandbox.shop.orders.values(), key=lambda o: o.ordered_at, reverse=True)
                     if o.member_id is None and o.buyer_cellphone and all(i.status == "N20" for i in o.items))
        phone = guest.buyer_cellphone or ""
        sent = call(actions, "sendMobileOTP", {"phone": phone, "lang": "en"})
        assert sent["status"] == "sent"
        assert phone[-4:] in sent["masked_phone"]
        code = outbox.last_code(normalize_phone(phone, "KR"))
        verified = call(actions, "verifyMobileOTP", {"phone": phone, "code": code})
        assert verified["status"] == "verified"
        guests = [i for i in verified["identities"] if i["kind"] == "guest"]
        assert guest.order_id in guests[0]["order_ids"]
        orders = call(actions, "getOrders", {"guest_order_ids": guests[0]["order_ids"], "cancellable_only": True})
        assert guest.order_id in [o["order_id"] for o in orders["orders"]]
        request = {"order_id": guest.order_id, "guest_order_ids": guests[0]["order_ids"],
                   "idempotency_key": "wf-123456", "refund_account": {"bank": "KB", "account_no": "123-456-789",
                                                                      "holder": "Kim"}}
        assert call(actions, "cancelOrder", request) == {"ok": True, "already_cancelled": False, "error": None}
        assert call(actions, "cancelOrder", request)["already_cancelled"] is True
        assert len([c for c in handle.sandbox.shop.claims() if c["order_id"] == guest.order_id]) == 1
        with pytest.raises(ValidationError):
            call(actions, "verifyMobileOTP", {"phone": phone, "code": "12ab56"})
        stranger = call(actions, "cancelOrder", {**request, "guest_order_ids": ["someone-else"],
                                                 "idempotency_key": "wf-999999"})
        assert stranger["ok"] is False
