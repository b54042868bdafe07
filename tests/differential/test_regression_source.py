"""A printed counterexample is a test that reproduces the case exactly."""

from __future__ import annotations

from typing import Any

from hypothesis import given

from cafehub.testing import Scenario, regression_test_source, scenarios
from cafehub.testing.budget import budget


class Recorder:
    """Stands in for the ``differential`` fixture and keeps what the test passes it."""

    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []

    def check(self, *args: Any) -> None:
        self.calls.append(args)


@budget(60)
@given(scenarios())
def test_the_printed_test_rebuilds_segment_rows_and_context(case: Scenario) -> None:
    source = regression_test_source(case.segment, case.data, case.ctx, note="reference: []\npython: ['x']")
    namespace: dict[str, Any] = {}
    exec(compile(source, "<regression>", "exec"), namespace)
    (name,) = [n for n in namespace if n.startswith("test_regression_")]
    recorder = Recorder()
    namespace[name](recorder)
    ((segment, data, ctx),) = recorder.calls
    assert segment == case.segment
    assert data == case.data
    assert (ctx.now_utc, ctx.zone.key, ctx.cart_retention_days, ctx.history_start) == (
        case.ctx.now_utc, case.ctx.zone.key, case.ctx.cart_retention_days, case.ctx.history_start)
