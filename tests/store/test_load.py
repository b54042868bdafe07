"""Loading table files: every bad row is reported by file, line and column, and nothing is half-loaded."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from cafehub.store import load as load_module
from cafehub.store.engines import StoreError
from cafehub.store.io import count_rows, read_shop, write_shop
from cafehub.store.load import LoadError, dump_directory, find_table_files, load_directory

from .conftest import write_jsonl, write_text
from .sample import SAMPLE, sorted_shop, write_files

CUSTOMER = {"member_id": "kim01", "name": "김민지", "joined_at": "2024-03-01T09:00:00+09:00"}
ORDER = {
    "order_id": "o1",
    "member_id": "kim01",
    "ordered_at": "2025-01-01T00:00:00Z",
    "status": "paid",
    "paid_amount": "1000",
    "order_amount": 1000,
    "shipping_fee": 0,
}


def problems(engine: Engine, directory: Path, **options: Any) -> list[str]:
    """The problems a load reports (and a check that it changed nothing)."""
    before = read_shop(engine)
    with pytest.raises(LoadError) as caught:
        load_directory(engine, directory, **options)
    assert read_shop(engine) == before, "a failed load must not change the store"
    assert str(caught.value).startswith("cannot load:")
    return [str(p) for p in caught.value.problems]


def test_a_valid_directory_loads_and_converts_times_to_utc(sqlite_store: Engine, tmp_path: Path) -> None:
    write_jsonl(tmp_path, "customers", [CUSTOMER, {"member_id": "sato"}])
    write_jsonl(tmp_path, "orders", [ORDER, {**ORDER, "order_id": "o2", "member_id": None}])
    summary = load_directory(sqlite_store, tmp_path)
    assert summary.rows == {"customers": 2, "orders": 2}
    shop = read_shop(sqlite_store)
    assert str(shop.customers[0].joined_at) == "2024-03-01 00:00:00"  # +09:00 converted to UTC
    assert shop.customers[1].name is None  # absent nullable column is NULL
    assert [o.member_id for o in shop.orders] == ["kim01", None]  # a guest order


def test_every_bad_value_is_reported_with_file_line_and_column(sqlite_store: Engine, tmp_path: Path) -> None:
    write_jsonl(
        tmp_path,
        "customers",
        [
            CUSTOMER,
            {"member_id": "", "nickname": "x"},
            {"member_id": 7, "joined_at": "soon"},
        ],
    )
    write_text(tmp_path, "coupons.csv", "coupon_no,name,issue_type\nc1,Welcome,Signup\nc2,,birthday\n")
    write_jsonl(tmp_path, "orders", [{**ORDER, "paid_amount": "10.005", "status": None}, {"order_id": "o9"}])
    assert problems(sqlite_store, tmp_path) == [
        "customers.jsonl:2: column 'nickname': not a column of customers "
        "(columns: member_id, name, cellphone, email, joined_at)",
        "customers.jsonl:2: column 'member_id': empty (an id must not be empty)",
        "customers.jsonl:3: column 'member_id': expected a string, got a number",
        "customers.jsonl:3: column 'joined_at': 'soon' is not an ISO 8601 timestamp (e.g. 2025-01-31T09:30:00Z)",
        "coupons.csv:2: column 'issue_type': unknown issue_type 'Signup'; did you mean 'signup'?",
        "coupons.csv:3: column 'issue_type': unknown issue_type 'birthday' (one of: targeted, signup, "
        "delivery_complete, anniversary, review, order_complete, purchase_quantity, first_purchase, all_members, "
        "dormant, recurring)",
        "orders.jsonl:1: column 'status': required, but null was given",
        "orders.jsonl:1: column 'paid_amount': 10.005 has more than two decimal places",
        "orders.jsonl:2: column 'ordered_at': missing (the column is required)",
        "orders.jsonl:2: column 'status': missing (the column is required)",
        "orders.jsonl:2: column 'paid_amount': missing (the column is required)",
        "orders.jsonl:2: column 'order_amount': missing (the column is required)",
        "orders.jsonl:2: column 'shipping_fee': missing (the column is required)",
    ]


def test_broken_lines_are_reported_and_reading_goes_on(sqlite_store: Engine, tmp_path: Path) -> None:
    lines = '{"member_id": "a"}\n{"member_id": \n[1, 2]\n\n{"member_id": "b", "x": 1}\n'
    write_text(tmp_path, "customers.jsonl", lines)
    write_text(tmp_path, "order_payments.csv", 'order_id,payment_method\no1,card,extra\n"o2,card\n')
    found = problems(sqlite_store, tmp_path)
    assert found[0].startswith("customers.jsonl:2: not valid JSON")
    assert found[1:] == [
        "customers.jsonl:3: expected a JSON object, got an array",
        "customers.jsonl:5: column 'x': not a column of customers (columns: member_id, name, cellphone, email, "
        "joined_at)",
        "order_payments.csv:2: 3 cells, but the header has 2",
        "order_payments.csv:3: a quoted cell is never closed",
    ]


def test_non_utf8_files_name_the_line(sqlite_store: Engine, tmp_path: Path) -> None:
    (tmp_path / "customers.csv").write_bytes(b"member_id,name\na,ok\nb,caf\xe9\n")
    assert problems(sqlite_store, tmp_path) == ["customers.csv:3: not UTF-8 text (byte 6 of the line)"]


def test_duplicate_keys_name_both_lines(sqlite_store: Engine, tmp_path: Path) -> None:
    write_jsonl(tmp_path, "customers", [{"member_id": "a"}, {"member_id": "A"}, {"member_id": "a"}])
    write_jsonl(tmp_path, "orders", [ORDER | {"member_id": "a"}])
    write_text(tmp_path, "order_payments.csv", "order_id,payment_method\no1,card\no1,point\no1,card\n")
    assert problems(sqlite_store, tmp_path) == [
        "customers.jsonl:3: duplicate key (member_id 'a'), first on line 1",
        "order_payments.csv:4: duplicate key (order_id 'o1', payment_method 'card'), first on line 2",
    ]


def test_references_must_exist(sqlite_store: Engine, tmp_path: Path) -> None:
    write_jsonl(tmp_path, "customers", [CUSTOMER])
    write_jsonl(tmp_path, "coupons", [{"coupon_no": "c1", "name": "Welcome", "issue_type": "signup"}])
    stamp = "2025-01-01T00:00:00Z"
    write_jsonl(
        tmp_path,
        "customer_coupons",
        [
            {"id": 1, "member_id": "kim01", "coupon_no": "c1", "issued_at": stamp, "expires_at": stamp},
            {"id": 2, "member_id": "nobody", "coupon_no": "c1", "issued_at": stamp, "expires_at": stamp},
            {"id": 3, "member_id": "kim01", "coupon_no": "c404", "issued_at": stamp, "expires_at": stamp},
        ],
    )
    cart = {"member_id": "KIM01", "product_no": 1, "quantity": 1, "price": 1, "option_price": 0, "added_at": stamp}
    write_jsonl(tmp_path, "cart_items", [cart | {"id": 5}])
    write_jsonl(tmp_path, "orders", [ORDER, ORDER | {"order_id": "o2", "member_id": "ghost"}])
    write_text(tmp_path, "order_items.csv", "order_item_code,order_id,product_no,quantity,price,option_price\n"
                                            "i1,o1,1,1,1000,0\ni2,o3,1,1,1000,0\n")
    write_text(tmp_path, "order_payments.csv", "order_id,payment_method\no1,card\no4,card\n")
    assert problems(sqlite_store, tmp_path) == [
        "customer_coupons.jsonl:2: column 'member_id': 'nobody' is not in customers",
        "customer_coupons.jsonl:3: column 'coupon_no': 'c404' is not in coupons",
        "cart_items.jsonl:1: column 'member_id': 'KIM01' is not in customers",
        "orders.jsonl:2: column 'member_id': 'ghost' is not in customers",
        "order_items.csv:3: column 'order_id': 'o3' is not in orders",
        "order_payments.csv:3: column 'order_id': 'o4' is not in orders",
    ]


def test_appending_refuses_keys_already_in_the_store_and_accepts_references_to_stored_rows(
    sqlite_store: Engine, tmp_path: Path
) -> None:
    write_jsonl(tmp_path / "first", "customers", [CUSTOMER])
    load_directory(sqlite_store, tmp_path / "first")
    write_jsonl(tmp_path / "again", "customers", [{"member_id": "new"}, CUSTOMER])
    assert problems(sqlite_store, tmp_path / "again") == [
        "customers.jsonl:2: key (member_id 'kim01') is already in the store (use --replace?)"
    ]
    write_jsonl(tmp_path / "orders_only", "orders", [ORDER])  # its member was loaded before
    assert load_directory(sqlite_store, tmp_path / "orders_only").rows == {"orders": 1}


def test_problem_listing_stops_at_the_limit(sqlite_store: Engine, tmp_path: Path) -> None:
    write_jsonl(tmp_path, "customers", [{"member_id": ""} for _ in range(10)])
    with pytest.raises(LoadError) as caught:
        load_directory(sqlite_store, tmp_path, max_errors=3)
    assert len(caught.value.problems) == 3
    assert caught.value.truncated
    assert "3+ problem(s)" in str(caught.value)


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({}, "holds no table files"),
        ({"customers.jsonl": "", "customers.csv": "member_id\n"}, "both customers.jsonl and customers.csv"),
        ({"orders.json": "{}"}, "orders.json: unsupported file type (use orders.jsonl or orders.csv)"),
    ],
)
def test_directory_problems(tmp_path: Path, files: dict[str, str], message: str) -> None:
    for name, text in files.items():
        write_text(tmp_path, name, text)
    with pytest.raises(StoreError, match=re.escape(message)):
        find_table_files(tmp_path)


def test_a_missing_directory_is_named(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="is not a directory"):
        find_table_files(tmp_path / "nope")


def test_a_bad_row_in_the_last_file_undoes_every_earlier_batch(store: Engine, tmp_path: Path) -> None:
    """Batches of two rows are inserted while reading; a bad last row must roll all of them back."""
    write_shop(store, SAMPLE)
    write_files(tmp_path, SAMPLE, "jsonl")
    payments = tmp_path / "order_payments.jsonl"
    payments.write_text(payments.read_text(encoding="utf-8") + '{"order_id": "x", "payment_method": "gold"}\n',
                        encoding="utf-8")
    found = problems(store, tmp_path, replace=True, batch=2)
    line = len(SAMPLE.order_payments) + 1
    assert found == [f"order_payments.jsonl:{line}: column 'payment_method': unknown payment_method 'gold' (one of: "
                     "cash, card, cell, tcash, icash, prepaid, credit, point, pointfy, cvs, cod, coupon, "
                     "market_discount, giftcard, pointcard, etc)"]
    assert read_shop(store) == sorted_shop(SAMPLE)


def test_a_failure_mid_load_leaves_the_store_as_it_was(
    store: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Fail while writing the second order_items batch, after every earlier table and batch went in."""
    before = count_rows_of(store)
    write_files(tmp_path, SAMPLE, "csv")
    calls: list[str] = []
    real_write_rows = load_module.write_rows

    def failing_write_rows(conn: Any, table: Any, rows: Any, batch: int = 5_000) -> None:
        calls.append(table.name)
        real_write_rows(conn, table, rows, batch)  # really written, inside the load's transaction
        if calls.count("order_items") == 2:
            raise RuntimeError("injected failure")

    monkeypatch.setattr(load_module, "write_rows", failing_write_rows)
    with pytest.raises(RuntimeError, match="injected failure"):
        load_directory(store, tmp_path, batch=2)
    assert calls[:5] == ["customers", "customers", "customers", "coupons", "coupons"]
    assert count_rows_of(store) == before
    monkeypatch.undo()
    load_directory(store, tmp_path)  # and the same files load fine afterwards
    assert read_shop(store) == sorted_shop(SAMPLE)


def count_rows_of(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return count_rows(conn)


def test_dump_refuses_a_directory_holding_the_other_format(sqlite_store: Engine, tmp_path: Path) -> None:
    write_text(tmp_path, "orders.csv", "order_id\n")
    with pytest.raises(StoreError, match=r"already holds orders\.csv"):
        dump_directory(sqlite_store, tmp_path, fmt="jsonl")


def test_consents_load_from_jsonl_and_csv_and_must_belong_to_customers(sqlite_store: Engine, tmp_path: Path) -> None:
    write_jsonl(tmp_path, "customers", [CUSTOMER, {"member_id": "sato"}, {"member_id": "lee"}])
    write_jsonl(tmp_path, "customer_consents", [
        {"member_id": "kim01", "sms": True, "email": False},
        {"member_id": "sato", "sms": None},
    ])
    load_directory(sqlite_store, tmp_path)
    consents = {c.member_id: (c.sms, c.email) for c in read_shop(sqlite_store).customer_consents}
    assert consents == {"kim01": (True, False), "sato": (None, None)}

    again = tmp_path / "again"
    again.mkdir()
    write_jsonl(again, "customers", [{"member_id": "park"}])
    write_text(again, "customer_consents.csv", "member_id,sms,email\npark,true,\nghost,false,true\nlee,yes,1\n")
    assert problems(sqlite_store, again) == [
        "customer_consents.csv:4: column 'sms': expected true or false, got 'yes'",
        "customer_consents.csv:4: column 'email': expected true or false, got '1'",
    ]
    write_text(again, "customer_consents.csv", "member_id,sms,email\npark,true,\nghost,false,true\n")
    assert any("ghost" in p for p in problems(sqlite_store, again))
