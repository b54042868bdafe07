"""``cafehub command``: run steps against a running sandbox, answers from options, errors without tracebacks."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from cafehub.cli import app
from cafehub.runtime.messages.catalogue import default_catalogue

from .conftest import Shop
from .test_commands_e2e import PNG, statuses

CATALOGUE = default_catalogue()
runner = CliRunner()


def cli(shop: Shop, *args: str, settings: Path | None = None) -> Any:
    base = ["command", "run", *args, "--sandbox-url", shop.handle.cafe24_url, "--sellmate-url",
            shop.handle.sellmate_url, "--db", f"sqlite:///{shop.tmp / 'cli.db'}"]
    if settings is not None:
        base += ["--settings", str(settings)]
    return runner.invoke(app, base)


def settings_file(shop: Shop, text: str) -> Path:
    path = shop.tmp / "shop.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_order_history_in_three_languages_and_as_json(shop: Shop) -> None:
    order = shop.order(["N10"])
    for lang in ("ja", "ko", "en"):
        result = cli(shop, "/orders", "--member", "m0001", "--lang", lang)
        assert result.exit_code == 0, result.output
        assert result.output.startswith(CATALOGUE.text("orders.title", lang))  # type: ignore[arg-type]
        assert f"#{order.order_id}" in result.output
    result = cli(shop, "/주문내역", "--member", "m0001", "--json")
    data = json.loads(result.output)
    assert data["state"] == "done"
    assert data["message"]["blocks"][1]["order_id"] == order.order_id


def test_a_whole_cancellation_from_the_command_line(shop: Shop) -> None:
    order = shop.order(["N10", "N20"])
    settings = settings_file(shop, "[hub]\nwms = 'sellmate'\ncancel_mode = 'complete'\n")
    base = ["/注文キャンセル", "--member", "m0001", "--order", order.order_id, "--lang", "ja"]
    asked = cli(shop, *base, settings=settings)
    assert "(answer with --choice whole|items)" in asked.output
    summary = cli(shop, *base, "--choice", "whole", "--choice", "change_of_mind", settings=settings)
    assert CATALOGUE.text("cancel.summary", "ja", order_id=order.order_id) in summary.output
    done = cli(shop, *base, "--choice", "whole", "--choice", "change_of_mind", "--confirm", settings=settings)
    assert done.exit_code == 0
    assert CATALOGUE.text("cancel.done", "ja") in done.output
    assert statuses(shop, order.order_id) == ["C40", "C40"]


def test_a_partial_cancel_request_by_items(shop: Shop) -> None:
    order = shop.order(["N10", "N10"])
    code = order.items[1].order_item_code
    result = cli(shop, "/cancel", "--member", "m0001", "--order", order.order_id, "--items", code, "--choice",
                 "other", "--confirm", "--lang", "en")
    assert CATALOGUE.text("cancel.requested", "en") in result.output  # the default cancel mode is request
    assert statuses(shop, order.order_id) == ["N10", "C00"]


def test_a_held_return_decided_from_the_command_line(shop: Shop) -> None:
    order = shop.order(["N40"])
    photo = shop.tmp / "broken.png"
    photo.write_bytes(PNG)
    text = shop.tmp / "note.txt"
    text.write_text("not a photo", encoding="utf-8")
    base = ["/return", "--member", "m0001", "--order", order.order_id, "--choice", "return", "--choice", "defective",
            "--lang", "ko"]
    refused = cli(shop, *base, "--photo", str(text))
    assert refused.exit_code == 2
    assert "not_an_image" in refused.output
    held = cli(shop, *base, "--photo", str(photo), "--confirm")
    assert CATALOGUE.text("return.pending", "ko") in held.output
    listed = runner.invoke(app, ["command", "pending", "list", "--sandbox-url", shop.handle.cafe24_url, "--db",
                                 f"sqlite:///{shop.tmp / 'cli.db'}"])
    claim_id = next(line.split()[0] for line in listed.output.splitlines() if order.order_id in line)
    shown = runner.invoke(app, ["command", "pending", "photos", claim_id, "--out", str(shop.tmp / "seen"),
                                "--sandbox-url", shop.handle.cafe24_url, "--db", f"sqlite:///{shop.tmp / 'cli.db'}"])
    (written,) = shown.output.split()
    assert written.endswith(".png")
    assert Path(written).read_bytes() == PNG
    rejected = runner.invoke(app, ["command", "pending", "reject", claim_id, "--reason", "정상 제품입니다",
                                   "--sandbox-url", shop.handle.cafe24_url, "--db", f"sqlite:///{shop.tmp / 'cli.db'}"])
    assert rejected.exit_code == 0
    assert "정상 제품입니다" in rejected.output
    again = runner.invoke(app, ["command", "pending", "approve", claim_id, "--sandbox-url", shop.handle.cafe24_url,
                                "--db", f"sqlite:///{shop.tmp / 'cli.db'}"])
    assert again.exit_code == 2
    assert "already rejected" in again.output
    assert statuses(shop, order.order_id) == ["N40"]


def test_mistakes_are_one_line_errors(shop: Shop) -> None:
    cases = [
        (["/cancel", "--member", "m1", "--choice", "maybe"], "--choice 'maybe' is none of"),
        (["/cancel", "--member", "m1", "--guest-order", "O1"], "give --member ID, or one or more --guest-order"),
        (["/refund", "--member", "m1"], "is not a command"),
        (["/orders", "--member", "m1", "--lang", "fr"], "--lang is one of ja, ko, en"),
        (["/cancel", "--member", "m1", "--items", "A:x"], "--items takes CODE or CODE:QUANTITY"),
    ]
    for args, message in cases:
        result = cli(shop, *args)
        assert result.exit_code == 2
        assert message in result.output
        assert "Traceback" not in result.output
    bad = settings_file(shop, "[hub]\ncancel_mode = 'never'\n")
    result = cli(shop, "/orders", "--member", "m1", settings=bad)
    assert result.exit_code == 2
    assert "hub.cancel_mode: must be one of" in result.output
    assert "never" not in result.output


def test_areas_keep_their_sub_commands() -> None:
    for args in (["sandbox", "serve", "--help"], ["command", "run", "--help"], ["command", "pending", "--help"]):
        result = runner.invoke(app, args)
        assert result.exit_code == 0, (args, result.output)


def test_every_answer_option_reaches_its_step(shop: Shop) -> None:
    """--account, --variant, --address, --no-confirm, --guest-order and /eta by its Japanese name."""
    settings = settings_file(shop, "[hub]\nwms = 'sellmate'\ncancel_mode = 'complete'\ndefect_mode = 'apply'\n")
    bank = shop.order(["N20"], methods=("tcash",))
    base = ["/cancel", "--member", "m0001", "--order", bank.order_id, "--lang", "en"]
    asked = cli(shop, *base, settings=settings)
    assert "(answer with --account BANK_CODE:NUMBER:HOLDER)" in asked.output
    done = cli(shop, *base, "--account", "bank_04:123-456-789012:Kim Minji", "--choice", "change_of_mind",
               "--confirm", settings=settings)
    assert CATALOGUE.text("cancel.done", "en") in done.output
    sent = json.loads(next(c for c in shop.sb.shop.claims() if c["order_id"] == bank.order_id)["detail"])
    assert (sent["refund_bank_code"], sent["refund_method_code"]) == ("bank_04", ["T"])

    delivered = shop.order(["N40"])
    item = shop.sb.shop.orders[delivered.order_id].items[0]
    product = next(p for p in {v.product_no for v in shop.sb.shop.variants.values()}
                   if sum(v.product_no == p for v in shop.sb.shop.variants.values()) >= 2)
    item.product_no = product
    item.variant_code, other = sorted(v.variant_code for v in shop.sb.shop.variants.values() if v.product_no == product
                                      )[:2]
    base = ["/交換", "--member", "m0001", "--order", delivered.order_id, "--choice", "exchange", "--choice",
            "change_of_mind", "--lang", "ja"]
    asked = cli(shop, *base, settings=settings)
    assert f"(answer with --variant {item.order_item_code}=VARIANT_CODE)" in asked.output
    done = cli(shop, *base, "--variant", f"{item.order_item_code}={other}", "--confirm", settings=settings)
    assert CATALOGUE.text("return.done_exchange", "ja") in done.output
    assert statuses(shop, delivered.order_id) == ["E00"]

    moving = shop.order(["N10"])
    base = ["/配送先変更", "--member", "m0001", "--order", moving.order_id, "--address",
            "zipcode=48058,address1=Haeundae-ro 264,address2=3F,cellphone=01099998888", "--lang", "ko"]
    stopped = cli(shop, *base, "--no-confirm", settings=settings)
    assert CATALOGUE.text("common.stopped", "ko") in stopped.output
    assert shop.sb.shop.orders[moving.order_id].receivers[0].zipcode == "04524"
    changed = cli(shop, *base, "--confirm", settings=settings)
    assert CATALOGUE.text("address.done", "ko") in changed.output
    receiver = shop.sb.shop.orders[moving.order_id].receivers[0]
    assert (receiver.zipcode, receiver.cellphone) == ("48058", "010-9999-8888")

    guest = shop.order(["N20"], member=None)
    listed = cli(shop, "/注文履歴", "--guest-order", guest.order_id, "--json", settings=settings)
    assert [b.get("order_id") for b in json.loads(listed.output)["message"]["blocks"][1:]] == [guest.order_id]
    eta = cli(shop, "/発送予定日", "--guest-order", guest.order_id, "--lang", "ja", settings=settings)
    assert eta.exit_code == 0, eta.output
    assert eta.output.startswith(CATALOGUE.text("eta.title", "ja"))
    assert f"#{guest.order_id}" in eta.output
