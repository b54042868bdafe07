"""Negations simplified in the IR before SQL is printed: fewer ``NOT`` and less nesting.

Double negation goes (``not not x`` is ``x``), and a negated ``and``/``or``
becomes the ``or``/``and`` of its negated items (De Morgan) wherever that does
not make more negations than it removes. Both rules hold at the segment
level (two-valued) and inside a collection's condition (three-valued:
``not unknown`` is unknown, and Kleene's ``and``/``or`` obey De Morgan), so
the rewritten tree selects exactly the same customers. Tests themselves are
never flipped (``not (count > 3)`` is not ``count <= 3`` when the aggregate
is null), so a negation stops at a test or a collection.

Why: every ``NOT (...)`` is a level of nesting in the printed SQL, and
SQLite's parser gives up ("parser stack overflow") at about forty. A chain
``not (a and not (b and not (c ...)))`` becomes ``not a or (b and (not c
or ...))``: the same size, with negations only on tests.
"""

from __future__ import annotations

from dataclasses import replace

from cafehub.compiler import ir


def simplify_negations(node: ir.Node, *, row: bool = False) -> ir.Node:
    """``node`` with double negations removed and negations pushed down where that adds none.

    ``row``: ``node`` is a collection's condition (three-valued), not the segment level.
    """
    if isinstance(node, ir.Not):
        return _negate(simplify_negations(node.operand, row=row), row)
    if isinstance(node, (ir.And, ir.Or)):
        return _join(type(node), [simplify_negations(item, row=row) for item in node.items])
    if isinstance(node, ir.Exists):
        return node if node.where is None else replace(node, where=simplify_negations(node.where, row=True))
    if isinstance(node, (ir.Compare, ir.InValues, ir.TimeRange)) and isinstance(node.operand, ir.Aggregate):
        aggregate = node.operand
        if aggregate.where is not None:
            return replace(node, operand=replace(aggregate, where=simplify_negations(aggregate.where, row=True)))
    return node


def _negate(node: ir.Node, row: bool) -> ir.Node:
    """The negation of an already simplified ``node``, itself simplified.

    A segment-level ``and`` keeps its negation: the SQL backend plans a conjunction as a whole
    (tests on one collection share one pass), which the ``or`` of De Morgan would undo.
    """
    if isinstance(node, ir.Not):
        return node.operand
    if isinstance(node, ir.Or) or (row and isinstance(node, ir.And)):
        dual = ir.Or if isinstance(node, ir.And) else ir.And
        pushed = _join(dual, [_negate(item, row) for item in node.items])
        if _negations(pushed) <= _negations(node) + 1:
            return pushed
    return ir.Not(operand=node)


#: An ``or`` with more tests than this of one collection asks for them in one test (see :func:`_merged`).
MERGE_OVER = 64


def _join(kind: type[ir.And] | type[ir.Or], items: list[ir.Node]) -> ir.Node:
    """``kind`` of ``items``, with items of the same kind merged into it (``a and (b and c)``)."""
    flat: list[ir.Node] = []
    for item in items:
        if isinstance(item, kind):
            flat.extend(item.items)
        else:
            flat.append(item)
    if len(flat) > MERGE_OVER:
        flat = _merged(kind, flat)
        if len(flat) == 1:
            return flat[0]
    return kind(items=tuple(flat))


def _merged(kind: type[ir.And] | type[ir.Or], items: list[ir.Node]) -> list[ir.Node]:
    """Many tests of one collection in an ``or`` as one: ``c(a) or c(b)`` is ``c(a or b)``.

    Likewise ``no c(a) and no c(b)`` is ``no c(a or b)``, and inside a condition a set field's
    ``product in [1] or product in [2]`` is ``product in [1, 2]`` (``not in`` under ``and``).
    Only past :data:`MERGE_OVER` of them, where each as its own subquery would be slow and
    DuckDB binds a subquery one level deeper than the last (a thousand exceed its expression
    depth of 1,000); below it the SQL stays as the planner shapes it.
    """
    items = list({id(item): item for item in items}.values())  # one node twice is once (x or x)
    exists: dict[object, list[tuple[ir.Node, ir.Exists]]] = {}
    sets: dict[object, list[ir.AnyOf]] = {}
    for item in items:
        inner = item.operand if isinstance(item, ir.Not) and kind is ir.And else item
        if isinstance(inner, ir.Exists) and (kind is ir.Or) == (inner is item):
            exists.setdefault(inner.collection, []).append((item, inner))
        elif isinstance(inner, ir.AnyOf) and inner is item and inner.negated == (kind is ir.And):
            sets.setdefault((inner.field, inner.negated), []).append(inner)
    merged: dict[int, ir.Node] = {}  # by the id of an item: what stands in its place
    _factor(kind, items, merged)
    for group in exists.values():
        if len(group) > 1:
            tests = [e for _, e in group]
            whole = any(e.where is None for e in tests)
            condition = None if whole else _join(ir.Or, [e.where for e in tests if e.where is not None])
            test: ir.Node = ir.Exists(collection=tests[0].collection, where=condition)
            merged[id(group[0][0])] = test if kind is ir.Or else ir.Not(operand=test)
            merged.update((id(item), _DROPPED) for item, _ in group[1:])
    for same in sets.values():
        if len(same) > 1:
            values = tuple(dict.fromkeys(v for a in same for v in a.values))
            merged[id(same[0])] = ir.AnyOf(field=same[0].field, values=values, negated=same[0].negated)
            merged.update((id(a), _DROPPED) for a in same[1:])
    return [r for item in items if (r := merged.get(id(item), item)) is not _DROPPED]


_DROPPED = ir.And(items=())


def _factor(kind: type[ir.And] | type[ir.Or], items: list[ir.Node], merged: dict[int, ir.Node]) -> None:
    """Items that differ only in one set-field test, as one (into ``merged``, as :func:`_merged`).

    ``(status = paid and product = 1) or (status = paid and product = 2)`` is ``status = paid
    and product in [1, 2]``; dually ``(a or product not in [1]) and (a or product not in [2])`` is
    ``a or product not in [1, 2]``. Exact in three-valued logic too (Kleene's ``and`` and ``or``
    distribute over each other), and each ``product = k`` would otherwise be its own subquery
    on the elements: 500 ``no order(status = paid and product = k)`` took a minute on DuckDB.
    """
    dual = ir.And if kind is ir.Or else ir.Or
    same: dict[tuple[frozenset[ir.Node], object], list[tuple[ir.Node, tuple[ir.Node, ...], ir.AnyOf]]] = {}
    for item in items:
        if not isinstance(item, dual):
            continue
        sets = [p for p in item.items if isinstance(p, ir.AnyOf) and p.negated == (kind is ir.And)]
        if len(sets) != 1:
            continue
        rest = tuple(p for p in item.items if p is not sets[0])
        same.setdefault((frozenset(rest), sets[0].field), []).append((item, rest, sets[0]))
    for found in same.values():
        if len(found) > 1:
            first, rest, any_of = found[0]
            values = tuple(dict.fromkeys(v for _, _, a in found for v in a.values))
            merged[id(first)] = dual(items=(*rest, ir.AnyOf(field=any_of.field, values=values, negated=any_of.negated)))
            merged.update((id(item), _DROPPED) for item, _, _ in found[1:])


def _negations(node: ir.Node) -> int:
    """How many ``Not`` a segment-level or row-level tree holds (not counting inside collections)."""
    if isinstance(node, ir.Not):
        return 1 + _negations(node.operand)
    if isinstance(node, (ir.And, ir.Or)):
        return sum(_negations(item) for item in node.items)
    return 0


__all__ = ["simplify_negations"]
