"""The sandbox shop in memory, loaded from the store and the ``sandbox_*`` tables.

This is a simulation of a live mall, so its order records are mutable: a
cancellation changes item statuses and amounts in place and is written back
to the ``sandbox_*`` tables at once (one transaction per write), so a
restarted sandbox serves what the last one left. Customers, coupons, issued
coupons and carts come from the canonical tables, which are never written:
what the mall changes about them is kept beside them (a coupon a
cancellation gave back, in ``sandbox_issue_orders``; a member who withdrew,
in ``sandbox_withdrawn``) and laid over them on load. Tests may add to them
in memory through the ``add_*`` hooks.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, delete, insert, select

from cafehub.store import io as store_io
from cafehub.store import records as r

from . import tables as t


@dataclass(slots=True)
class Item:
    order_item_code: str
    order_id: str
    item_no: int
    product_no: int
    variant_code: str
    quantity: int
    price: Decimal
    option_price: Decimal
    status: str
    shipping_code: str | None = None
    tracking_no: str | None = None
    claim_code: str | None = None
    shipped_date: datetime | None = None
    delivered_date: datetime | None = None
    cancel_date: datetime | None = None
    return_request_date: datetime | None = None
    exchange_request_date: datetime | None = None
    refund_date: datetime | None = None

    @property
    def amount(self) -> Decimal:
        return (self.price + self.option_price) * self.quantity


@dataclass(slots=True)
class Receiver:
    shipping_code: str
    order_id: str
    name: str
    phone: str | None
    cellphone: str | None
    zipcode: str
    address1: str
    address2: str


@dataclass(slots=True)
class Order:
    order_id: str
    member_id: str | None
    ordered_at: datetime
    payment_methods: list[str]
    payment_amount: Decimal
    order_price_amount: Decimal
    shipping_fee: Decimal
    initial_payment_amount: Decimal
    initial_order_price_amount: Decimal
    initial_shipping_fee: Decimal
    pay_date: datetime | None = None
    cancel_date: datetime | None = None
    return_complete_date: datetime | None = None
    refund_date: datetime | None = None
    buyer_name: str | None = None
    buyer_email: str | None = None
    buyer_cellphone: str | None = None
    items: list[Item] = field(default_factory=list)
    receivers: list[Receiver] = field(default_factory=list)


@dataclass(slots=True)
class Product:
    product_no: int
    product_code: str
    name: str
    price: Decimal


@dataclass(slots=True)
class Variant:
    variant_code: str
    product_no: int
    option_value: str
    additional_amount: Decimal
    stock: int
    restock_date: date | None


def _columns(table: Any) -> list[str]:
    return [c.name for c in table.columns]


def _row(obj: Any, table: Any) -> dict[str, Any]:
    return {name: getattr(obj, name) for name in _columns(table)}


class SandboxShop:
    """Everything the sandbox serves, with a lock for the server and test threads."""

    def __init__(self, engine: Engine | None = None) -> None:
        self.engine = engine
        self.lock = threading.RLock()
        self.customers: dict[str, r.Customer] = {}
        self.consents: dict[str, r.CustomerConsent] = {}
        self.coupons: dict[str, r.Coupon] = {}
        #: coupon numbers referenced by issued coupons but without a definition
        self.deleted_coupons: set[str] = set()
        self.issues: dict[str, list[r.CustomerCoupon]] = {}
        self.carts: dict[str, list[r.CartItem]] = {}
        self.orders: dict[str, Order] = {}
        self.products: dict[int, Product] = {}
        self.variants: dict[str, Variant] = {}
        self.packing: dict[str, str] = {}
        #: issue number -> the order it was used on (kept when a cancellation gives it back)
        self.issue_orders: dict[int, str] = {}
        #: issues a cancellation gave back (unused again, no related order any more)
        self.restored: set[int] = set()
        self.withdrawn: set[str] = set()
        self.claim_seq = 0
        self.derived_at: datetime | None = None

    # -- loading ----------------------------------------------------------

    def load_store(self, data: r.ShopData) -> None:
        """Take customers, coupons, issues and carts from canonical rows."""
        with self.lock:
            self.customers = {c.member_id: c for c in data.customers}
            self.consents = {k.member_id: k for k in data.customer_consents}
            self.coupons = {c.coupon_no: c for c in data.coupons}
            self.issues = {}
            for issue in sorted(data.customer_coupons, key=lambda i: i.id):
                self.issues.setdefault(issue.coupon_no, []).append(issue)
            self.deleted_coupons = set(self.issues) - set(self.coupons)
            self.carts = {}
            for item in sorted(data.cart_items, key=lambda c: c.id):
                self.carts.setdefault(item.member_id, []).append(item)

    def load_tables(self) -> bool:
        """Read orders, products, variants and packing from ``sandbox_*``; False when empty."""
        assert self.engine is not None
        with self.engine.connect() as conn:

            def mappings(table: Any) -> Any:
                return conn.execute(select(table)).mappings()

            orders = {row["order_id"]: Order(**dict(row)) for row in mappings(t.sandbox_orders)}
            if not orders and not conn.execute(select(t.sandbox_meta)).first():
                return False
            items = select(t.sandbox_order_items).order_by(t.sandbox_order_items.c.item_no)
            for row in conn.execute(items).mappings():
                orders[row["order_id"]].items.append(Item(**dict(row)))
            receivers = select(t.sandbox_receivers).order_by(t.sandbox_receivers.c.shipping_code)
            for row in conn.execute(receivers).mappings():
                orders[row["order_id"]].receivers.append(Receiver(**dict(row)))
            products = {row["product_no"]: Product(**dict(row)) for row in mappings(t.sandbox_products)}
            variants = {row["variant_code"]: Variant(**dict(row)) for row in mappings(t.sandbox_variants)}
            packing = {row["order_id"]: row["pack_no"] for row in mappings(t.sandbox_packing)}
            relations = list(mappings(t.sandbox_issue_orders))
            withdrawn = {row["member_id"] for row in mappings(t.sandbox_withdrawn)}
            meta = {row["key"]: row["value"] for row in mappings(t.sandbox_meta)}
        for order in orders.values():
            order.payment_methods = [p for p in str(order.payment_methods).split(",") if p]
        with self.lock:
            self.orders, self.products, self.variants, self.packing = orders, products, variants, packing
            self.claim_seq = int(meta.get("claim_seq", "0"))
            self.derived_at = datetime.fromisoformat(meta["derived_at"]) if "derived_at" in meta else None
            self.issue_orders = {row["issue_no"]: row["order_id"] for row in relations if row["order_id"]}
            for row in relations:
                if row["restored_at"] is not None:
                    self._mark_unused(row["issue_no"])
                    self.restored.add(row["issue_no"])
            for member_id in withdrawn:
                self._forget(member_id)
        return True

    def save_all(self) -> None:
        """Write every derived table (after a first derivation)."""
        assert self.engine is not None
        t.sandbox_metadata.create_all(self.engine)
        with self.engine.begin() as conn:
            for table in reversed(t.sandbox_metadata.sorted_tables):
                conn.execute(delete(table))
            order_rows = [self._order_row(o) for o in self.orders.values()]
            item_rows = [_row(i, t.sandbox_order_items) for o in self.orders.values() for i in o.items]
            receiver_rows = [_row(x, t.sandbox_receivers) for o in self.orders.values() for x in o.receivers]
            for table, rows in (
                (t.sandbox_orders, order_rows),
                (t.sandbox_order_items, item_rows),
                (t.sandbox_receivers, receiver_rows),
                (t.sandbox_products, [_row(p, t.sandbox_products) for p in self.products.values()]),
                (t.sandbox_variants, [_row(v, t.sandbox_variants) for v in self.variants.values()]),
                (t.sandbox_packing, [{"order_id": k, "pack_no": v} for k, v in self.packing.items()]),
                (t.sandbox_issue_orders, [{"issue_no": k, "order_id": v, "restored_at": None}
                                          for k, v in self.issue_orders.items()]),
            ):
                for start in range(0, len(rows), 2000):
                    conn.execute(insert(table), rows[start : start + 2000])
            meta = {"claim_seq": str(self.claim_seq)}
            if self.derived_at is not None:
                meta["derived_at"] = self.derived_at.isoformat()
            conn.execute(insert(t.sandbox_meta), [{"key": k, "value": v} for k, v in meta.items()])

    @staticmethod
    def _order_row(order: Order) -> dict[str, Any]:
        row = _row(order, t.sandbox_orders)
        row["payment_methods"] = ",".join(order.payment_methods)
        return row

    def persist_order(self, order: Order, claim: dict[str, Any] | None = None) -> None:
        """Write one order (with items and receivers) and an optional claim record."""
        if self.engine is None:
            return
        with self.engine.begin() as conn:
            for table in (t.sandbox_order_items, t.sandbox_receivers, t.sandbox_orders):
                conn.execute(delete(table).where(table.c.order_id == order.order_id))
            conn.execute(insert(t.sandbox_orders), [self._order_row(order)])
            conn.execute(insert(t.sandbox_order_items), [_row(i, t.sandbox_order_items) for i in order.items])
            if order.receivers:
                conn.execute(insert(t.sandbox_receivers), [_row(x, t.sandbox_receivers) for x in order.receivers])
            if claim is not None:
                conn.execute(insert(t.sandbox_claims), [claim])
                conn.execute(delete(t.sandbox_meta).where(t.sandbox_meta.c.key == "claim_seq"))
                conn.execute(insert(t.sandbox_meta), [{"key": "claim_seq", "value": str(self.claim_seq)}])

    # -- members and their coupons ------------------------------------------

    def _mark_unused(self, issue_no: int) -> r.CustomerCoupon | None:
        for rows in self.issues.values():
            for index, issue in enumerate(rows):
                if issue.id == issue_no:
                    rows[index] = replace(issue, used_at=None)
                    return rows[index]
        return None

    def restore_coupons(self, order_id: str, now: datetime) -> list[int]:
        """Give back the coupons used on ``order_id`` (a cancellation with ``recover_coupon``); persisted."""
        restored = [no for no, oid in self.issue_orders.items()
                    if oid == order_id and no not in self.restored and self._mark_unused(no)]
        self.restored.update(restored)
        if restored and self.engine is not None:
            with self.engine.begin() as conn:
                conn.execute(delete(t.sandbox_issue_orders).where(t.sandbox_issue_orders.c.issue_no.in_(restored)))
                conn.execute(insert(t.sandbox_issue_orders),
                             [{"issue_no": no, "order_id": order_id, "restored_at": now} for no in restored])
        return restored

    def related_order(self, issue_no: int) -> str | None:
        """Cafe24's ``related_order_id`` of an issue: none once a cancellation gave it back."""
        return None if issue_no in self.restored else self.issue_orders.get(issue_no)

    def _forget(self, member_id: str) -> None:
        self.customers.pop(member_id, None)
        self.carts.pop(member_id, None)
        for rows in self.issues.values():
            rows[:] = [i for i in rows if i.member_id != member_id]
        self.withdrawn.add(member_id)

    def withdraw(self, member_id: str, now: datetime) -> None:
        """The member leaves the mall: their account, cart and coupons are gone (orders stay); persisted."""
        with self.lock:
            self._forget(member_id)
            if self.engine is not None:
                with self.engine.begin() as conn:
                    conn.execute(delete(t.sandbox_withdrawn).where(t.sandbox_withdrawn.c.member_id == member_id))
                    conn.execute(insert(t.sandbox_withdrawn), [{"member_id": member_id, "withdrawn_at": now}])

    def claims(self) -> list[dict[str, Any]]:
        """Every write the sandbox accepted (for tests: a write must never be applied twice)."""
        if self.engine is None:
            return []
        with self.engine.connect() as conn:
            return [dict(row) for row in conn.execute(select(t.sandbox_claims)).mappings()]

    # -- test hooks -------------------------------------------------------

    def add_customer(self, customer: r.Customer) -> None:
        with self.lock:
            self.customers[customer.member_id] = customer

    def add_issue(self, issue: r.CustomerCoupon, related_order_id: str | None = None) -> None:
        with self.lock:
            if related_order_id is not None:
                self.issue_orders[issue.id] = related_order_id
            bucket = self.issues.setdefault(issue.coupon_no, [])
            bucket[:] = [i for i in bucket if i.id != issue.id] + [issue]
            bucket.sort(key=lambda i: i.id)
            if issue.coupon_no not in self.coupons:
                self.deleted_coupons.add(issue.coupon_no)

    def add_order(self, order: Order) -> None:
        with self.lock:
            self.orders[order.order_id] = order


def open_shop(engine: Engine, *, derive_now: datetime, zone: str) -> SandboxShop:
    """The sandbox shop for the store at ``engine``, deriving ``sandbox_*`` on first use."""
    from .derive import derive_shop

    t.sandbox_metadata.create_all(engine)
    data = store_io.read_shop(engine)
    shop = SandboxShop(engine)
    shop.load_store(data)
    if not shop.load_tables():
        derive_shop(shop, data, derive_now, zone)
        shop.save_all()
    return shop
