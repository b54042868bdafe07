"""Strategies for valid segments covering every construct of the language.

Shapes are generated once, without a context, and made concrete per context
(time values become the context's pool values); any test the checker would
refuse in that context is repaired into a valid one, so every segment drawn
passes :func:`cafehub.check`.
"""

from __future__ import annotations

import functools
from dataclasses import fields, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TypeVar

from hypothesis import strategies as st

from cafehub.compiler.catalog import ENUMS, FIELDS, AggregateFunc, Collection, FieldDef, Kind
from cafehub.compiler.check import check_tree
from cafehub.compiler.evaluation import EvalContext
from cafehub.diagnostics import SegmentError
from cafehub.grammar import syntax as s
from cafehub.grammar.format import format_segment
from cafehub.testing.pools import (
    COUPON_NOS,
    FRAGMENTS,
    MONEY,
    ORDER_IDS,
    PRODUCTS,
    TimePool,
    eval_contexts,
    pool_or,
    texts,
    time_pool,
)

T = TypeVar("T")

# ---------------------------------------------------------------- segments
#
# Segment shapes are generated once, without a context: time values are
# *indexes* into the context's pool, written as ordinary literals
# (``Duration(amount=i)`` is the i-th pool duration, ``DateLit`` day i after
# 2000-01-01 the i-th pool date, a ``DateTimeLit`` minute i after 2000-01-01
# the i-th wall clock or instant). ``_concrete`` swaps in the pool's values;
# ``_repair`` then replaces any test the checker refuses in that context (a
# window that points the wrong way, ``between`` bounds reversed) by a
# valid one. Building strategies once keeps generation fast.

_INDEX_BASE = date(2000, 1, 1)
_INDEX_MINUTE = datetime(2000, 1, 1)
_indexes = st.integers(min_value=0, max_value=63)
_durations = _indexes.map(lambda i: s.Duration(amount=i, unit="h"))

_time_literals: st.SearchStrategy[s.Value] = st.one_of(
    st.builds(s.Now),
    st.builds(s.Today),
    st.builds(s.Yesterday),
    _durations.map(lambda d: s.Ago(duration=d)),
    _durations.map(lambda d: s.Ago(duration=d)),
    _durations.map(lambda d: s.FromNow(duration=d)),
    _indexes.map(lambda i: s.DateLit(value=_INDEX_BASE + timedelta(days=i))),
    _indexes.map(lambda i: s.DateTimeLit(value=_INDEX_MINUTE + timedelta(minutes=i), offset_minutes=None)),
    _indexes.map(lambda i: s.DateTimeLit(value=_INDEX_MINUTE + timedelta(minutes=i), offset_minutes=0)),
)


def _concrete(node: T, pool: TimePool) -> T:
    """Replace index-encoded time values by the pool's values."""
    if isinstance(node, s.Duration):
        return pool.durations[node.amount % len(pool.durations)]  # type: ignore[return-value]
    if isinstance(node, s.DateLit):
        return s.DateLit(value=pool.dates[(node.value - _INDEX_BASE).days % len(pool.dates)])  # type: ignore[return-value]
    if isinstance(node, s.DateTimeLit):
        i = int((node.value - _INDEX_MINUTE).total_seconds() // 60)
        if node.offset_minutes is None:
            return s.DateTimeLit(value=pool.wall_clocks[i % len(pool.wall_clocks)],  # type: ignore[return-value]
                                 offset_minutes=None)
        value, offset = pool.instants[i % len(pool.instants)]
        return s.DateTimeLit(value=value, offset_minutes=offset)  # type: ignore[return-value]
    if isinstance(node, tuple):
        return tuple(_concrete(item, pool) for item in node)  # type: ignore[return-value]
    if hasattr(node, "__dataclass_fields__"):
        changes = {f.name: _concrete(getattr(node, f.name), pool) for f in fields(node)  # type: ignore[arg-type]
                   if f.name != "span"}
        return replace(node, **changes)  # type: ignore[type-var]
    return node


_OPS = list(s.CmpOp)
_EQ_OPS = [s.CmpOp.EQ, s.CmpOp.NE]


def _number_literals() -> st.SearchStrategy[s.Value]:
    """Numeric literals: round and boundary values, two-place money, up to six places."""
    ints = st.one_of(st.sampled_from((0, 1, 2, 3, 10, 100, 1000, 50000, 100000)),
                     st.integers(min_value=-10**6, max_value=10**9))
    decimals = st.one_of(
        st.sampled_from(MONEY),
        st.sampled_from(tuple(Decimal(v) for v in ("0.5", "1.5", "2.0", "0.005", "99.995", "33.333333"))),
        st.decimals(min_value=-10**6, max_value=10**9, places=2),
    )
    return st.one_of(ints.map(lambda v: s.IntLit(value=v)), decimals.map(lambda v: s.DecimalLit(value=v)))


_NUMBERS = _number_literals()
_COUNTS = st.one_of(st.integers(min_value=0, max_value=4).map(lambda v: s.IntLit(value=v)), _NUMBERS)


def _scalar_values(fdef: FieldDef) -> st.SearchStrategy[s.Value]:
    """Literal values for an equality-only field (strings, enums, ids, set elements)."""
    t = fdef.type
    if t.kind is Kind.ENUM:
        assert t.enum is not None
        return st.sampled_from(ENUMS[t.enum]).map(lambda name: s.EnumLit(name=name))
    if t.kind is Kind.STRING:
        pool = COUPON_NOS if fdef.name == "coupon_no" else ORDER_IDS if fdef.name == "order_id" else ()
        strings = pool_or(pool, texts()) if pool else texts()
        return strings.map(lambda v: s.StringLit(value=v))
    return pool_or(PRODUCTS, st.integers(min_value=0, max_value=2**31 - 1)).map(lambda v: s.IntLit(value=v))


def _tests(subject: st.SearchStrategy[s.Subject], values: st.SearchStrategy[s.Value], *, ordered: bool,
           time_direction: str | None = None, text: bool = False) -> st.SearchStrategy[s.Node]:
    """Every test form that applies to a subject whose values are drawn from ``values``."""
    forms: list[st.SearchStrategy[s.Node]] = [
        st.builds(s.Compare, subject=subject, op=st.sampled_from(_OPS if ordered else _EQ_OPS), value=values),
        st.builds(s.InList, subject=subject, values=st.lists(values, min_size=1, max_size=3).map(tuple),
                  negated=st.booleans()),
    ]
    if ordered:
        forms.append(st.builds(s.Between, subject=subject, low=values, high=values))
    if time_direction is not None:
        forms.append(st.builds(s.Within, subject=subject, direction=st.just(time_direction), duration=_durations))
    if text:
        forms.append(st.builds(s.Contains, subject=subject,
                               needle=st.sampled_from(FRAGMENTS).map(lambda v: s.StringLit(value=v)),
                               negated=st.booleans()))
    return st.one_of(forms)


def _field_tests(fdef: FieldDef, subject: st.SearchStrategy[s.Subject]) -> st.SearchStrategy[s.Node]:
    t = fdef.type
    if t.kind is Kind.TIMESTAMP:
        return _tests(subject, _time_literals, ordered=True, time_direction="last" if t.time == "past" else "next")
    if t.is_numeric and not t.is_id:
        return _tests(subject, _NUMBERS, ordered=True)
    return _tests(subject, _scalar_values(fdef), ordered=False, text=t.kind is Kind.STRING)


def _logic(atoms: st.SearchStrategy[s.Node], max_leaves: int) -> st.SearchStrategy[s.Node]:
    def extend(children: st.SearchStrategy[s.Node]) -> st.SearchStrategy[s.Node]:
        return st.one_of(
            st.lists(children, min_size=2, max_size=3).map(s.make_and),
            st.lists(children, min_size=2, max_size=3).map(s.make_or),
            st.builds(s.Not, operand=children),
        )

    return st.recursive(_named(atoms), extend, max_leaves=max_leaves)


_NAMED: dict[int, st.SearchStrategy[object]] = {}


@st.composite
def _named_draw(draw: st.DrawFn, key: int) -> object:
    return draw(_NAMED[key])


def _named(strategy: st.SearchStrategy[T]) -> st.SearchStrategy[T]:
    """The same strategy with a short repr: ``recursive`` prints its base's repr on every validation,
    which for these large trees of choices would be tens of kilobytes."""
    key = len(_NAMED)
    _NAMED[key] = strategy
    return _named_draw(key)  # type: ignore[return-value]


@functools.lru_cache(maxsize=32)
def _condition_shapes(collection: Collection, max_leaves: int) -> st.SearchStrategy[s.Node]:
    atoms = [_field_tests(fdef, st.just(s.FieldRef(name=fdef.name))) for fdef in FIELDS[collection].values()]
    return _logic(_group(*atoms), max_leaves)


def _aggregate_fields(collection: Collection, func: AggregateFunc) -> list[FieldDef]:
    """The fields ``func`` accepts in ``collection`` (the checker's rules)."""
    out = []
    for fdef in FIELDS[collection].values():
        t = fdef.type.element
        if func in (AggregateFunc.SUM, AggregateFunc.AVG):
            ok = t.kind in (Kind.INT, Kind.MONEY) and not t.is_id
        elif func in (AggregateFunc.MIN, AggregateFunc.MAX):
            ok = t.kind in (Kind.INT, Kind.MONEY, Kind.TIMESTAMP) and not t.is_id
        else:
            ok = True
        if ok:
            out.append(fdef)
    return out


def _group(*options: st.SearchStrategy[T]) -> st.SearchStrategy[T]:
    """An even choice between ``options`` that Hypothesis does not flatten into an enclosing
    ``one_of`` (which would weight each group by its number of branches)."""
    if len(options) == 1:
        return options[0]
    return st.sampled_from(options).flatmap(_same)


def _same(value: T) -> T:
    return value


def _optional_condition(collection: Collection, max_leaves: int) -> st.SearchStrategy[s.Node | None]:
    """Usually a condition, sometimes none (``order()``)."""
    return _group(st.none(), *[_condition_shapes(collection, max_leaves)] * 3)


def _measure_tests(max_leaves: int) -> st.SearchStrategy[s.Node]:
    by_collection: list[st.SearchStrategy[s.Node]] = []
    for collection in Collection:
        ident = s.Ident(name=collection.value)
        condition = _optional_condition(collection, max_leaves)
        by_func: list[st.SearchStrategy[s.Node]] = []
        for func in AggregateFunc:
            targets: list[FieldDef | None] = [None] if not func.takes_field else list(
                _aggregate_fields(collection, func))
            forms: list[st.SearchStrategy[s.Node]] = []
            for fdef in targets:
                measure = st.builds(
                    s.Measure, collection=st.just(ident), condition=condition,
                    aggregate=st.just(s.Ident(name=func.value)),
                    field=st.just(s.FieldRef(name=fdef.name) if fdef is not None else None),
                )
                if fdef is not None and func in (AggregateFunc.MIN, AggregateFunc.MAX):
                    forms.append(_field_tests(fdef, measure))
                elif func in (AggregateFunc.COUNT, AggregateFunc.COUNT_DISTINCT):
                    forms.append(_tests(measure, _COUNTS, ordered=True))
                else:
                    forms.append(_tests(measure, _NUMBERS, ordered=True))
            if forms:
                by_func.append(_group(*forms))
        by_collection.append(_group(*by_func))
    return _group(*by_collection)


@functools.lru_cache(maxsize=16)
def _segment_shapes(max_leaves: int, inner: int) -> st.SearchStrategy[s.Node]:
    exists = _group(*(
        st.builds(s.Exists, collection=st.just(s.Ident(name=c.value)),
                  condition=_optional_condition(c, inner), negated=st.booleans())
        for c in Collection
    ))
    return _logic(_group(exists, _measure_tests(inner)), max_leaves)


def _is_valid(node: s.Node) -> bool:
    try:
        check_tree(node, "")
    except SegmentError:
        return False
    return True


def _fallback(subject: s.Subject, fdef: FieldDef | None) -> s.Node:
    """A test of ``subject`` that the checker always accepts."""
    if fdef is not None and fdef.type.kind is Kind.TIMESTAMP:
        direction: s.Direction = "last" if fdef.type.time == "past" else "next"
        return s.Within(subject=subject, direction=direction, duration=s.Duration(amount=3, unit="d"))
    if fdef is None or (fdef.type.is_numeric and not fdef.type.is_id):
        return s.Compare(subject=subject, op=s.CmpOp.GE, value=s.IntLit(value=1))
    value: s.Value = s.IntLit(value=17)
    if fdef.type.kind is Kind.STRING:
        value = s.StringLit(value="a")
    elif fdef.type.enum is not None:
        value = s.EnumLit(name=ENUMS[fdef.type.enum][0])
    return s.Compare(subject=subject, op=s.CmpOp.EQ, value=value)


def _repair(node: s.Node, collection: Collection | None = None) -> s.Node:
    """Replace each test the checker refuses (in this context) by a valid test of the same subject."""
    if isinstance(node, s.And):
        return s.make_and([_repair(item, collection) for item in node.items])
    if isinstance(node, s.Or):
        return s.make_or([_repair(item, collection) for item in node.items])
    if isinstance(node, s.Not):
        return s.Not(operand=_repair(node.operand, collection))
    if isinstance(node, s.Exists):
        own = Collection(node.collection.name)
        condition = _repair(node.condition, own) if node.condition is not None else None
        return replace(node, condition=condition)
    if isinstance(node, s.SegmentRef):
        raise TypeError("segment references are not generated here: they need saved segments")
    subject = node.subject
    if isinstance(subject, s.Measure):
        own = Collection(subject.collection.name)
        condition = _repair(subject.condition, own) if subject.condition is not None else None
        subject = replace(subject, condition=condition)
        node = replace(node, subject=subject)
        if _is_valid(node):
            return node
        func = AggregateFunc(subject.aggregate.name)
        fdef = FIELDS[own][subject.field.name] if subject.field is not None else None
        timed = func in (AggregateFunc.MIN, AggregateFunc.MAX) and fdef is not None
        return _fallback(subject, fdef if timed else None)
    assert collection is not None
    if _is_valid(s.Exists(collection=s.Ident(name=collection.value), condition=node, negated=False)):
        return node
    return _fallback(subject, FIELDS[collection][subject.name])


#: (segment atoms, predicates per condition) size classes, drawn evenly: small segments make each
#: clause decisive for some customer (so an off-by-one shows), large ones cover nesting.
SHAPE_SIZES = ((1, 1), (1, 2), (2, 1), (2, 2), (1, 3), (3, 1), (2, 3), (3, 3), (4, 2))


@functools.lru_cache(maxsize=4)
def _mixed_shapes() -> st.SearchStrategy[s.Node]:
    return _group(*(_segment_shapes(top, inner).map(_same) for top, inner in SHAPE_SIZES))


def segment_trees(
    ctx: EvalContext | None = None, *, max_leaves: int | None = None, condition_leaves: int | None = None
) -> st.SearchStrategy[s.Node]:
    """Syntax trees of valid segments: every collection, field, test form, value form and aggregate,
    ``no``, and and/or/not at both levels.

    With ``ctx``, time values come from that context's :func:`time_pool`, so
    they line up with :func:`shop_data` for the same context. Sizes: at most
    ``max_leaves`` atoms at segment level and ``condition_leaves``
    predicates per condition; by default a mix of size classes
    (:data:`SHAPE_SIZES`), mostly small.
    """
    if ctx is None:
        return eval_contexts().flatmap(
            lambda c: segment_trees(c, max_leaves=max_leaves, condition_leaves=condition_leaves))
    pool = time_pool(ctx)
    if max_leaves is None and condition_leaves is None:
        shapes = _mixed_shapes()
    else:
        top = max_leaves or 3
        shapes = _segment_shapes(top, condition_leaves or max(1, top - 1))
    return shapes.map(lambda tree: _repair(_concrete(tree, pool)))


def segments(
    ctx: EvalContext | None = None, *, max_leaves: int | None = None, condition_leaves: int | None = None
) -> st.SearchStrategy[str]:
    """Canonical text of valid segments (see :func:`segment_trees`)."""
    return segment_trees(ctx, max_leaves=max_leaves, condition_leaves=condition_leaves).map(format_segment)


def conditions(collection: Collection, ctx: EvalContext, *, max_leaves: int = 4) -> st.SearchStrategy[s.Node]:
    """Valid condition trees over ``collection``'s fields (for use inside ``collection(...)``)."""
    pool = time_pool(ctx)
    return _condition_shapes(collection, max_leaves).map(lambda tree: _repair(_concrete(tree, pool), collection))


__all__ = ["SHAPE_SIZES", "conditions", "segment_trees", "segments"]
