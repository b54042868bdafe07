"""The compiled predicate against the reference evaluator, on random scenarios.

The scenarios (``cafehub.testing.scenarios``) put rows exactly on every
window edge of the segment and 1 µs either side, in DST zones, with the
other adversarial rows the strategies document. A failure prints a
ready-to-paste regression test.
"""

from __future__ import annotations

from hypothesis import given

import cafehub
from cafehub.compiler.backends.python import compile_predicate
from cafehub.execution.python import customers_from_shop
from cafehub.testing import Scenario, reference_ids, regression_test_source, scenarios
from cafehub.testing.budget import budget


@budget(400)
@given(scenarios())
def test_predicate_selects_what_the_reference_selects(case: Scenario) -> None:
    checked = cafehub.check(case.segment)
    expected = reference_ids(checked, case.data, case.ctx)
    got = compile_predicate(checked).select(customers_from_shop(case.data), case.ctx)
    assert got == expected, regression_test_source(case.segment, case.data, case.ctx,
                                                   note=f"reference: {expected!r}\npython: {got!r}")


@budget(100)
@given(scenarios())
def test_binding_once_serves_every_customer_and_leaves_the_predicate_reusable(case: Scenario) -> None:
    checked = cafehub.check(case.segment)
    predicate = compile_predicate(checked)
    customers = customers_from_shop(case.data)
    bound = predicate.bind(case.ctx)
    one_by_one = sorted(c.member_id for c in customers if predicate.evaluate(c, case.ctx))
    assert sorted(c.member_id for c in customers if bound(c)) == one_by_one
    assert predicate.select(customers, case.ctx) == one_by_one
