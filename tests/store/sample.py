"""A small shop full of edge cases, for round trips through files and every engine.

Keys differ only by case or a trailing space (exact comparison on MySQL's
binary collation), strings carry quotes, commas, newlines, backslashes, SQL
wildcards and emoji, the empty string sits next to NULL, timestamps have
microseconds and reach the ends of the range every engine stores, and money
uses both extremes of NUMERIC(14, 2).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal as D
from pathlib import Path

from cafehub.store import records as r
from cafehub.store.formats import Format

T0 = datetime(2024, 3, 1, 0, 0, 0, 1)
T1 = datetime(2025, 12, 31, 23, 59, 59, 999_999)

TRICKY = "100% _under_ \\back\\slash, comma; \"dq\" 'sq' new\nline\r\ncrlf\ttab 😀 한글 日本語"

SAMPLE = r.ShopData(
    customers=(
        r.Customer("3000000007@k", "Emily Smith", "+1-555-***-0001", "emi***@example.com", T0),
        r.Customer("Kim01", 'Quote "double", \'single\'', None, "", T1),
        r.Customer("kim01", "김민지", "010-****-1234", "kim***@example.com", datetime(1000, 1, 1)),
        r.Customer("kim01 ", " leading and trailing ", None, None, None),
        r.Customer("sato", "佐藤 さくら", "", None, datetime(9999, 12, 31, 23, 59, 59, 999_999)),
        r.Customer("weird", TRICKY, "\\N", "NULL", datetime(2024, 1, 1)),
    ),
    coupons=(
        r.Coupon("6070000000000000001", "신규가입 10% 할인", "signup"),
        r.Coupon("C-2", "", "review"),
        r.Coupon("c-2", TRICKY, "targeted"),
    ),
    customer_coupons=(
        r.CustomerCoupon(1, "kim01", "6070000000000000001", T0, T1, None),
        r.CustomerCoupon(2, "kim01 ", "C-2", T0, T1, datetime(2024, 6, 1, 12, 0, 0, 500_000)),
        r.CustomerCoupon(2_147_483_647, "Kim01", "c-2", T0, T1, None),
    ),
    cart_items=(
        r.CartItem(-5, "sato", 2_147_483_647, 1, D("999999999999.99"), D("-0.01"), T1),
        r.CartItem(7, "kim01", 17, 3, D("12900.00"), D("0.00"), T0),
        r.CartItem(8, "weird", -2_147_483_648, 2_147_483_647, D("0.10"), D("-999999999999.99"), T0),
    ),
    orders=(
        r.Order("20240301-0000001", "kim01", T0, "paid", D("12345.67"), D("12345.67"), D("0.00")),
        r.Order("20240301-0000002", None, T1, "pending", D("0.00"), D("3000.00"), D("3000.00")),
        r.Order("20240301-0000003", "kim01 ", T1, "refunded", D("-1.00"), D("999999999999.99"), D("0.01")),
        r.Order(TRICKY[:64], "Kim01", datetime(2024, 1, 1), "canceled", D("1.50"), D("1.50"), D("0.00")),
    ),
    order_items=(
        r.OrderItem("20240301-0000001-01", "20240301-0000001", 42, 1, D("12345.67"), D("0.00")),
        r.OrderItem("20240301-0000001-02", "20240301-0000001", 43, 2, D("0.01"), D("0.99")),
        r.OrderItem("20240301-0000002-01", "20240301-0000002", 17, 1, D("3000.00"), D("0.00")),
    ),
    order_payments=(
        r.OrderPayment("20240301-0000001", "card"),
        r.OrderPayment("20240301-0000001", "point"),
        r.OrderPayment("20240301-0000002", "cash"),
        r.OrderPayment(TRICKY[:64], "market_discount"),
    ),
)


def sorted_shop(data: r.ShopData) -> r.ShopData:
    """Every table in primary-key code-point order (the order dumps and ``read_shop`` use)."""
    from cafehub.store.formats import SPEC_BY_NAME

    return r.ShopData(
        **{name: tuple(sorted(rows, key=SPEC_BY_NAME[name].key_of)) for name, rows in data.tables().items()}
    )


def write_files(directory: Path, data: r.ShopData, fmt: Format) -> None:
    """``data`` as table files, each in primary-key order (what a dump of it must reproduce)."""
    from cafehub.store import formats

    directory.mkdir(parents=True, exist_ok=True)
    for name, rows in sorted_shop(data).tables().items():
        spec = formats.SPEC_BY_NAME[name]
        lines = [formats.csv_header(spec)] if fmt == "csv" else []
        line = formats.csv_line if fmt == "csv" else formats.jsonl_line
        lines.extend(line(spec, row) for row in rows)
        (directory / f"{name}.{fmt}").write_text("".join(f"{x}\n" for x in lines), encoding="utf-8", newline="")
