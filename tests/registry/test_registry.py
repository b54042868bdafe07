"""The registry on SQLite, DuckDB, PostgreSQL and MariaDB: round trips, versions, soft delete, shops apart."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, func, select

import cafehub
from cafehub.registry import (
    InvalidName,
    SegmentInUse,
    SegmentNotFound,
    SegmentRegistry,
    VersionNotFound,
)
from cafehub.registry.tables import segment_versions, segments

UNICODE = '# 여름 세일 — 夏のセール\ncart(product = 17) and coupon(name contains "10% \\"off\\"\\\\_")'


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 26, 1, 30, 0, 123456, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


def test_a_saved_segment_reads_back_exactly(store: Engine, shop: str) -> None:
    clock = Clock()
    registry = SegmentRegistry(store, shop, clock=clock)
    first = registry.save("summer-sale.kr", UNICODE, saved_by="민아 <mina@example.com>", description="여름")
    assert first.created
    assert first.version.version == 1
    again = registry.get("summer-sale.kr")
    assert again == first.version
    assert again.text == UNICODE
    assert again.ast == cafehub.to_json(UNICODE)
    assert again.saved_at == clock.now
    assert again.saved_at.tzinfo is UTC
    assert again.saved_by == "민아 <mina@example.com>"
    info = registry.info("summer-sale.kr")
    assert (info.description, info.latest_version, info.created_by, info.deleted) == ("여름", 1, again.saved_by, False)


def test_versions_count_up_and_stay_readable(store: Engine, shop: str) -> None:
    registry = SegmentRegistry(store, shop)
    texts = ["order(status = paid).count >= 3", "order(status = paid).count >= 4", "order().count >= 5"]
    for number, text in enumerate(texts, start=1):
        assert registry.save("vip", text, saved_by="a").version.version == number
    assert [v.text for v in registry.history("vip")] == texts
    assert [registry.get("vip", n).text for n in (1, 2, 3)] == texts
    assert registry.get("vip").version == 3
    with pytest.raises(VersionNotFound, match="segment 'vip' has no version 4 \\(its versions are 1 to 3\\)"):
        registry.get("vip", 4)
    for beyond in (0, -1, 2**31, 2**63):  # refused as missing, not sent to an integer column that cannot hold them
        with pytest.raises(VersionNotFound):
            registry.get("vip", beyond)
    with pytest.raises(cafehub.SegmentError) as pinned:
        registry.check('segment("vip", version = 9223372036854775808)')
    assert pinned.value.diagnostics[0].code.startswith("E08")


def test_saving_the_same_text_again_writes_nothing_but_may_change_the_description(store: Engine, shop: str) -> None:
    registry = SegmentRegistry(store, shop)
    registry.save("vip", "cart()", saved_by="a", description="old")
    again = registry.save("vip", "cart()", saved_by="b", description="new")
    assert not again.created
    assert again.version.version == 1
    assert again.version.saved_by == "a"
    assert registry.info("vip").description == "new"
    assert len(registry.history("vip")) == 1


def test_an_invalid_text_is_refused_with_diagnostics_and_nothing_is_written(store: Engine, shop: str) -> None:
    registry = SegmentRegistry(store, shop)
    with pytest.raises(cafehub.SegmentError) as caught:
        registry.save("vip", "order(status = payed) and cart(qty > 1)", saved_by="a")
    assert caught.value.codes == ["E0203", "E0202"]
    with pytest.raises(SegmentNotFound):
        registry.info("vip")
    registry.save("vip", "cart()", saved_by="a")
    with pytest.raises(cafehub.SegmentError):
        registry.save("vip", "cart(", saved_by="a")
    assert [v.text for v in registry.history("vip")] == ["cart()"]


def test_warnings_are_returned_not_refused(store: Engine, shop: str) -> None:
    result = SegmentRegistry(store, shop).save("stale-carts", "cart(added_at < 8d ago)", saved_by="a")
    assert [w.code for w in result.warnings] == ["W0602"]


def test_references_resolve_within_the_shop_and_follow_the_latest_version(store: Engine, shop: str) -> None:
    registry = SegmentRegistry(store, shop)
    registry.save("vip", "order(status = paid).count >= 3", saved_by="a")
    registry.save("vip-in-cart", 'segment("vip") and cart()', saved_by="a")
    registry.save("vip", "order(status = paid).count >= 5", saved_by="a")
    latest = registry.checked("vip-in-cart")
    assert latest.ir == cafehub.check("order(status = paid).count >= 5 and cart()").ir
    assert registry.check('segment("vip", version = 1)').ir == cafehub.check("order(status = paid).count >= 3").ir
    other = SegmentRegistry(store, f"{shop}-other")
    with pytest.raises(cafehub.SegmentError) as caught:
        other.check('segment("vip")')
    assert caught.value.codes == ["E0801"]


def test_shops_never_see_each_others_segments(store: Engine, shop: str) -> None:
    mine, theirs = SegmentRegistry(store, shop), SegmentRegistry(store, f"{shop}-b")
    mine.save("vip", "cart()", saved_by="a", description="mine")
    theirs.save("vip", "coupon()", saved_by="b", description="theirs")
    theirs.save("only-theirs", "order()", saved_by="b")
    assert [(i.name, i.description) for i in mine.segments()] == [("vip", "mine")]
    assert mine.get("vip").text == "cart()"
    assert theirs.get("vip").text == "coupon()"
    with pytest.raises(SegmentNotFound):
        mine.get("only-theirs")
    with pytest.raises(SegmentNotFound):
        mine.delete("only-theirs", deleted_by="a")
    theirs.delete("vip", deleted_by="b")
    assert not mine.info("vip").deleted
    assert [v.text for v in mine.history("vip")] == ["cart()"]


def test_delete_is_soft(store: Engine, shop: str) -> None:
    registry = SegmentRegistry(store, shop)
    registry.save("gone", "cart()", saved_by="a")
    registry.save("gone", "coupon()", saved_by="a")
    info = registry.delete("gone", deleted_by="b")
    assert info.deleted
    assert info.deleted_by == "b"
    assert registry.segments() == []
    assert [i.name for i in registry.segments(include_deleted=True)] == ["gone"]
    assert [v.text for v in registry.history("gone")] == ["cart()", "coupon()"]
    assert registry.get("gone", 1).text == "cart()"
    with pytest.raises(cafehub.SegmentError) as caught:
        registry.check('segment("gone")')
    assert caught.value.codes == ["E0801"]
    assert "was deleted" in caught.value.diagnostics[0].message
    back = registry.save("gone", "order()", saved_by="c")
    assert back.version.version == 3
    assert not back.segment.deleted


def test_a_segment_in_use_cannot_be_deleted(store: Engine, shop: str) -> None:
    registry = SegmentRegistry(store, shop)
    registry.save("base", "cart()", saved_by="a")
    registry.save("user-1", 'segment("base") and coupon()', saved_by="a")
    registry.save("user-2", 'order() or segment("base", version = 1)', saved_by="a")
    with pytest.raises(SegmentInUse) as caught:
        registry.delete("base", deleted_by="a")
    assert caught.value.used_by == ("user-1", "user-2")
    registry.save("user-1", "coupon()", saved_by="a")
    registry.delete("user-2", deleted_by="a")
    assert registry.delete("base", deleted_by="a").deleted


def test_saving_a_cycle_is_refused(store: Engine, shop: str) -> None:
    registry = SegmentRegistry(store, shop)
    registry.save("a", "cart()", saved_by="x")
    registry.save("b", 'segment("a") or coupon()', saved_by="x")
    with pytest.raises(cafehub.SegmentError) as caught:
        registry.save("a", 'segment("b") and order()', saved_by="x")
    assert caught.value.codes == ["E0803"]
    assert caught.value.diagnostics[0].message == "segment 'a' would include itself: a → b → a"
    with pytest.raises(cafehub.SegmentError):
        registry.save("c", 'segment("c")', saved_by="x")
    assert registry.save("a", 'segment("a", version = 1) and order()', saved_by="x").version.version == 2
    assert next(v.text for v in registry.history("a")) == "cart()"


def test_names_shops_and_authors_are_checked(store: Engine, shop: str) -> None:
    registry = SegmentRegistry(store, shop)
    for bad in ("", "has space", "-lead", "x" * 65, "a/b", "e\u0301"):
        with pytest.raises(InvalidName):
            registry.save(bad, "cart()", saved_by="a")
    registry.save("Vip_2026.여름", "cart()", saved_by="a")
    with pytest.raises(InvalidName, match="only in case"):
        registry.save("vip_2026.여름", "cart()", saved_by="a")
    with pytest.raises(InvalidName):
        registry.save("ok", "cart()", saved_by=" ")
    with pytest.raises(InvalidName):
        SegmentRegistry(store, "Bad Shop")


def test_a_segment_of_the_maximum_length_fits(store: Engine, shop: str) -> None:
    text = " or ".join(f'coupon(name = "{n:0>8}세일")' for n in range(3_000))  # about 150 KB of UTF-8
    text += " " * (100_000 - len(text))
    limits = cafehub.Limits(max_atoms=10_000)
    registry = SegmentRegistry(store, shop, options=cafehub.CheckOptions(limits=limits))
    registry.save("long", text, saved_by="a")
    assert registry.get("long").text == text


def test_concurrent_saves_get_distinct_versions(store: Engine, shop: str) -> None:
    if store.dialect.name == "duckdb":
        pytest.skip("DuckDB serialises writers within one process; covered by the sequential tests")
    errors: list[BaseException] = []

    def saver(worker: int) -> None:
        registry = SegmentRegistry(store, shop)
        try:
            for round_ in range(4):
                registry.save("busy", f"cart(product = {worker * 100 + round_})", saved_by=f"w{worker}")
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=saver, args=(w,)) for w in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    history = SegmentRegistry(store, shop).history("busy")
    assert [v.version for v in history] == list(range(1, 33))
    assert len({v.text for v in history}) == 32


def test_rows_carry_their_shop(store: Engine, shop: str) -> None:
    SegmentRegistry(store, shop).save("vip", "cart()", saved_by="a")
    with store.connect() as conn:
        assert conn.execute(select(func.count()).select_from(segments).where(segments.c.shop_id == shop)).scalar() == 1
        assert conn.execute(select(segment_versions.c.shop_id).where(segment_versions.c.shop_id == shop)).all()
