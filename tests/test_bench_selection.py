"""The SQL benchmark's choice of the best hand-written shape (bench/sql_execution.py).

The ratio compiled / best is cross-fitted: the best shape is chosen on half of the
interleaved rounds and measured on the other half, so the choice cannot pick the
shape whose noise happened to be lowest in the samples it is divided by (the
winner's curse, which made a compiled query with a shape's very plan read about
1.03). Pure functions over lists of samples: no database, no clock.
"""

from __future__ import annotations

import math
import random
import statistics

import pytest

from bench.sql_execution import cross_fitted


def test_chooses_on_one_half_and_measures_on_the_other() -> None:
    # Shape "a" is fast on the even rounds, "b" on the odd ones: each half chooses the one
    # that then is slow on the half it is judged on.
    compiled = [10.0] * 6
    shapes = {"a": [8.0, 12.0] * 3, "b": [12.0, 8.0] * 3}
    fit = cross_fitted(compiled, shapes)
    assert fit.chosen == ("a", "b")
    assert fit.halves == (pytest.approx(10 / 12), pytest.approx(10 / 12))
    assert fit.ratio == pytest.approx(10 / 12)


def test_same_plan_reads_one() -> None:
    samples = [5.0, 7.0, 6.0, 9.0, 5.5, 6.5, 8.0]
    fit = cross_fitted(list(samples), {"same": list(samples), "slow": [s * 2 for s in samples]})
    assert fit.chosen == ("same", "same")
    assert fit.ratio == pytest.approx(1.0)


def test_one_round_falls_back_to_the_plain_ratio() -> None:
    fit = cross_fitted([3.0], {"a": [2.0], "b": [4.0]})
    assert fit.chosen == ("a", "a")
    assert fit.ratio == pytest.approx(1.5)


def test_rejects_ragged_samples() -> None:
    with pytest.raises(ValueError):
        cross_fitted([1.0, 2.0], {"a": [1.0]})
    with pytest.raises(ValueError):
        cross_fitted([1.0, 2.0], {})


def test_unbiased_where_the_lowest_median_is_not() -> None:
    """Compiled and five shapes drawn from one distribution (seeded): the plain lowest median
    reads the compiled query a few percent slow, the cross-fitted ratio about 1.00."""
    rng = random.Random(13)
    naive, fitted = [], []
    for _ in range(600):
        def draw() -> list[float]:
            return [math.exp(rng.gauss(0.0, 0.05)) for _ in range(7)]
        compiled = draw()
        shapes = {f"s{k}": draw() for k in range(5)}
        naive.append(math.log(statistics.median(compiled) / min(statistics.median(v) for v in shapes.values())))
        fitted.append(math.log(cross_fitted(compiled, shapes).ratio))
    assert math.exp(statistics.fmean(naive)) > 1.02
    assert abs(math.exp(statistics.fmean(fitted)) - 1.0) < 0.01
