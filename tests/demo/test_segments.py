"""The demo's example segments: valid, covering the product guide, and right on a generated shop."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine

import cafehub
from cafehub.compiler.evaluation import EvalContext
from cafehub.demo import catalog
from cafehub.demo.generator import DemoSettings
from cafehub.demo.segments import GUIDE_FILTERS, examples
from cafehub.demo.shop import build, run_examples
from cafehub.store.engines import open_engine

SEOUL = ZoneInfo("Asia/Seoul")
NOW = datetime(2025, 12, 1, 12, 0, tzinfo=SEOUL)


@pytest.mark.parametrize(
    "now",
    [
        datetime(2024, 1, 1, 0, 0, tzinfo=SEOUL),
        datetime(2024, 1, 31, 23, 59, tzinfo=SEOUL),
        datetime(2024, 11, 15, tzinfo=SEOUL),
        datetime(2024, 12, 1, tzinfo=SEOUL),
        NOW,
        datetime(2027, 2, 28, 23, 0, tzinfo=ZoneInfo("America/New_York")),
    ],
    ids=str,
)
def test_every_example_checks_without_warnings(now: datetime) -> None:
    for example in examples(now, SEOUL):
        assert cafehub.check(example.text).warnings == (), example.text


def test_the_calendar_example_stays_inside_the_history() -> None:
    texts = {now: [e.text for e in examples(now, SEOUL) if "between" in e.text] for now in (
        datetime(2024, 1, 5, tzinfo=SEOUL), datetime(2024, 6, 5, tzinfo=SEOUL),
        datetime(2025, 11, 30, tzinfo=SEOUL), NOW,
    )}  # fmt: skip
    assert list(texts.values()) == [
        ["order(ordered_at between 2024-01-01 and 2024-01-31)"],  # the month so far
        ["order(ordered_at between 2024-05-01 and 2024-05-31)"],  # no November yet: last month
        ["order(ordered_at between 2024-11-01 and 2024-11-30)"],  # the last complete November
        ["order(ordered_at between 2025-11-01 and 2025-11-30)"],
    ]


def test_examples_cover_every_filter_of_the_product_guide() -> None:
    covered = {f for e in examples(NOW, SEOUL) for f in e.filters}
    assert covered == set(GUIDE_FILTERS)


def test_examples_name_products_and_coupons_of_the_demo_catalogue() -> None:
    text = " ".join(e.text for e in examples(NOW, SEOUL))
    assert catalog.SIGNUP.coupon_no in text
    for number in (17, 42, 43):
        assert f"{number}" in text
        assert number in catalog.PRODUCT_BY_NO


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Engine, DemoSettings]]:
    path: Path = tmp_path_factory.mktemp("demo") / "demo.db"
    engine = open_engine(f"sqlite:///{path}")
    settings = DemoSettings(customers=2_000, seed=7, now=NOW)
    build(engine, settings)
    yield engine, settings
    engine.dispose()


def test_sql_and_predicates_agree_on_every_example_and_audiences_are_real(
    demo_store: tuple[Engine, DemoSettings],
) -> None:
    """The SQL backend's audiences equal the predicate backend's, customer by customer."""
    pytest.importorskip("cafehub.execution.sql", reason="the SQL backend (cafehub.execution.sql) is not there yet")
    from cafehub.compiler.backends.python import compile_predicate
    from cafehub.execution.python import iter_customers

    engine, settings = demo_store
    results = run_examples(engine, settings)
    ctx = EvalContext(now=settings.now, zone=settings.zone)
    predicates = [compile_predicate(cafehub.check(r.example.text)).bind(ctx) for r in results]
    expected: list[list[str]] = [[] for _ in results]
    for batch in iter_customers(engine, batch_size=500):
        for customer in batch:
            for index, matches in enumerate(predicates):
                if matches(customer):
                    expected[index].append(customer.member_id)
    for result, oracle in zip(results, expected, strict=True):
        assert result.member_ids == sorted(oracle), result.example.text
        assert 0 < len(result.member_ids) < settings.customers, result.example.text
