"""Golden files: for every static check, a failing segment and its exact rendered diagnostics.

Each ``diagnostics/NAME.seg`` is checked with the default options (and the
saved segments of :data:`SAVED`) and the rendered report is compared with ``NAME.txt``. The file name starts with the
code the case is about, and the test also asserts that code is reported.
Regenerate after an intended wording change with ``CAFEHUB_UPDATE_GOLDEN=1``.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from cafehub import api
from cafehub.compiler.check import CheckedSegment
from cafehub.compiler.references import MappingResolver
from cafehub.diagnostics import SegmentError, render_all

HERE = Path(__file__).parent
UPDATE = os.environ.get("CAFEHUB_UPDATE_GOLDEN") == "1"
TEXT_CASES = sorted((HERE / "diagnostics").glob("*.seg"))
JSON_CASES = sorted((HERE / "json_diagnostics").glob("*.json"))


def _report(run: object, data: bytes, origin: str) -> tuple[list[str], str]:
    try:
        checked = run(data)  # type: ignore[operator]
    except SegmentError as error:
        return error.codes, render_all(error.diagnostics, error.source, origin)
    return [d.code for d in checked.warnings], render_all(checked.warnings, checked.source, origin)


def _compare(case: Path, codes: list[str], rendered: str) -> None:
    expected_code = case.stem.split("_", 1)[0]
    if expected_code.startswith(("E", "W")):
        assert expected_code in codes, f"{case.name}: expected {expected_code}, got {codes}"
    golden = case.with_suffix(".txt")
    if UPDATE or not golden.exists():
        golden.write_text(rendered + "\n", encoding="utf-8")
    assert rendered + "\n" == golden.read_text(encoding="utf-8")


#: The saved segments the text cases may use (E0805's case is checked with none at all).
SAVED = MappingResolver({
    "vip": ["order(status = paid).count >= 3", "order(status = paid).count >= 5"],
    "lapsed": ["no order(ordered_at within last 90d)"],
    "ring_a": ['segment("ring_b") and cart()'],
    "ring_b": ['coupon() or segment("ring_a")'],
    "stale": ["order(status = payed)"],
    "wide": [" or ".join(f"cart(product = {n})" for n in range(400))],
})


def _check_text(case: Path) -> Callable[[bytes], CheckedSegment]:
    resolver = None if case.stem.startswith("E0805") else SAVED
    return lambda data: api.check(data, resolver=resolver)


@pytest.mark.parametrize("case", TEXT_CASES, ids=lambda p: p.stem)
def test_text_diagnostics(case: Path) -> None:
    codes, rendered = _report(_check_text(case), case.read_bytes().rstrip(b"\n"), case.name)
    assert rendered, "a diagnostics case must produce at least one diagnostic"
    _compare(case, codes, rendered)


@pytest.mark.parametrize("case", JSON_CASES, ids=lambda p: p.stem)
def test_json_diagnostics(case: Path) -> None:
    codes, rendered = _report(api.check_json, case.read_bytes(), case.name)
    assert rendered
    _compare(case, codes, rendered)


def test_every_static_check_has_a_golden_case() -> None:
    covered = {p.stem.split("_", 1)[0] for p in TEXT_CASES + JSON_CASES}
    import inspect
    import re

    import cafehub.reasons as reasons

    codes = set(re.findall(r'"([EW]\d{4})"', inspect.getsource(reasons)))
    assert codes - covered == set(), f"codes without a golden case: {sorted(codes - covered)}"
