"""The demo's results table shows every example segment whole and readable, at any terminal width.

It cut segment 6 to ``cart().count_distinct(pro…`` and re-wrapped segment 13 so that its
continuation lines lost their indentation.
"""

from __future__ import annotations

import io
import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from rich.console import Console

import cafehub
from cafehub.cli.demo import _results_table, laid_out, segment_width
from cafehub.demo.segments import examples
from cafehub.demo.shop import ExampleResult

NOW = datetime(2025, 12, 1, 12, 0, tzinfo=ZoneInfo("Asia/Seoul"))
EXAMPLES = examples(NOW)


def _segment_cells(terminal: int) -> list[list[str]]:
    """Per row, the segment column's lines as printed (the segment's, then its description's)."""
    results = [ExampleResult(example, ["m1", "m2"], 0.01) for example in EXAMPLES]
    console = Console(width=terminal, file=io.StringIO(), record=True, color_system=None)
    console.print(_results_table(results, 100, console_width=terminal))
    rows: list[list[str]] = []
    for line in console.export_text().splitlines():
        if line.startswith(("┡", "├", "└")):
            rows.append([])
        elif line.startswith("│") and rows:
            rows[-1].append(line.split("│")[2][1:].rstrip())
    return [row for row in rows if row]


@pytest.mark.parametrize("terminal", [60, 80, 100, 120, 200])
def test_every_segment_is_shown_whole_with_its_own_line_breaks(terminal: int) -> None:
    width = segment_width(terminal)
    cells = _segment_cells(terminal)
    assert len(cells) == len(EXAMPLES)
    for example, cell in zip(EXAMPLES, cells, strict=True):
        expected = laid_out(example.text, width)
        assert cell[: len(expected)] == expected, example.text  # printed as laid out: no re-wrap, no "…"
        assert all(len(line) <= width for line in expected)
        assert "…" not in "".join(expected)
        # all of it: every character but spaces, in order, of the text or of its canonical form
        shown = re.sub(r"\s", "", "".join(expected))
        assert shown in (re.sub(r"\s", "", example.text), re.sub(r"\s", "", cafehub.format(example.text)))
        if terminal >= 80:  # no token is wider than the column: the lines read back as the same segment
            assert cafehub.parse("\n".join(expected)) == cafehub.parse(example.text)


def test_segments_that_fit_are_shown_as_written() -> None:
    width = segment_width(120)
    restock = next(e for e in EXAMPLES if e.text.startswith("order(product = 42"))
    assert laid_out(restock.text, width) == restock.text.splitlines()
    assert laid_out("cart().sum(amount) >= 100_000", width) == ["cart().sum(amount) >= 100_000"]


def test_segment_6_and_13_on_an_80_column_terminal() -> None:
    width = segment_width(80)
    assert laid_out("cart().count_distinct(product) >= 3", width) == ["cart().count_distinct(product)", "    >= 3"]
    restock = next(e for e in EXAMPLES if e.text.startswith("order(product = 42"))
    assert laid_out(restock.text, width) == [
        "order(",
        "  product = 42",
        "  and ordered_at < 90d ago",
        ")",
        "  and no order(",
        "    product in [42, 43]",
        "    and ordered_at within last",
        "        90d",
        "  )",
    ]
