"""Writes over loopback HTTP: envelopes, effects on the sandbox, and never applying twice."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from cafehub.connectors.cafe24 import (
    ItemQuantity,
    cancel_order,
    request_cancellation,
    request_exchange,
    request_return,
    update_receivers,
)
from cafehub.connectors.errors import AmbiguousWriteError, BadRequestError
from cafehub.sandbox.testing import SandboxHandle, serve


def order_in(sb: SandboxHandle, statuses: set[str], *, tracked: bool | None = None) -> str:
    for order in sb.sandbox.shop.orders.values():
        fits = order.items and all(i.status in statuses for i in order.items) and len(order.receivers) == 1
        if fits and (tracked is None or any(i.tracking_no for i in order.items) == tracked):
            return order.order_id
    raise AssertionError(f"no order in {statuses}")


def test_cancel_a_whole_paid_order_refunds_and_changes_the_shop(tmp_path: Path) -> None:
    with serve(tmp_path) as sb:
        client = sb.client()
        order_id = order_in(sb, {"N10", "N20"}, tracked=False)
        result = cancel_order(client, order_id, reason="changed my mind")
        assert result.status == "canceled"
        assert result.claim_code
        items = client.order_items(order_id)
        assert {i.order_status for i in items} == {"C40"}
        order = client.order(order_id)
        assert order.canceled == "T"
        assert order.payment_amount == 0
        assert [c["kind"] for c in sb.sandbox.shop.claims()] == ["cancellation"]
        with pytest.raises(BadRequestError, match=r"cannot cancel .* in status C40"):
            cancel_order(client, order_id)


def test_partial_cancel_leaves_the_rest_active(tmp_path: Path) -> None:
    with serve(tmp_path) as sb:
        client = sb.client()
        order_id = next(o.order_id for o in sb.sandbox.shop.orders.values()
                        if len(o.items) >= 2 and all(i.status in {"N10", "N20"} for i in o.items))
        first = client.order_items(order_id)[0]
        before = client.order(order_id).actual_order_amount.order_price_amount
        cancel_order(client, order_id, items=[ItemQuantity(first.order_item_code, first.quantity)], complete=False)
        statuses = [i.order_status for i in client.order_items(order_id)]
        assert statuses[0] == "C34"
        assert all(s != "C34" for s in statuses[1:])
        assert client.order(order_id).actual_order_amount.order_price_amount == before  # canceling: not yet


def test_a_cancellation_that_times_out_is_settled_by_reading_back_not_resent(tmp_path: Path) -> None:
    with serve(tmp_path) as sb:
        client = sb.client(timeout=0.5)
        order_id = order_in(sb, {"N10", "N20", "N00"})
        sb.sandbox.faults.delay("/cancellation$", 1.5, method="POST", after=True)  # applied, answer lost
        result = cancel_order(client, order_id)
        assert result.order_id == order_id
        assert result.status == "canceled"
        assert len(sb.sandbox.shop.claims()) == 1
        time.sleep(1.2)  # let the delayed answer finish so the server has logged it
        assert sb.sandbox.count(path="/api/v2/admin/cancellation") == 1


def test_a_cancellation_refused_before_it_ran_is_sent_again_once(tmp_path: Path) -> None:
    with serve(tmp_path) as sb:
        client = sb.client()
        order_id = order_in(sb, {"N10", "N20"})
        sb.sandbox.faults.fail("/cancellation$", 500, method="POST")
        assert cancel_order(client, order_id).status == "canceled"
        assert len(sb.sandbox.shop.claims()) == 1
        assert sb.sandbox.count(500, "/cancellation") == 1
        assert sb.sandbox.count(201, "/cancellation") == 1


def test_a_write_whose_outcome_stays_unknown_is_reported_not_repeated(tmp_path: Path) -> None:
    with serve(tmp_path) as sb:
        client = sb.client()
        order_id = order_in(sb, {"N10", "N20"})
        sb.sandbox.faults.fail("/cancellation$", 500, method="POST", times=10)
        with pytest.raises(AmbiguousWriteError, match="POST /api/v2/admin/cancellation: the outcome is unknown"):
            cancel_order(client, order_id)
        assert sb.sandbox.shop.claims() == []


def test_claim_requests_and_receiver_changes(tmp_path: Path) -> None:
    with serve(tmp_path) as sb:
        client = sb.client()
        delivered = order_in(sb, {"N40", "N50"})
        item = client.order_items(delivered)[0]
        returned = request_return(client, delivered, [ItemQuantity(item.order_item_code, item.quantity)],
                                  reason="too small")
        assert returned.order_id == delivered
        assert [i.order_item_code for i in returned.items] == [item.order_item_code]
        assert returned.exchange_request_no is None  # only exchange requests are numbered
        assert client.order_items(delivered)[0].order_status == "R00"
        other = next(o.order_id for o in sb.sandbox.shop.orders.values()
                     if o.order_id != delivered and o.items and all(i.status in {"N40", "N50"} for i in o.items))
        item = client.order_items(other)[0]
        exchanged = request_exchange(client, other, [ItemQuantity(item.order_item_code, item.quantity)],
                                     reason="wrong size")
        assert exchanged.exchange_request_no is not None
        assert exchanged.exchange_request_no > 0
        assert client.order_items(other)[0].order_status == "E00"
        pending = order_in(sb, {"N00"})
        request_cancellation(client, pending, reason="no longer needed")
        assert {i.order_status for i in client.order_items(pending)} == {"C00"}

        movable = order_in(sb, {"N10", "N20"}, tracked=False)
        changed = update_receivers(client, movable, {"name": "Han Gang", "zipcode": "06236",
                                                     "address1": "Teheran-ro 1, Gangnam-gu, Seoul"})
        assert changed[0].name == "Han Gang"
        assert client.receivers(movable)[0].zipcode == "06236"
        assert update_receivers(client, movable, {"name": "Han Gang"})[0].name == "Han Gang"  # 409 = done
        with pytest.raises(BadRequestError, match="name must be 1 to 20 characters"):
            update_receivers(client, movable, {"name": "x" * 21})
        shipped = order_in(sb, {"N30", "N40"})
        with pytest.raises(BadRequestError, match="has shipped"):
            update_receivers(client, shipped, {"name": "Nobody"})


def test_writes_persist_across_a_sandbox_restart(tmp_path: Path) -> None:
    from cafehub.sandbox.server import open_sandbox

    with serve(tmp_path) as sb:
        client = sb.client()
        order_id = order_in(sb, {"N10", "N20"}, tracked=False)
        cancel_order(client, order_id)
        update_target = order_in(sb, {"N10", "N20"}, tracked=False)
        update_receivers(client, update_target, {"address2": "Room 1204"})
        engine = sb.engine
        reopened = open_sandbox(engine)
        assert {i.status for i in reopened.shop.orders[order_id].items} == {"C40"}
        assert reopened.shop.orders[update_target].receivers[0].address2 == "Room 1204"
        assert len(reopened.shop.claims()) == 1
