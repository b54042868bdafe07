"""Property-testing tools for segments: Hypothesis strategies, a reference evaluator, regressions.

Needs Hypothesis (``pip install 'cafehub[testing]'``). What is here:

- :func:`segments` / :func:`segment_trees`: random *valid* segments (they
  pass :func:`cafehub.check`) covering every construct of the language:
  all three collections, every field, every test form and value form,
  every aggregate, ``no``, and nested and/or/not at both levels.
- :func:`shop_data`: random shops (:class:`~cafehub.store.records.ShopData`)
  with adversarial rows: timestamps exactly on window edges and 1 µs either
  side, rows after ``now``, orders before the history boundary, guest
  orders, orders without items or payments, coupons without a definition,
  quotes, LIKE wildcards and Unicode in strings, exact decimal amounts.
- :func:`eval_contexts`: random ``now`` (often on a DST change or a local
  midnight), shop time zone (DST zones included), cart retention and
  history boundary.
- :func:`scenarios`: all three drawn together so that they meet: segment
  durations and dates and data timestamps come from one pool
  (:func:`time_pool`) derived from the context.
- :func:`reference_ids`: a slow, obviously correct evaluator to compare
  against, and :func:`regression_test_source` to turn a counterexample into
  a pasteable test. :mod:`cafehub.testing.differential` runs a case on
  every backend at once.

Property-test your own filter (here, a hand-written function that should
mean the same as a segment) against the reference::

    from hypothesis import given
    from cafehub import check
    from cafehub.testing import Scenario, reference_ids, scenarios

    SEGMENT = "order(status = paid).count >= 3 and no order(ordered_at within last 60d)"

    @given(scenarios())
    def test_my_filter_means_the_segment(case: Scenario) -> None:
        expected = reference_ids(check(SEGMENT), case.data, case.ctx)
        assert my_filter(case.data, case.ctx) == expected

or check a segment of your own on random shops and contexts::

    from hypothesis import given, strategies as st
    from cafehub.testing import eval_contexts, shop_data

    @given(st.data())
    def test_segment_on_random_shops(data: st.DataObject) -> None:
        ctx = data.draw(eval_contexts())
        shop = data.draw(shop_data(ctx))
        ...

Random syntax trees that need not be valid (for parser and formatter laws)
are in :mod:`cafehub.testing.syntax`.
"""

from cafehub.testing.reference import reference_ids
from cafehub.testing.regression import regression_test_source
from cafehub.testing.strategies import (
    ZONES,
    Hints,
    Scenario,
    TimePool,
    conditions,
    data_times,
    eval_contexts,
    hints_for,
    money,
    scenarios,
    segment_trees,
    segments,
    shop_data,
    texts,
    time_pool,
)

__all__ = [
    "ZONES",
    "Hints",
    "Scenario",
    "TimePool",
    "conditions",
    "data_times",
    "eval_contexts",
    "hints_for",
    "money",
    "reference_ids",
    "regression_test_source",
    "scenarios",
    "segment_trees",
    "segments",
    "shop_data",
    "texts",
    "time_pool",
]
