"""SQLAlchemy Core definition of the canonical store.

Seven tables, the same on every engine. Columns holding Cafe24's numbers
(issued-coupon numbers of 19 digits, basket and product numbers) are 64-bit
``BIGINT`` (:data:`CafeNumber`); :mod:`cafehub.store.migrate` widens stores
made when they were 32-bit. Timestamps are naive UTC
(``DateTime`` without zone: text ``YYYY-MM-DD HH:MM:SS.ffffff`` on SQLite);
money is ``NUMERIC(14, 2)``. Text columns are sized so MySQL/MariaDB can index
them, and on MySQL/MariaDB use a binary, no-pad collation so that string
equality is exact (case-sensitive, trailing spaces significant) as the
language requires.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    Numeric,
    PrimaryKeyConstraint,
    String,
    Table,
)
from sqlalchemy.dialects import mysql
from sqlalchemy.types import TypeDecorator, TypeEngine

#: MariaDB's exact collation; MySQL 8's equivalent is utf8mb4_0900_bin (chosen at DDL time).
MARIADB_EXACT_COLLATION = "utf8mb4_nopad_bin"
MYSQL_EXACT_COLLATION = "utf8mb4_0900_bin"


class Text(TypeDecorator[str]):
    """A sized string column that compares exactly on every engine."""

    impl = String
    cache_ok = True

    def __init__(self, length: int) -> None:
        super().__init__(length)
        self.length = length

    def load_dialect_impl(self, dialect: object) -> TypeEngine[str]:
        name = getattr(dialect, "name", "")
        if name in ("mysql", "mariadb"):
            is_maria = getattr(dialect, "is_mariadb", False) or name == "mariadb"
            collation = MARIADB_EXACT_COLLATION if is_maria else MYSQL_EXACT_COLLATION
            return String(self.length, collation=collation)
        return String(self.length)


Money = Numeric(14, 2, asdecimal=True)
#: A number Cafe24 assigns (issue_no, basket_product_no, product_no): 64-bit on every engine.
CafeNumber = BigInteger
#: Microsecond precision everywhere (MySQL/MariaDB default to whole seconds).
Timestamp = DateTime(timezone=False).with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")

metadata = MetaData()

customers = Table(
    "customers",
    metadata,
    Column("member_id", Text(64), primary_key=True),
    Column("name", Text(255), nullable=True),
    Column("cellphone", Text(32), nullable=True),
    Column("email", Text(255), nullable=True),
    Column("joined_at", Timestamp, nullable=True),
)

coupons = Table(
    "coupons",
    metadata,
    Column("coupon_no", Text(64), primary_key=True),
    Column("name", Text(255), nullable=False),
    Column("issue_type", Text(32), nullable=False),
)

customer_coupons = Table(
    "customer_coupons",
    metadata,
    Column("id", CafeNumber, primary_key=True, autoincrement=False),
    Column("member_id", Text(64), nullable=False),
    Column("coupon_no", Text(64), nullable=False),
    Column("issued_at", Timestamp, nullable=False),
    Column("expires_at", Timestamp, nullable=False),
    Column("used_at", Timestamp, nullable=True),
    Index("ix_customer_coupons_member_id", "member_id"),
    Index("ix_customer_coupons_coupon_no", "coupon_no"),
    Index("ix_customer_coupons_expires_at", "expires_at"),
)

cart_items = Table(
    "cart_items",
    metadata,
    Column("id", CafeNumber, primary_key=True, autoincrement=False),
    Column("member_id", Text(64), nullable=False),
    Column("product_no", CafeNumber, nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("price", Money, nullable=False),
    Column("option_price", Money, nullable=False),
    Column("added_at", Timestamp, nullable=False),
    Index("ix_cart_items_member_id", "member_id"),
    Index("ix_cart_items_product_no", "product_no"),
)

orders = Table(
    "orders",
    metadata,
    Column("order_id", Text(64), primary_key=True),
    Column("member_id", Text(64), nullable=True),
    Column("ordered_at", Timestamp, nullable=False),
    Column("status", Text(16), nullable=False),
    Column("paid_amount", Money, nullable=False),
    Column("order_amount", Money, nullable=False),
    Column("shipping_fee", Money, nullable=False),
    Index("ix_orders_member_id", "member_id"),
    Index("ix_orders_member_id_ordered_at", "member_id", "ordered_at"),
)

order_items = Table(
    "order_items",
    metadata,
    Column("order_item_code", Text(64), primary_key=True),
    Column("order_id", Text(64), nullable=False),
    Column("product_no", CafeNumber, nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("price", Money, nullable=False),
    Column("option_price", Money, nullable=False),
    Index("ix_order_items_order_id", "order_id"),
    Index("ix_order_items_product_no", "product_no"),
)

order_payments = Table(
    "order_payments",
    metadata,
    Column("order_id", Text(64), nullable=False),
    Column("payment_method", Text(32), nullable=False),
    PrimaryKeyConstraint("order_id", "payment_method"),
    Index("ix_order_payments_order_id", "order_id"),
)

#: The tables in dependency-free load order.
TABLES: tuple[Table, ...] = (customers, coupons, customer_coupons, cart_items, orders, order_items, order_payments)

#: Marketing consent per customer, beside the canonical seven: what a tool must know before it sends.
#: ``sms`` and ``email`` are Cafe24's ``sms`` and ``news_mail`` flags (agreed to receive marketing by SMS,
#: by e-mail); ``NULL`` means not known, which a sender must treat as no. Filled by the sync, the loader
#: (``customer_consents.jsonl`` or ``.csv``) and the demo; segments never read it.
customer_consents = Table(
    "customer_consents",
    metadata,
    Column("member_id", Text(64), primary_key=True),
    Column("sms", Boolean(create_constraint=False), nullable=True),
    Column("email", Boolean(create_constraint=False), nullable=True),
)

#: Every table the loader, the dumper and the bulk writer handle, in load order: the seven, then consents.
STORE_TABLES: tuple[Table, ...] = (*TABLES, customer_consents)
