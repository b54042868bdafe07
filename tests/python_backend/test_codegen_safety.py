"""User text never becomes code: the generated source holds no value from the segment.

Read back with :mod:`ast`, the source of any compiled segment contains no
string constant at all, only small integer constants the generator itself
writes, and only identifiers and attributes from fixed sets. Values reach
the code as closure cells bound at evaluation.
"""

from __future__ import annotations

import ast
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given

import cafehub
from cafehub.compiler import ir
from cafehub.compiler.backends.python import (
    CouponRow,
    CustomerData,
    OrderRow,
    PredicateCompileError,
    compile_predicate,
)
from cafehub.compiler.backends.python.codegen import MAX_INLINE_DEPTH
from cafehub.compiler.catalog import FIELDS, Collection
from cafehub.compiler.check import CheckOptions
from cafehub.compiler.evaluation import EvalContext
from cafehub.grammar.limits import Limits
from cafehub.grammar.syntax import CmpOp
from cafehub.testing import segments
from cafehub.testing.budget import budget

GENERATED_NAME = re.compile(
    r"_(k|b|d|h|g|e|a|p|v|t|s|m|x|y|pred)\d+|[nsmdf]\d+|_factory|_now|_cart_lo|_hist_lo|_F|_add|_mul")
LOCALS = {"c", "r", "v", "set", "len", "max", "min", "True", "False", "None"}
ATTRIBUTES = {
    *(name for fields in FIELDS.values() for name in fields),
    "coupons", "cart", "orders", "used_at", "isdisjoint", "update", "add", "discard",
}


def assert_source_is_safe(source: str) -> None:
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant):
            assert not isinstance(node.value, (str, bytes)), f"string constant {node.value!r} in generated code"
            assert node.value in (None, True, False) or (isinstance(node.value, int) and 0 <= node.value < 100)
        elif isinstance(node, ast.Name):
            assert node.id in LOCALS or GENERATED_NAME.fullmatch(node.id), node.id
        elif isinstance(node, ast.Attribute):
            assert node.attr in ATTRIBUTES, node.attr
        elif isinstance(node, ast.FunctionDef):
            assert GENERATED_NAME.fullmatch(node.name), node.name


@budget(200)
@given(segments())
def test_generated_source_holds_no_segment_value(text: str) -> None:
    assert_source_is_safe(compile_predicate(cafehub.check(text)).source)


HOSTILE = [
    '"); __import__("os").system("echo pwned"); ("',
    "' or 1=1 --",
    "\\\"; raise SystemExit #",
    "{__class__}",
    "\n\ndef _pred1(c): return True\n",
]


@pytest.mark.parametrize("needle", HOSTILE)
def test_hostile_strings_are_data(needle: str) -> None:
    from cafehub.grammar.literals import quote_string

    segment = f"coupon(name contains {quote_string(needle)} or coupon_no = {quote_string(needle)})"
    predicate = compile_predicate(cafehub.check(segment))
    assert_source_is_safe(predicate.source)
    assert needle not in predicate.source
    now = datetime(2025, 1, 1, tzinfo=UTC)
    coupon = CouponRow(id=1, coupon_no="x", name=f"<{needle}>", issue_type="signup",
                       issued_at=datetime(2024, 12, 1), expires_at=datetime(2025, 2, 1))
    ctx = EvalContext(now=now)
    assert predicate.evaluate(CustomerData(member_id="m", coupons=(coupon,)), ctx)
    assert not predicate.evaluate(CustomerData(member_id="m", coupons=(coupon,)),
                                  EvalContext(now=now + timedelta(days=60)))


def _nest(depth: int, a: str, b: str) -> str:
    """``a and (b or (a and (b or a)))``-like text, ``depth`` levels of alternating ``or``/``and``."""
    text = a
    for level in range(depth):
        text = f"{b if level % 2 == 0 else a} {'or' if level % 2 == 0 else 'and'} ({text})"
    return text


def _fold(depth: int, a: bool, b: bool) -> bool:
    """The truth of ``_nest(depth, a, b)`` for atoms of those truths."""
    value = a
    for level in range(depth):
        value = (b or value) if level % 2 == 0 else (a and value)
    return value


def test_deep_segments_compile_within_python_nesting_limits() -> None:
    depth = 190
    options = CheckOptions(limits=Limits(max_depth=200))
    ctx = EvalContext(now=datetime(2025, 1, 1, tzinfo=UTC))
    paid = OrderRow(order_id="o1", ordered_at=datetime(2024, 6, 1), status="paid",
                    paid_amount=Decimal(1), order_amount=Decimal(1))
    customer = CustomerData(member_id="m", orders=(paid,))
    assert depth > MAX_INLINE_DEPTH

    # Row level: an alternating and/or as deep as the parser allows: helper functions past the inline depth.
    for a, b in [("paid", "canceled"), ("canceled", "paid"), ("canceled", "pending")]:
        condition = _nest(depth, f"status = {a}", f"status = {b}")
        predicate = compile_predicate(cafehub.check(f"order({condition})", options=options))
        assert re.search(r"\b_h\d+\(r\)", predicate.source)
        assert predicate.evaluate(customer, ctx) is _fold(depth, a == "paid", b == "paid")

    # Segment level: nested and/or of atoms become helper blocks; a chain of nots folds away.
    for a, b in [("order()", "cart()"), ("cart()", "order()"), ("cart()", "coupon()")]:
        predicate = compile_predicate(cafehub.check(_nest(depth, a, b), options=options))
        assert re.search(r"\b_g\d+\(c\)", predicate.source)
        assert predicate.evaluate(customer, ctx) is _fold(depth, a == "order()", b == "order()")
    negated = compile_predicate(cafehub.check("not " * depth + "order()", options=options))
    assert negated.evaluate(customer, ctx) is (depth % 2 == 0)


def test_an_ir_the_checker_cannot_produce_is_refused() -> None:
    wrong_collection = ir.Exists(
        collection=Collection.CART,
        where=ir.Compare(operand=FIELDS[Collection.ORDER]["paid_amount"], op=CmpOp.GT, value=Decimal(1)),
    )
    with pytest.raises(PredicateCompileError, match="not a field of cart"):
        compile_predicate(wrong_collection)
    bare_field = ir.Compare(operand=FIELDS[Collection.ORDER]["paid_amount"], op=CmpOp.GT, value=1)
    with pytest.raises(PredicateCompileError, match="segment level"):
        compile_predicate(bare_field)
    with pytest.raises(TypeError, match="CheckedSegment"):
        compile_predicate("order()")  # type: ignore[arg-type]
