"""Strategies for adversarial shops: rows on every edge a segment and a context define.

Timestamps sit exactly on window bounds and scope boundaries and 1 µs either
side; literals reappear in rows (equal, a cent off, another case); *twins*
copy a customer and move one value onto an edge, so an off-by-one shows up
as one of the pair matching wrongly.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar

from hypothesis import strategies as st

from cafehub.compiler import ir
from cafehub.compiler.catalog import ENUMS, AggregateFunc, FieldDef
from cafehub.compiler.evaluation import EvalContext, resolve
from cafehub.store import records as rec
from cafehub.testing.pools import (
    COUPON_NOS,
    MEMBER_IDS,
    MONEY,
    ORDER_IDS,
    PRODUCTS,
    eval_contexts,
    money,
    pool_or,
    texts,
    time_pool,
)

T = TypeVar("T")

# ---------------------------------------------------------------- shop data


@dataclass(frozen=True, slots=True)
class Hints:
    """What a segment mentions, field by field, so that generated rows sit on it and right next to it.

    ``times`` are the resolved bounds of every window (naive UTC);
    ``fields`` holds ``(collection, field, kind, value)`` entries where
    ``kind`` is ``time`` (a bound on that field), ``value`` (a literal it is
    compared with, directly or through sum/avg/min/max), ``needle`` (a
    ``contains`` needle) or ``distinct`` (its values are counted; no value).
    """

    times: tuple[datetime, ...] = ()
    fields: tuple[tuple[str, str, str, object], ...] = ()

    def get(self, collection: str, name: str, kind: str) -> list[Any]:
        return [v for c, f, k, v in self.fields if (c, f, k) == (collection, name, kind)]


NO_HINTS = Hints()


def hints_for(segment: ir.Node, ctx: EvalContext) -> Hints:
    """The instants, literals and needles a checked segment's IR mentions, per field, resolved for ``ctx``."""
    times: list[datetime] = []
    entries: list[tuple[str, str, str, object]] = []
    stack: list[object] = [segment]
    while stack:
        node = stack.pop()
        if isinstance(node, (ir.And, ir.Or)):
            stack.extend(node.items)
        elif isinstance(node, ir.Not):
            stack.append(node.operand)
        elif isinstance(node, ir.Exists):
            stack.append(node.where)
        elif isinstance(node, (ir.Compare, ir.InValues, ir.AnyOf, ir.TimeRange, ir.Contains)):
            operand = node.field if isinstance(node, (ir.AnyOf, ir.Contains)) else node.operand
            target: FieldDef | None
            if isinstance(operand, ir.Aggregate):
                stack.append(operand.where)
                counted = operand.func in (AggregateFunc.COUNT, AggregateFunc.COUNT_DISTINCT)
                target = None if counted else operand.field
                if operand.func is AggregateFunc.COUNT_DISTINCT and operand.field is not None:
                    # Values of the field are counted, not compared: note the field, without a value.
                    entries.append((operand.field.collection.value, operand.field.name, "distinct", None))
            else:
                target = operand
            key = (target.collection.value, target.name) if target is not None else None
            if isinstance(node, ir.TimeRange):
                for bound in (node.lower, node.upper):
                    if bound is not None:
                        instant = resolve(bound.point, ctx).astimezone(UTC).replace(tzinfo=None)
                        times.append(instant)
                        if key is not None:
                            entries.append((*key, "time", instant))
            elif isinstance(node, ir.Contains):
                if key is not None:
                    entries.append((*key, "needle", node.needle))
            elif key is not None:
                values = (node.value,) if isinstance(node, ir.Compare) else node.values
                entries.extend((*key, "value", v) for v in values)
    return Hints(tuple(dict.fromkeys(times)), tuple(dict.fromkeys(entries)))


_TICK = timedelta(microseconds=1)
_CENT = Decimal("0.01")


def _window(ctx: EvalContext, role: str) -> tuple[datetime, datetime]:
    """Where a row's timestamp usually lies for it to be in scope (naive UTC)."""
    now = ctx.now_utc.replace(tzinfo=None)
    if role == "cart":
        return ctx.cart_cutoff.replace(tzinfo=None), now
    if role == "order":
        return min(ctx.history_cutoff.replace(tzinfo=None), now), now
    if role == "issued":
        return now - timedelta(days=90), now
    if role == "expires":
        return now, now + timedelta(days=90)
    return now - timedelta(days=420), now + timedelta(days=60)


def data_times(ctx: EvalContext, hints: Hints = NO_HINTS, role: str = "any",
               near: Sequence[datetime] = ()) -> st.SearchStrategy[datetime]:
    """Naive UTC timestamps, mostly exactly on an edge (a window bound, ``now``, a scope boundary)
    or 1 µs off it; ``near`` are extra anchors drawn most often (a field's own bounds).

    ``role`` (``cart``, ``order``, ``issued``, ``expires`` or ``any``) biases
    the draw towards where such rows are in scope without excluding the
    rest; ``edges`` draws edges only.
    """
    pool = time_pool(ctx)
    now = ctx.now_utc.replace(tzinfo=None)
    anchors = {now, ctx.cart_cutoff.replace(tzinfo=None), ctx.history_cutoff.replace(tzinfo=None), *hints.times}
    edges = sorted({t + k for t in anchors for k in (-_TICK, 0 * _TICK, _TICK)})
    if role == "edges":
        return st.sampled_from(edges)
    low, high = _window(ctx, role)
    inside = [t for t in edges if low - _TICK <= t <= high + _TICK] or edges
    own = sorted({t + k for t in near for k in (-_TICK, 0 * _TICK, _TICK)})
    return st.one_of(
        *([st.sampled_from(own)] * 3 if own else []),
        st.sampled_from(inside),
        st.sampled_from(inside),
        st.datetimes(min_value=low, max_value=high),
        st.datetimes(min_value=low, max_value=high),
        st.sampled_from(pool.data_times),
        st.datetimes(min_value=now - timedelta(days=420), max_value=now + timedelta(days=60)),
    )


def _near_amounts(values: Sequence[object]) -> list[Decimal]:
    """Two-place amounts equal to a literal (rounded both ways) or one cent either side."""
    out: set[Decimal] = set()
    for value in values:
        if isinstance(value, (int, Decimal)):
            exact = Decimal(value)
            for base in {exact.quantize(_CENT, rounding="ROUND_FLOOR"),
                         exact.quantize(_CENT, rounding="ROUND_CEILING")}:
                out.update(a for a in (base - _CENT, base, base + _CENT) if 0 <= a < 10**12)
    return sorted(out)


def _near_ints(values: Sequence[object]) -> list[int]:
    out: set[int] = set()
    for value in values:
        if isinstance(value, (int, Decimal)):
            low = int(Decimal(value).to_integral_value(rounding="ROUND_FLOOR"))
            out.update(i for i in (low - 1, low, low + 1, low + 2) if 0 <= i < 2**31)
    return sorted(out)


def _favour(candidates: Sequence[T], default: st.SearchStrategy[T]) -> st.SearchStrategy[T]:
    """Mostly one of ``candidates`` (when there are any), otherwise ``default``."""
    if not candidates:
        return default
    return st.one_of(st.sampled_from(list(candidates)), st.sampled_from(list(candidates)), default)


def _strings_near(values: Sequence[object], needles: Sequence[object]) -> list[str]:
    """Strings equal to a literal, or differing only in case or a trailing space; strings around a needle."""
    out: list[str] = []
    for v in values:
        if isinstance(v, str):
            out.extend((v, v, v.upper(), v + " "))
    for n in needles:
        if isinstance(n, str):
            out.extend((n, f"x{n}y", n.upper(), f"{n}%"))
    return list(dict.fromkeys(out))


class _Fields:
    """Per-field value strategies for one shop: hinted values first, the generic pool otherwise."""

    def __init__(self, ctx: EvalContext, hints: Hints) -> None:
        self.ctx = ctx
        self.hints = hints

    def time(self, collection: str, name: str, role: str) -> st.SearchStrategy[datetime]:
        return data_times(self.ctx, self.hints, role, self.edges(collection, name, role))

    def edges(self, collection: str, name: str, role: str) -> list[datetime]:
        """The instants that decide this field: its windows' bounds and its collection's scope bounds."""
        low, high = _window(self.ctx, role) if role in ("cart", "order") else (None, None)
        scope = [t for t in (low, high) if t is not None] or [self.ctx.now_utc.replace(tzinfo=None)]
        return [*self.hints.get(collection, name, "time"), *scope]

    def money(self, collection: str, *names: str) -> st.SearchStrategy[Decimal]:
        values = [v for name in names for v in self.hints.get(collection, name, "value")]
        return _favour(_near_amounts(values), money())

    def integer(self, collection: str, name: str, pool: Sequence[int]) -> st.SearchStrategy[int]:
        return _favour(_near_ints(self.hints.get(collection, name, "value")),
                       pool_or(pool, st.integers(0, 2**31 - 1)))

    def text(self, collection: str, name: str, base: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        near = _strings_near(self.hints.get(collection, name, "value"), self.hints.get(collection, name, "needle"))
        return _favour(near, base)

    def keys(self, collection: str, name: str, pool: Sequence[str], max_size: int,
             min_size: int = 0) -> st.SearchStrategy[list[str]]:
        near = [k for k in _strings_near(self.hints.get(collection, name, "value"),
                                         self.hints.get(collection, name, "needle")) if 0 < len(k) <= 64]
        choices = list(dict.fromkeys((*near, *pool)))
        return st.lists(_favour(near, pool_or(choices, _KEY_TEXT)), min_size=min_size, max_size=max_size,
                        unique=True)

    def enum(self, collection: str, name: str, enum: str, odd: Sequence[str]) -> st.SearchStrategy[str]:
        values = [v for v in self.hints.get(collection, name, "value") if isinstance(v, str)]
        return _favour(values, st.one_of(st.sampled_from(ENUMS[enum]), st.sampled_from(list(odd))))


_KEY_TEXT = st.text(st.characters(exclude_categories=["Cs", "Cc"]), min_size=1, max_size=6)


@st.composite
def shop_data(
    draw: st.DrawFn,
    ctx: EvalContext | None = None,
    *,
    hints: Hints = NO_HINTS,
    max_customers: int = 5,
    max_rows: int = 3,
    max_twins: int = 4,
) -> rec.ShopData:
    """A small shop whose rows sit on the edges of ``ctx``'s windows (and on what ``hints`` names).

    Adversarial on purpose: timestamps exactly on window edges and 1 µs
    either side, rows after ``now``, orders before the history boundary,
    guest orders, orders with no items or no payments, empty carts, used,
    expired and not-yet-issued coupons, coupons whose definition is
    missing, rows of members who are not customers, strings with quotes,
    backslashes, LIKE wildcards and Unicode, exact two-place amounts,
    values in the wrong case or with a trailing space, and *twins*:
    customers copied from another with one value moved onto an edge.
    """
    if ctx is None:
        ctx = draw(eval_contexts())
    f = _Fields(ctx, hints)
    members = draw(st.lists(pool_or(MEMBER_IDS, _KEY_TEXT), min_size=2, max_size=max_customers, unique=True))
    customers = tuple(rec.Customer(member_id=m, name=draw(st.one_of(st.none(), texts()))) for m in members)
    # Some rows belong to members who are not customers: they must never match.
    owners = st.one_of(st.sampled_from(members), st.sampled_from(members), st.sampled_from(members),
                       st.sampled_from(("ghost", "M1 ")))
    # Hypothesis favours small numbers; rows per member are drawn evenly instead, zero included.
    per_member = st.sampled_from((*range(1, max_rows + 1), 0))

    coupon_nos = draw(f.keys("coupon", "coupon_no", COUPON_NOS, 4, min_size=1))
    defined = [no for no in coupon_nos if draw(st.integers(0, 3))]
    names = f.text("coupon", "name", texts())
    issue_types = f.enum("coupon", "issue_type", "issue_type", ("Signup", "unknown"))
    coupons = tuple(rec.Coupon(coupon_no=no, name=draw(names), issue_type=draw(issue_types)) for no in defined)
    issued, expires, used = (f.time("coupon", "issued_at", "issued"), f.time("coupon", "expires_at", "expires"),
                             data_times(ctx, hints, "any"))
    customer_coupons = tuple(
        rec.CustomerCoupon(
            id=i + 1,
            member_id=draw(owners),
            coupon_no=draw(st.sampled_from(coupon_nos)),
            issued_at=draw(issued),
            expires_at=draw(expires),
            used_at=draw(st.one_of(st.none(), st.none(), st.none(), used)),
        )
        for i in range(sum(draw(per_member) for _ in members) if coupon_nos else 0)
    )

    cart_money = f.money("cart", "price", "amount")
    quantities = _favour(_near_ints(hints.get("cart", "quantity", "value")),
                         st.sampled_from((1, 2, 3, 0, 10, 1000)))
    cart_products, added = f.integer("cart", "product", PRODUCTS), f.time("cart", "added_at", "cart")
    cart_items = tuple(
        rec.CartItem(
            id=i + 1,
            member_id=draw(owners),
            product_no=draw(cart_products),
            quantity=draw(quantities),
            price=draw(cart_money),
            option_price=draw(st.one_of(st.just(Decimal("0.00")), st.just(Decimal("0.00")),
                                        f.money("cart", "option_price"))),
            added_at=draw(added),
        )
        for i in range(sum(draw(per_member) for _ in members))
    )

    order_ids = draw(f.keys("order", "order_id", ORDER_IDS, max_rows * len(members),
                            min_size=sum(draw(per_member) for _ in members)))
    statuses = f.enum("order", "status", "status", ("Paid", "paid "))
    ordered = f.time("order", "ordered_at", "order")
    paid, total = f.money("order", "paid_amount"), f.money("order", "order_amount")
    orders = tuple(
        rec.Order(
            order_id=oid,
            member_id=draw(st.one_of(owners, owners, owners, st.none())),
            ordered_at=draw(ordered),
            status=draw(statuses),
            paid_amount=draw(paid),
            order_amount=draw(total),
            shipping_fee=draw(st.sampled_from(MONEY[:4])),
        )
        for oid in order_ids
    )
    items: list[rec.OrderItem] = []
    payments: list[rec.OrderPayment] = []
    products = f.integer("order", "product", PRODUCTS)
    methods = f.enum("order", "payment_method", "payment_method", ("Card",))
    for order in orders:
        for _ in range(draw(st.sampled_from((1, 2, 0, 3)))):
            items.append(rec.OrderItem(
                order_item_code=f"{len(items) + 1}",
                order_id=order.order_id,
                product_no=draw(products),
                quantity=draw(st.sampled_from((1, 2, 5))),
                price=draw(money()),
                option_price=Decimal("0.00"),
            ))
        chosen = draw(st.lists(methods, max_size=2, unique=True))
        payments.extend(rec.OrderPayment(order_id=order.order_id, payment_method=m) for m in chosen)
    data = rec.ShopData(
        customers=customers,
        coupons=coupons,
        customer_coupons=customer_coupons,
        cart_items=cart_items,
        orders=orders,
        order_items=tuple(items),
        order_payments=tuple(payments),
    )
    for n in range(draw(st.sampled_from((*range(1, max_twins + 1), 0)))):
        data = _add_twin(draw, data, n, f, hints)
    return data


_TIME_FIELDS = {
    "customer_coupons": (("coupon", "issued_at"), ("coupon", "expires_at"), ("coupon", "used_at")),
    "cart_items": (("cart", "added_at"),),
    "orders": (("order", "ordered_at"),),
}
_MONEY_FIELDS = {"cart_items": ("price", "option_price"), "orders": ("paid_amount", "order_amount")}


_TABLE_OF = {"coupon": "customer_coupons", "cart": "cart_items", "order": "orders"}
_COLLECTION_OF = {table: collection for collection, table in _TABLE_OF.items()}
_ROLE_OF = {"cart_items": "cart", "orders": "order"}
#: Hinted fields a twin can move onto their value (``amount`` by its price; a coupon's name and issue
#: type by pointing it at another definition, or at none).
_TWIN_FIELDS = {("coupon", "issued_at"), ("coupon", "expires_at"), ("cart", "added_at"), ("order", "ordered_at"),
                ("cart", "price"), ("cart", "amount"), ("order", "paid_amount"), ("order", "order_amount"),
                ("cart", "product"), ("cart", "quantity"), ("order", "status"),
                ("coupon", "name"), ("coupon", "issue_type"), ("coupon", "coupon_no")}


def _owner_rows(data: rec.ShopData, member: str) -> dict[str, list[Any]]:
    return {
        "customer_coupons": [c for c in data.customer_coupons if c.member_id == member],
        "cart_items": [c for c in data.cart_items if c.member_id == member],
        "orders": [o for o in data.orders if o.member_id == member],
    }


def _add_twin(draw: st.DrawFn, data: rec.ShopData, n: int, f: _Fields, hints: Hints) -> rec.ShopData:
    """Copy one customer with their rows and change exactly one value: a timestamp onto a window
    edge the segment names (or 1 µs off it), or an amount onto a literal (or a cent off it).

    The pair then differs in one value, so an off-by-one at that edge makes one of them match
    wrongly. Two times in three the copy keeps only the changed row, which then decides every
    test of its collection on its own.
    """
    focus = [(c, name, v) for c, name, kind, v in hints.fields
             if (c, name) in _TWIN_FIELDS and (kind != "distinct" or c == "coupon")]
    members = [c.member_id for c in data.customers]
    target: tuple[str, str, object] | None = None
    if focus and draw(st.sampled_from((True, True, False))):
        target = draw(st.sampled_from(focus))
        table = _TABLE_OF[target[0]]
        owners = [m for m in members if _owner_rows(data, m)[table]]
        if not owners:
            target = None
        else:
            members = owners
    source = draw(st.sampled_from(members))
    twin = f"{source}~{n}"
    if any(c.member_id == twin for c in data.customers):
        return data
    rows = _owner_rows(data, source)
    coupon_base = max((c.id for c in data.customer_coupons), default=0)
    cart_base = max((c.id for c in data.cart_items), default=0)
    tables: dict[str, list[Any]] = {
        "customer_coupons": [replace(c, id=coupon_base + i + 1, member_id=twin)
                             for i, c in enumerate(rows["customer_coupons"])],
        "cart_items": [replace(c, id=cart_base + i + 1, member_id=twin) for i, c in enumerate(rows["cart_items"])],
        "orders": [replace(o, order_id=f"{o.order_id}~{n}", member_id=twin) for o in rows["orders"]],
    }
    ids = {o.order_id: f"{o.order_id}~{n}" for o in rows["orders"]}
    items = [replace(i, order_item_code=f"{i.order_item_code}~{n}", order_id=ids[i.order_id])
             for i in data.order_items if i.order_id in ids]
    payments = [replace(p, order_id=ids[p.order_id]) for p in data.order_payments if p.order_id in ids]
    definitions = [c.coupon_no for c in data.coupons]
    change = _focused_change(draw, tables, target, definitions) if target else _random_change(draw, tables, f)
    if change is not None:
        table, index, name, value = change
        original = tables[table][index]
        tables[table][index] = replace(original, **{name: value})
        keep = draw(st.sampled_from(("changed row only", "changed row only", "all rows", "both versions")))
        if keep != "all rows":
            tables = {t: ([rows_[index]] if t == table else []) for t, rows_ in tables.items()}
            kept = {o.order_id for o in tables["orders"]}
            items = [i for i in items if i.order_id in kept]
            payments = [p for p in payments if p.order_id in kept]
        if keep == "both versions":
            # The row before and after the change, side by side: min and max (and sums) now differ.
            tables[table].append(_renamed(original, n))
    return replace(
        data,
        customers=(*data.customers, rec.Customer(member_id=twin)),
        customer_coupons=(*data.customer_coupons, *tables["customer_coupons"]),
        cart_items=(*data.cart_items, *tables["cart_items"]),
        orders=(*data.orders, *tables["orders"]),
        order_items=(*data.order_items, *items),
        order_payments=(*data.order_payments, *payments),
    )


Change = tuple[str, int, str, object]


def _renamed(row: Any, n: int) -> Any:
    """A copy of a twin's row under a new key (``~`` ids are the twin's; ``^`` marks the copy)."""
    if isinstance(row, rec.Order):
        return replace(row, order_id=f"{row.order_id}^")
    return replace(row, id=row.id + 100_000 * (n + 1))


def _focused_change(
    draw: st.DrawFn, tables: dict[str, list[Any]], target: tuple[str, str, object], definitions: list[str]
) -> Change:
    collection, name, value = target
    table = _TABLE_OF[collection]
    index = draw(st.integers(0, len(tables[table]) - 1))
    if isinstance(value, datetime):
        return table, index, name, value + draw(st.sampled_from((0 * _TICK, 0 * _TICK, -_TICK, _TICK)))
    if collection == "coupon":
        # Another definition (another name and issue type), or none at all (both null).
        return table, index, "coupon_no", draw(st.sampled_from([*definitions, "no-such-coupon"]))
    if name in ("product", "quantity"):
        ints = _near_ints([value])
        return table, index, "product_no" if name == "product" else name, draw(st.sampled_from(ints or [0]))
    if name == "status":
        return table, index, name, draw(st.sampled_from(_strings_near([value], [])))
    amounts = _near_amounts([value])
    if name == "amount":
        row = tables[table][index]
        # amount = (price + option_price) * quantity: make it the literal (or a cent off) exactly.
        tables[table][index] = replace(row, quantity=1, option_price=Decimal("0.00"))
        name = "price"
    return table, index, name, draw(st.sampled_from(amounts) if amounts else money())


def _random_change(draw: st.DrawFn, tables: dict[str, list[Any]], f: _Fields) -> Change | None:
    candidates = [(table, i, name) for table, rows in tables.items() for i in range(len(rows))
                  for name in (*(n for _, n in _TIME_FIELDS[table]), *_MONEY_FIELDS.get(table, ()))]
    if not candidates:
        return None
    table, index, name = draw(st.sampled_from(candidates))
    collection = _COLLECTION_OF[table]
    if name in _MONEY_FIELDS.get(table, ()):
        return table, index, name, draw(f.money(collection, name))
    role = _ROLE_OF.get(table, "any")
    current = getattr(tables[table][index], name)
    edges = sorted({t + k for t in f.edges(collection, name, role) for k in (-_TICK, 0 * _TICK, _TICK)})
    value = draw(st.one_of(
        st.sampled_from(edges),
        f.time(collection, name, "edges"),
        st.sampled_from((_TICK, -_TICK)).map(lambda k: current + k) if current is not None
        else f.time(collection, name, "edges"),
    ))
    return table, index, name, value


__all__ = ["NO_HINTS", "Hints", "data_times", "hints_for", "shop_data"]
