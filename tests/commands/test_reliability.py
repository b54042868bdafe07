"""Writes never happen twice, failures hand over to an operator, and nothing personal is logged."""

from __future__ import annotations

import logging
import threading
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import create_engine

from cafehub.connectors.cafe24 import writes
from cafehub.connectors.cafe24.order_cancellation import create_order_cancellation
from cafehub.runtime.answers import Identity
from cafehub.runtime.flows.common import earlier_write
from cafehub.runtime.ledger import Ledger, action_key
from cafehub.runtime.messages.catalogue import default_catalogue
from cafehub.runtime.result import Outcome, StepResult
from cafehub.runtime.rules.cancel import CancelReason, ItemQuantity, decide_cancel

from .conftest import Shop
from .test_commands_e2e import claims_of, run_to_confirm, statuses

MEMBER = Identity.member("m0001")
FAILURE = default_catalogue().text("common.failure", "en")
PERSONAL = ("Kim Minji", "010-2222-3333", "minji@example.com", "123-456-789012", "01022223333")


def test_two_concurrent_cancels_of_one_order_cancel_it_once(shop: Shop, tmp_path: Any) -> None:
    order = shop.order(["N10", "N20"])
    store = create_engine(f"sqlite:///{tmp_path / 'shared.db'}")
    engines = [shop.engine(store, cancel_mode="complete") for _ in range(2)]
    answers, _ = run_to_confirm(engines[0], order.order_id, "en")
    results: list[StepResult] = []
    start = threading.Barrier(2)

    def confirm(engine: Any) -> None:
        start.wait()
        results.append(engine.step(MEMBER, "/cancel", answers | {"confirm": True}))

    threads = [threading.Thread(target=confirm, args=(e,)) for e in engines]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(results) == 2
    assert [r.state for r in results] == ["done", "done"], [(r.state, r.reason, r.outcome) for r in results]
    assert sorted(bool(r.outcome and r.outcome.repeated) for r in results) == [False, True]
    assert len(claims_of(shop, order.order_id)) == 1
    assert statuses(shop, order.order_id) == ["C40", "C40"]


def test_a_cancellation_that_times_out_after_it_was_applied_is_read_back_not_resent(shop: Shop) -> None:
    order = shop.order(["N20"])
    engine = shop.engine(cancel_mode="complete", client={"timeout": 0.5})
    answers, _ = run_to_confirm(engine, order.order_id, "ja")
    shop.sb.faults.delay(rf"/orders/{order.order_id}/cancellation$", 2.0, method="POST", after=True)
    done = engine.step(MEMBER, "/cancel", answers | {"confirm": True}, language="ja")
    assert done.state == "done"
    assert done.outcome is not None
    assert done.outcome.status == "completed"
    assert len(claims_of(shop, order.order_id)) == 1
    assert statuses(shop, order.order_id) == ["C40"]


def test_a_writer_that_died_after_writing_is_taken_over_without_writing_again(shop: Shop) -> None:
    order = shop.order(["N10"])
    engine = shop.engine(cancel_mode="complete")
    answers, _ = run_to_confirm(engine, order.order_id, "en")
    # The first attempt records its key, writes to Cafe24, then its process dies before recording the result.
    snap = engine.reader.order(MEMBER, order.order_id)
    assert snap is not None
    decision = decide_cancel(snap, [ItemQuantity(order_item_code=snap.items[0].order_item_code, quantity=1)],
                             engine.settings.hub, engine.mall_settings(), reason=CancelReason.CHANGE_OF_MIND)
    key = action_key(engine.ledger.mall_id, "cancel", decision.write.model_dump(mode="json"))
    assert engine.ledger.begin(key, "cancel", order.order_id).kind == "new"
    create_order_cancellation(engine.reader.cafe24, order.order_id,
                              [writes.ItemQuantity(snap.items[0].order_item_code, 1)], payment_gateway_cancel=True)
    assert len(claims_of(shop, order.order_id)) == 1
    engine.ledger.lease = timedelta(0)  # the dead writer's lease has run out
    retried = engine.step(MEMBER, "/cancel", answers | {"confirm": True})
    assert retried.state == "done"
    assert retried.outcome is not None
    assert retried.outcome.repeated
    assert len(claims_of(shop, order.order_id)) == 1
    assert engine.ledger.state(key) == "done"


def test_a_cafe24_failure_gives_the_failure_message_and_an_operator(shop: Shop,
                                                                    caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    order = shop.order(["N10"], methods=("tcash",))
    engine = shop.engine(cancel_mode="complete")
    answers, _ = run_to_confirm(engine, order.order_id, "en")
    shop.sb.faults.fail(rf"/orders/{order.order_id}/cancellation$", 500, times=20, method="POST")
    failed = engine.step(MEMBER, "/cancel", answers | {"confirm": True}, language="en")
    assert (failed.state, failed.handoff, failed.message.texts()) == ("failed", True, [FAILURE])
    assert statuses(shop, order.order_id) == ["N10"]
    assert claims_of(shop, order.order_id) == []
    shop.sb.faults.clear()
    # The outcome of the failed write was unknown: the next confirmation reads back first, then writes once.
    retried = engine.step(MEMBER, "/cancel", answers | {"confirm": True})
    assert retried.state == "done"
    assert statuses(shop, order.order_id) == ["C41"]
    shop.sb.faults.fail("/orders", 500, times=50, method="GET")
    broken_read = engine.step(MEMBER, "/orders", {})
    assert (broken_read.state, broken_read.handoff) == ("failed", True)
    shop.sb.faults.clear()
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert logged
    assert not [p for p in PERSONAL if p in logged]


def test_two_different_cancels_racing_on_one_order_write_once(shop: Shop, tmp_path: Any) -> None:
    order = shop.order(["N10", "N20"])
    store = create_engine(f"sqlite:///{tmp_path / 'shared.db'}")
    whole, part = (shop.engine(store, cancel_mode="complete") for _ in range(2))
    first = order.items[0].order_item_code
    whole_answers, _ = run_to_confirm(whole, order.order_id, "en")
    part_answers, _ = run_to_confirm(part, order.order_id, "en", items=[first])
    results: list[StepResult] = []
    start = threading.Barrier(2)

    def confirm(engine: Any, answers: dict[str, Any]) -> None:
        start.wait()
        results.append(engine.step(MEMBER, "/cancel", answers | {"confirm": True}))

    threads = [threading.Thread(target=confirm, args=pair) for pair in ((whole, whole_answers), (part, part_answers))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(claims_of(shop, order.order_id)) == 1  # the second saw the first's cancellation and wrote nothing
    assert sorted(r.state for r in results) in (["done", "done"], ["done", "refused"])


def test_a_write_that_finishes_between_the_ledgers_two_reads_is_still_found(tmp_path: Any) -> None:
    """A repeated confirmation that sees the order changed looks for the write: done, or still running. If the
    write finishes between those two reads (``started`` for the first, ``done`` for the second), it is found."""
    ledger = Ledger(create_engine(f"sqlite:///{tmp_path / 'ledger.db'}"), "demo")
    key = action_key("demo", "cancel", {"order": "O1"})
    begun = ledger.begin(key, "cancel", "O1")
    outcome = Outcome(action="cancel", order_id="O1", status="completed", key=key)
    adopt = ledger.adopt_unfinished

    def finished_just_before(*args: Any) -> Outcome | None:
        ledger.finish(key, outcome, holder=begun.holder)
        return adopt(*args)

    ledger.adopt_unfinished = finished_just_before  # type: ignore[method-assign]
    found = earlier_write(SimpleNamespace(ledger=ledger), "O1", ("cancel",), "completed")  # type: ignore[arg-type]
    assert found == outcome.model_copy(update={"repeated": True})


def test_a_write_still_being_recorded_is_waited_for_and_named_as_the_repeat(tmp_path: Any) -> None:
    """Two confirmations at once: the second sees the order already changed while the first writer is still
    recording its write (``started``, lease fresh). It waits for that record and repeats the first answer,
    as the executor does for a running key, instead of answering ``in_progress``."""
    ledger = Ledger(create_engine(f"sqlite:///{tmp_path / 'ledger.db'}"), "demo")
    key = action_key("demo", "return", {"order": "O1"})
    begun = ledger.begin(key, "return", "O1")
    outcome = Outcome(action="return", order_id="O1", status="requested", key=key, reference="CL1")
    finisher = threading.Timer(0.3, lambda: ledger.finish(key, outcome, holder=begun.holder))
    finisher.start()
    ctx = SimpleNamespace(ledger=ledger, executor=SimpleNamespace(wait_for_running=30.0))
    found = earlier_write(ctx, "O1", ("return",), "requested")  # type: ignore[arg-type]
    finisher.join()
    assert found == outcome.model_copy(update={"repeated": True})


def test_a_write_whose_writer_does_not_finish_in_time_is_in_progress(tmp_path: Any) -> None:
    ledger = Ledger(create_engine(f"sqlite:///{tmp_path / 'ledger.db'}"), "demo")
    key = action_key("demo", "return", {"order": "O1"})
    ledger.begin(key, "return", "O1")
    ctx = SimpleNamespace(ledger=ledger, executor=SimpleNamespace(wait_for_running=0.2))
    found = earlier_write(ctx, "O1", ("return",), "requested")  # type: ignore[arg-type]
    assert found is not None
    assert (found.status, found.key, found.repeated) == ("in_progress", key, False)
    assert ledger.state(key) == "started"


def _at_once(engines: list[Any], command: str, answers: dict[str, Any]) -> list[StepResult]:
    results: list[StepResult] = []
    start = threading.Barrier(len(engines))

    def confirm(engine: Any) -> None:
        start.wait()
        results.append(engine.step(MEMBER, command, answers))

    threads = [threading.Thread(target=confirm, args=(e,)) for e in engines]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


def test_a_return_confirmed_twice_at_once_and_again_is_filed_once(shop: Shop, tmp_path: Any) -> None:
    order = shop.order(["N40"], methods=("card",))
    store = create_engine(f"sqlite:///{tmp_path / 'shared.db'}")
    engines = [shop.engine(store, defect_mode="apply") for _ in range(2)]
    answers = {"order": order.order_id, "kind": "return", "reason": "change_of_mind", "confirm": True}
    results = _at_once(engines, "/return", answers)
    assert [r.state for r in results] == ["done", "done"], [(r.state, r.reason) for r in results]
    assert sorted(bool(r.outcome and r.outcome.repeated) for r in results) == [False, True]
    again = engines[0].step(MEMBER, "/return", answers)
    assert (again.state, again.outcome.repeated if again.outcome else None) == ("done", True)
    assert len(claims_of(shop, order.order_id)) == 1
    assert statuses(shop, order.order_id) == ["R00"]


def test_an_address_change_confirmed_twice_at_once_and_again_is_made_once(shop: Shop, tmp_path: Any) -> None:
    order = shop.order(["N10"])
    store = create_engine(f"sqlite:///{tmp_path / 'shared.db'}")
    engines = [shop.engine(store) for _ in range(2)]
    answers = {"order": order.order_id, "confirm": True,
               "address": {"zipcode": "48058", "address1": "Haeundae-ro 264", "address2": "3F"}}
    results = _at_once(engines, "/address", answers)
    assert [r.state for r in results] == ["done", "done"], [(r.state, r.reason) for r in results]
    assert sorted(bool(r.outcome and r.outcome.repeated) for r in results) == [False, True]
    again = engines[1].step(MEMBER, "/address", answers)
    assert (again.state, again.outcome.repeated if again.outcome else None) == ("done", True)
    (receiver,) = shop.sb.shop.orders[order.order_id].receivers
    assert (receiver.zipcode, receiver.address1, receiver.address2) == ("48058", "Haeundae-ro 264", "3F")
