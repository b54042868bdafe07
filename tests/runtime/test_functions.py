"""Workflow functions: published schemas, and calls against the sandbox (codes read from the SMS outbox)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import jsonschema
import pytest
from pydantic import ValidationError

from cafehub.runtime.functions import FUNCTIONS, call, schema
from cafehub.runtime.rules.cancel import CancelReason
from cafehub.sandbox.messaging import SmsOutbox
from cafehub.sandbox.testing import SandboxHandle, serve

from .chat_world import chat_world


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_every_function_publishes_valid_json_schemas(name: str) -> None:
    published = schema(name)
    jsonschema.Draft202012Validator.check_schema(published["input"])
    jsonschema.Draft202012Validator.check_schema(published["output"])


def test_the_cli_prints_a_schema_and_refuses_unknown_names() -> None:
    shown = subprocess.run([sys.executable, "-m", "cafehub", "function", "schema", "cancelOrder"],
                           capture_output=True, text=True, check=True)
    published = json.loads(shown.stdout)
    assert published["input"]["required"] == ["order_id"]
    assert set(published["input"]["$defs"]["CancelReason"]["enum"]) == {r.value for r in CancelReason}
    bad = subprocess.run([sys.executable, "-m", "cafehub", "function", "schema", "dropTables"],
                         capture_output=True, text=True)
    assert bad.returncode != 0
    assert "Traceback" not in bad.stderr


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxHandle]:
    with serve(tmp_path_factory.mktemp("sandbox")) as handle:
        yield handle


def test_otp_orders_and_cancel_through_functions(sandbox: SandboxHandle, tmp_path: Path,
                                                 sms_outbox: tuple[SmsOutbox, str]) -> None:
    outbox, url = sms_outbox
    with chat_world(sandbox, tmp_path, outbox, url) as world:
        guest = world.guest_order(["N20", "N20"], methods=("icash",))
        phone = guest.buyer_cellphone or ""
        sent = call(world.actions, "sendMobileOTP", {"phone": phone, "lang": "en"})
        assert sent["status"] == "sent"
        assert phone[-4:] in sent["masked_phone"]
        verified = call(world.actions, "verifyMobileOTP", {"phone": phone, "code": world.code_for(phone)})
        assert verified["status"] == "verified"
        (unlocked,) = verified["identities"]
        assert unlocked == {"kind": "guest", "member_id": None, "order_ids": [guest.order_id]}
        who = {"guest_order_ids": unlocked["order_ids"]}
        orders = call(world.actions, "getOrders", {**who, "cancellable_only": True, "lang": "en"})
        assert [o["order_id"] for o in orders["orders"]] == [guest.order_id]
        assert orders["orders"][0]["items"][0]["status"] == "preparing"
        request = {**who, "order_id": guest.order_id, "reason": "wrong_order"}
        needs = call(world.actions, "cancelOrder", request)  # a virtual account: staff refund into a bank
        assert (needs["status"], needs["missing"]) == ("needs_input", "account")
        request["refund_account"] = {"bank_code": "bank_88", "account_no": "110-123-456789", "holder": "Kim"}
        done = call(world.actions, "cancelOrder", request)
        assert (done["status"], done["ok"], done["repeated"]) == ("cancelled", True, False)
        again = call(world.actions, "cancelOrder", request)
        assert (again["ok"], again["repeated"]) == (True, True)
        assert len(world.writes(guest.order_id)) == 1
        assert call(world.actions, "getOrders", {**who, "cancellable_only": True})["orders"] == []
        with pytest.raises(ValidationError):
            call(world.actions, "verifyMobileOTP", {"phone": phone, "code": "12ab56"})
        with pytest.raises(ValidationError):
            call(world.actions, "cancelOrder", {**request, "reason": "because"})
        stranger = call(world.actions, "cancelOrder", {**request, "guest_order_ids": ["20000101-0000001"]})
        assert (stranger["ok"], stranger["reason"]) == (False, "not_found")
