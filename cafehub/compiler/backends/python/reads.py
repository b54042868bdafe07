"""What a predicate reads: the collections, the row attributes, and which elements of a set field matter.

A bulk reader that knows this reads only those tables and columns (see
``cafehub.execution.bulk``). It is derived from the IR alone, so it holds
for every evaluation context; the scope attributes of a collection (a held
coupon's ``used_at``, ``issued_at`` and ``expires_at``, a cart item's
``added_at``, an order's ``ordered_at``) are always read with it, because
every loop over the collection tests them.

Set fields (an order's ``product`` and ``payment_method``) are read in
full, except when every use of the field in every segment is a membership
test against listed values (``order(product = 42)``, ``product in [1, 2]``,
and their negations): whether some element is among the values does not
change when the elements outside every list are dropped, so only the rows
whose element is listed need to be read (``order_items`` is the largest
table of a shop, and a segment usually names a few products).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from cafehub.compiler import ir
from cafehub.compiler.backends.python.plan import SCOPES, field_attribute
from cafehub.compiler.catalog import Collection, FieldDef

#: More listed elements than this and the set field is read in full (a long ``IN`` list costs more than it saves).
MAX_LISTED_ELEMENTS = 256


@dataclass(frozen=True, slots=True)
class Reads:
    """The collections a set of segments reads, with their attributes, and the set fields' relevant elements.

    ``elements[(collection, attribute)]`` is ``None`` when every element of
    that set field is needed, else the only elements that can change a
    verdict.
    """

    attributes: Mapping[Collection, frozenset[str]]
    elements: Mapping[tuple[Collection, str], frozenset[ir.Scalar] | None]

    def union(self, other: Reads) -> Reads:
        """What the segments of both read (one shared read serves both)."""
        attributes = dict(self.attributes)
        for collection, names in other.attributes.items():
            attributes[collection] = attributes.get(collection, frozenset()) | names
        elements = dict(self.elements)
        for key, values in other.elements.items():
            if key in elements:
                mine = elements[key]
                elements[key] = None if mine is None or values is None else mine | values
            else:
                elements[key] = values
        return Reads(attributes, elements)


def _scope(collection: Collection) -> frozenset[str]:
    scope = SCOPES[collection]
    return frozenset((*scope.unset, *(r.attribute for r in scope.ranges)))


def _children(node: ir.Node) -> Iterable[ir.Node]:
    if isinstance(node, (ir.And, ir.Or)):
        return node.items
    if isinstance(node, ir.Not):
        return (node.operand,)
    if isinstance(node, ir.Exists):
        return () if node.where is None else (node.where,)
    operand = node.field if isinstance(node, (ir.AnyOf, ir.Contains)) else node.operand
    if isinstance(operand, ir.Aggregate) and operand.where is not None:
        return (operand.where,)
    return ()


def reads(node: ir.Node) -> Reads:
    """What one segment's predicate reads (its IR after composition)."""
    attributes: dict[Collection, set[str]] = {}
    elements: dict[tuple[Collection, str], frozenset[ir.Scalar] | None] = {}

    def use(collection: Collection) -> set[str]:
        return attributes.setdefault(collection, set(_scope(collection)))

    def field(fdef: FieldDef, listed: tuple[ir.Scalar, ...] | None) -> None:
        attribute = field_attribute(fdef, fdef.collection)
        use(fdef.collection).add(attribute)
        if fdef.type.is_set:
            key = (fdef.collection, attribute)
            known = elements.get(key, frozenset())
            elements[key] = None if known is None or listed is None else known | frozenset(listed)

    stack = [node]
    while stack:
        current = stack.pop()
        stack.extend(_children(current))
        if isinstance(current, ir.Exists):
            use(current.collection)
        elif isinstance(current, ir.AnyOf):
            field(current.field, current.values)
        elif isinstance(current, ir.Contains):
            field(current.field, None)
        elif isinstance(current, (ir.Compare, ir.InValues, ir.TimeRange)):
            operand = current.operand
            if isinstance(operand, ir.Aggregate):
                use(operand.collection)
                if operand.field is not None:
                    field(operand.field, None)
            else:
                field(operand, None)
    for key, values in elements.items():
        if values is not None and len(values) > MAX_LISTED_ELEMENTS:
            elements[key] = None
    return Reads({c: frozenset(a) for c, a in attributes.items()}, elements)


def reads_of_all(nodes: Iterable[ir.Node]) -> Reads:
    """What several segments read together."""
    total = Reads({}, {})
    for node in nodes:
        total = total.union(reads(node))
    elements = {key: None if values is not None and len(values) > MAX_LISTED_ELEMENTS else values
                for key, values in total.elements.items()}
    return Reads(total.attributes, elements)


__all__ = ["MAX_LISTED_ELEMENTS", "Reads", "reads", "reads_of_all"]
