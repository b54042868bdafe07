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

GENERATED_NAME = re.compile(r"_(k|b|h|g|e|a|p|v|t|s|m|x|y|pred)\d+|_factory|_now|_cart_lo|_hist_lo|_F|_add")
LOCALS = {"c", "r", "v", "n", "s", "m", "d", "set", "len", "True", "False", "None"}
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


def test_deep_segments_compile_within_python_nesting_limits() -> None:
    depth = 190
    text = "not " * depth + "order(" + "(" * depth + "status = paid" + ")" * depth + ")"
    options = CheckOptions(limits=Limits(max_depth=200))
    checked = cafehub.check(text, options=options)
    predicate = compile_predicate(checked)
    assert "_h" in predicate.source
    assert "_g" in predicate.source
    ctx = EvalContext(now=datetime(2025, 1, 1, tzinfo=UTC))
    assert predicate.evaluate(CustomerData(member_id="m"), ctx) is (depth % 2 == 1)
    assert depth > MAX_INLINE_DEPTH


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
