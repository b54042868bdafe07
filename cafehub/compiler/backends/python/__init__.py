"""The predicate backend: a checked segment compiled to a Python function over one customer's data.

::

    >>> from datetime import datetime, UTC
    >>> import cafehub
    >>> from cafehub.compiler.backends.python import CustomerData, OrderRow, compile_predicate
    >>> from cafehub.compiler.evaluation import EvalContext
    >>> from decimal import Decimal
    >>> predicate = compile_predicate(cafehub.check("order(status = paid).count >= 1"))
    >>> matches = predicate.bind(EvalContext(now=datetime(2025, 3, 1, tzinfo=UTC)))
    >>> order = OrderRow(order_id="o1", ordered_at=datetime(2025, 2, 1), status="paid",
    ...                  paid_amount=Decimal("10.00"), order_amount=Decimal("10.00"))
    >>> matches(CustomerData(member_id="m1", orders=(order,)))
    True

Semantics are those of the SQL backend in every corner; see docs/PREDICATES.md.
"""

from cafehub.compiler.backends.python.codegen import PredicateCompileError
from cafehub.compiler.backends.python.compiler import (
    BoundPredicate,
    Predicate,
    compile_predicate,
    compile_probes,
)
from cafehub.compiler.backends.python.data import CartRow, CouponRow, CustomerData, OrderRow, Row

__all__ = [
    "BoundPredicate",
    "CartRow",
    "CouponRow",
    "CustomerData",
    "OrderRow",
    "Predicate",
    "PredicateCompileError",
    "Row",
    "compile_predicate",
    "compile_probes",
]
