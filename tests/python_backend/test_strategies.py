"""The exported strategies do what their documentation promises.

Segments are valid and cover every construct; shops are writable to a real
database and contain every kind of adversarial row; contexts include DST
zones and instants on DST changes.
"""

from __future__ import annotations

import collections
from datetime import datetime, timedelta
from decimal import Decimal

from hypothesis import HealthCheck, Phase, given, settings
from sqlalchemy import DateTime, Engine, Integer, Numeric, String

import cafehub
from cafehub.compiler.catalog import FIELDS, AggregateFunc, Collection
from cafehub.grammar import syntax as s
from cafehub.store.schema import TABLES
from cafehub.testing import Scenario, eval_contexts, scenarios, segment_trees
from cafehub.testing.engines import load
from cafehub.testing.strategies import transitions

DRAWS = 400


def sample(count: int) -> settings:
    """Settings to draw ``count`` fixed (derandomized) examples, without shrinking."""
    return settings(max_examples=count, derandomize=True, deadline=None, database=None, phases=[Phase.generate],
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def features(tree: s.Node) -> set[str]:
    """Every construct a segment uses, as names like ``compare:<=`` or ``value:DateTimeLit+offset``."""
    found: set[str] = set()

    def visit(node: s.SyntaxNode, level: str, collection: str | None) -> None:
        name = type(node).__name__
        if isinstance(node, (s.And, s.Or, s.Not)):
            found.add(f"{level}:{name}")
        if isinstance(node, s.Exists):
            found.add(f"exists:{node.collection.name}:{'no' if node.negated else 'yes'}")
            collection, level = node.collection.name, "condition"
        if isinstance(node, s.Measure):
            found.add(f"aggregate:{node.aggregate.name}")
            found.add(f"measure:{node.collection.name}")
            collection, level = node.collection.name, "condition"
        if isinstance(node, s.FieldRef):
            found.add(f"field:{collection}.{node.name}")
        if isinstance(node, s.Compare):
            found.add(f"compare:{node.op.value}")
        if isinstance(node, s.InList):
            found.add(f"in:{'not' if node.negated else 'yes'}")
        if isinstance(node, s.Within):
            found.add(f"within:{node.direction}")
        if isinstance(node, s.Between):
            found.add("between")
        if isinstance(node, s.Contains):
            found.add(f"contains:{'not' if node.negated else 'yes'}")
        if isinstance(node, s.DateTimeLit):
            found.add(f"value:DateTimeLit{'+offset' if node.offset_minutes is not None else ''}")
        elif isinstance(node, s.StringLit):
            found.add("value:StringLit")
            found.update(f"string:{k}" for k, chars in SPECIAL.items() if any(ch in node.value for ch in chars))
            if any(ord(ch) > 127 for ch in node.value):
                found.add("string:unicode")
        elif name in VALUE_NAMES:
            found.add(f"value:{name}")
        for child in s.children(node):
            visit(child, level, collection)

    visit(tree, "segment", None)
    return found


SPECIAL = {"quote": "'\"", "backslash": "\\", "wildcard": "%_"}
VALUE_NAMES = {"IntLit", "DecimalLit", "EnumLit", "DateLit", "Now", "Today", "Yesterday", "Ago", "FromNow"}
EXPECTED = {
    *(f"{level}:{n}" for level in ("segment", "condition") for n in ("And", "Or", "Not")),
    *(f"exists:{c.value}:{k}" for c in Collection for k in ("yes", "no")),
    *(f"measure:{c.value}" for c in Collection),
    *(f"aggregate:{a.value}" for a in AggregateFunc),
    *(f"field:{c.value}.{f}" for c, fields in FIELDS.items() for f in fields),
    *(f"compare:{op.value}" for op in s.CmpOp),
    "in:yes", "in:not", "within:last", "within:next", "between", "contains:yes", "contains:not",
    *(f"value:{v}" for v in VALUE_NAMES), "value:StringLit", "value:DateTimeLit", "value:DateTimeLit+offset",
    *(f"string:{k}" for k in SPECIAL), "string:unicode",
}


def test_segments_are_valid_and_cover_every_construct() -> None:
    seen: collections.Counter[str] = collections.Counter()

    @sample(DRAWS)
    @given(segment_trees())
    def draw(tree: s.Node) -> None:
        cafehub.check(cafehub.format(tree))  # raises if the strategy produced an invalid segment
        seen.update(features(tree))

    draw()
    assert EXPECTED - set(seen) == set()


def shop_features(case: Scenario) -> set[str]:
    d, ctx = case.data, case.ctx
    now = ctx.now_utc.replace(tzinfo=None)
    tick = timedelta(microseconds=1)
    members = {c.member_id for c in d.customers}
    times = [c.issued_at for c in d.customer_coupons] + [c.added_at for c in d.cart_items] + [
        o.ordered_at for o in d.orders]
    items = {i.order_id for i in d.order_items}
    paid = {p.order_id for p in d.order_payments}
    defined = {c.coupon_no for c in d.coupons}
    strings = [c.name for c in d.coupons] + list(members)
    checks = {
        "time:now": now in times,
        "time:now-1us": now - tick in times,
        "time:now+1us": now + tick in times,
        "time:after-now": any(t > now for t in times),
        "order:before-history": any(o.ordered_at < ctx.history_cutoff.replace(tzinfo=None) for o in d.orders),
        "order:at-history": any(o.ordered_at == ctx.history_cutoff.replace(tzinfo=None) for o in d.orders),
        "cart:at-retention": any(c.added_at == ctx.cart_cutoff.replace(tzinfo=None) for c in d.cart_items),
        "order:guest": any(o.member_id is None for o in d.orders),
        "order:no-items": any(o.order_id not in items for o in d.orders),
        "order:no-payments": any(o.order_id not in paid for o in d.orders),
        "order:stranger": any(o.member_id is not None and o.member_id not in members for o in d.orders),
        "cart:empty": any(all(c.member_id != m for c in d.cart_items) for m in members),
        "coupon:undefined": any(c.coupon_no not in defined for c in d.customer_coupons),
        "coupon:used": any(c.used_at is not None for c in d.customer_coupons),
        "coupon:expired": any(c.expires_at < now for c in d.customer_coupons),
        "status:odd-case": any(o.status not in ("pending", "paid", "canceled", "returned", "refunded")
                               for o in d.orders),
        "money:cents": any(o.paid_amount % 1 != 0 for o in d.orders),
        "string:unicode": any(any(ord(ch) > 127 for ch in text) for text in strings if text),
        "string:wildcard": any(any(ch in text for ch in "%_") for text in strings if text),
        "string:quote": any(any(ch in text for ch in "'\"") for text in strings if text),
        "twin": any("~" in m for m in members),
        "zone:dst": ctx.zone.key in ("America/New_York", "Europe/London", "America/Santiago", "America/Havana",
                                     "Australia/Lord_Howe", "Pacific/Chatham"),
        "now:on-dst-change": ctx.now_utc in transitions(ctx.zone.key, 2024, 2026),
    }
    return {name for name, present in checks.items() if present}


def test_shops_contain_every_kind_of_adversarial_row() -> None:
    seen: set[str] = set()

    @sample(DRAWS // 2)
    @given(scenarios())
    def draw(case: Scenario) -> None:
        seen.update(shop_features(case))

    draw()
    expected = {
        "time:now", "time:now-1us", "time:now+1us", "time:after-now", "order:before-history", "order:at-history",
        "cart:at-retention", "order:guest", "order:no-items", "order:no-payments", "order:stranger",
        "cart:empty", "coupon:undefined", "coupon:used", "coupon:expired", "status:odd-case", "money:cents",
        "string:unicode", "string:wildcard", "string:quote", "twin", "zone:dst", "now:on-dst-change",
    }
    assert expected - seen == set()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(scenarios())
def test_shops_respect_every_key_and_type_of_the_store(sqlite_store: Engine, case: Scenario) -> None:
    # Exact Python types, as strict engines (Spark) need them: Decimal money, int, naive datetime, str.
    expected = {Numeric: Decimal, Integer: int, DateTime: datetime, String: str}
    for table in TABLES:
        for row in getattr(case.data, table.name):
            for column in table.columns:
                value = getattr(row, column.name)
                kind = next(t for base, t in expected.items() if isinstance(column.type, base)
                            or isinstance(getattr(column.type, "impl", None), base))
                assert (value is None and column.nullable) or type(value) is kind, (table.name, column.name, value)
    load(sqlite_store, case.data)  # primary keys and NOT NULL are enforced by the database


@settings(max_examples=200, deadline=None)
@given(eval_contexts())
def test_contexts_are_valid_and_resolve(ctx: object) -> None:
    from cafehub.compiler.evaluation import EvalContext

    assert isinstance(ctx, EvalContext)
    assert ctx.now.utcoffset() is not None
    assert ctx.history_cutoff <= ctx.now_utc + timedelta(days=2)


def test_dst_transitions_are_found_to_the_second() -> None:
    changes = transitions("America/New_York", 2025, 2025)
    assert [c.isoformat() for c in changes] == ["2025-03-09T07:00:00+00:00", "2025-11-02T06:00:00+00:00"]
    assert transitions("Asia/Seoul", 2024, 2026) == ()
