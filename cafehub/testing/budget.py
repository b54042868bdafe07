"""Example budgets for the project's property tests: modest in CI, long on request.

``CAFEHUB_LONG=1`` multiplies every budget (by ``CAFEHUB_LONG_FACTOR``,
default 20) for long hunting runs; the default keeps the whole suite within
the CI time limit on two cores.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

LONG = os.environ.get("CAFEHUB_LONG") == "1"
FACTOR = int(os.environ.get("CAFEHUB_LONG_FACTOR", "20")) if LONG else 1


def budget(examples: int, **overrides: object) -> settings:
    """Hypothesis settings for a property worth ``examples`` examples in CI.

    No deadline (database round trips vary with load) and no health checks
    for slow or large draws (scenarios are deliberately rich).
    """
    return settings(
        max_examples=examples * FACTOR,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
        **overrides,  # type: ignore[arg-type]
    )


__all__ = ["FACTOR", "LONG", "budget"]
