"""``cafehub segment explain`` on a real store file."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from cafehub.cli.explain import register
from cafehub.store import records as rec
from cafehub.testing.engines import canonical_engine, load

NOW = datetime(2025, 3, 1, tzinfo=UTC)
SEGMENT = "order(status = paid).count >= 2 and no order(ordered_at within last 60d)"


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{Path(tmp_path_factory.mktemp('explain')) / 'shop.db'}"
    engine = canonical_engine(url)
    at = NOW.replace(tzinfo=None)

    def order(oid: str, member: str, days: int) -> rec.Order:
        return rec.Order(order_id=oid, member_id=member, ordered_at=at - timedelta(days=days), status="paid",
                         paid_amount=Decimal("5.00"), order_amount=Decimal("5.00"), shipping_fee=Decimal(0))

    load(engine, rec.ShopData(
        customers=(rec.Customer("lapsed"), rec.Customer("active"), rec.Customer("[bold]x")),
        orders=(order("o1", "lapsed", 90), order("o2", "lapsed", 80), order("o3", "active", 90),
                order("o4", "active", 80), order("o5", "active", 3)),
    ))
    engine.dispose()
    return url


def app() -> typer.Typer:
    segment = typer.Typer()

    @segment.callback()
    def main() -> None:
        """The segment commands."""

    register(segment)
    return segment


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app(), ["explain", *args])
    return result.exit_code, result.output


def test_a_match_and_a_non_match_are_explained(db: str) -> None:
    code, output = run(SEGMENT, "--db", db, "--member", "lapsed", "--now", "2025-03-01T09:00")
    assert code == 0, output
    assert "member lapsed matches" in output
    assert "✓ order(status = paid).count >= 2" in output
    assert "count = 2" in output
    code, output = run(SEGMENT, "--db", db, "--member", "active", "--now", "2025-03-01T09:00", "--tz", "Asia/Seoul")
    assert code == 0, output
    assert "member active does not match" in output
    assert "✗ no order(ordered_at within last 60d)" in output
    assert "matched 1 of 3 order rows in scope: o5" in output
    assert "window: 2024-12-31T09:00:00+09:00 <= order.ordered_at <=" in output  # (wrapped at 80 columns)


def test_json_is_the_explanation_as_data(db: str) -> None:
    code, output = run(SEGMENT, "--db", db, "--member", "active", "--now", "2025-03-01T00:00Z", "--json")
    assert code == 0, output
    data = json.loads(output)
    assert data["matches"] is False
    assert data["now"] == "2025-03-01T09:00:00+09:00"
    assert [c["value"] for c in data["root"]["children"]] == [True, False]


def test_user_text_is_printed_as_text_not_markup(db: str) -> None:
    code, output = run('order() or coupon(name = "[red]x[/red]")', "--db", db, "--member", "[bold]x",
                       "--now", "2025-03-01T09:00")
    assert code == 0, output
    assert "member [bold]x does not match" in output
    assert 'coupon(name = "[red]x[/red]")' in output


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (("--member", "nobody"), 1, "no customer with member id 'nobody'"),
        ((), 2, "give the member to explain with --member ID"),
        (("--member", "lapsed", "--now", "yesterday"), 2, "--now 'yesterday' is not an ISO 8601"),
        (("--member", "lapsed", "--tz", "Mars/Olympus"), 2, "unknown time zone 'Mars/Olympus'"),
        (("--member", "lapsed", "--retention-days", "0"), 2, "cart retention must be between"),
    ],
)
def test_bad_requests_get_one_clear_line(db: str, args: tuple[str, ...], code: int, message: str) -> None:
    exit_code, output = run(SEGMENT, "--db", db, *args)
    assert exit_code == code
    assert message in output
    assert "Traceback" not in output


def test_a_bad_segment_shows_its_diagnostics(db: str) -> None:
    code, output = run("order(status = payed)", "--db", db, "--member", "lapsed")
    assert code == 1
    assert "did you mean 'paid'" in output


def test_a_missing_store_is_reported(tmp_path: Path) -> None:
    code, output = run(SEGMENT, "--db", f"sqlite:///{tmp_path / 'none.db'}", "--member", "x")
    assert code == 1
    assert "no store" in output


def test_a_hand_written_text_in_a_money_column_names_table_column_and_row(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'spoilt.db'}"
    engine = canonical_engine(url)
    load(engine, rec.ShopData(customers=(rec.Customer("kim"),), orders=(rec.Order(
        order_id="o1", member_id="kim", ordered_at=NOW.replace(tzinfo=None) - timedelta(days=1), status="paid",
        paid_amount=Decimal("5.00"), order_amount=Decimal("5.00"), shipping_fee=Decimal(0)),)))
    with engine.begin() as conn:
        conn.exec_driver_sql("UPDATE orders SET paid_amount = 'five' WHERE order_id = 'o1'")
    engine.dispose()
    result = CliRunner().invoke(app(), ["explain", "order().sum(paid_amount) > 1", "--db", url, "--member", "kim",
                                        "--now", "2025-03-01T09:00"])
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "orders.paid_amount cannot be read in the row whose order_id is 'o1': not a number" in result.output
    assert "five" not in result.output
