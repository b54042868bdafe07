"""Counterexamples as ready-to-paste pytest regression tests.

When a differential property fails, Hypothesis shrinks the case; this module
prints the shrunk case as Python source (segment text, rows as records, now
and zone) that can be pasted into ``tests/differential/test_regressions.py``
unchanged, so every disagreement found becomes a pinned test.

Values are written with :func:`repr` (exact for strings, ``Decimal`` and
integers), timestamps field by field, and ``now`` as a UTC instant (the
context's meaning depends only on the instant and the zone).
"""

from __future__ import annotations

import hashlib
from dataclasses import fields
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from cafehub.compiler.evaluation import EvalContext
from cafehub.store import records as rec


def _value(value: Any) -> str:
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC)
        parts = [value.year, value.month, value.day, value.hour, value.minute, value.second, value.microsecond]
        while len(parts) > 3 and parts[-1] == 0:
            parts.pop()
        tz = ", tzinfo=UTC" if value.tzinfo is not None else ""
        return f"datetime({', '.join(map(str, parts))}{tz})"
    if isinstance(value, date):
        return f"date({value.year}, {value.month}, {value.day})"
    if isinstance(value, Decimal):
        return f"Decimal({str(value)!r})"
    return repr(value)


#: Generated code stays within the project's line length (ruff, 120) at any nesting used here.
WIDTH = 110


def _call(name: str, parts: list[str], indent: str) -> str:
    """``name(a, b)`` on one line if it fits at ``indent``, else one argument per line."""
    line = f"{name}({', '.join(parts)})"
    if len(indent) + len(line) <= WIDTH:
        return line
    inner = indent + "    "
    return f"{name}(\n" + "".join(f"{inner}{part},\n" for part in parts) + f"{indent})"


def _string(text: str, indent: str) -> str:
    """A string literal, split into implicitly joined pieces when it would not fit."""
    whole = repr(text)
    if len(indent) + len(whole) <= WIDTH:
        return whole
    size = max(10, (WIDTH - len(indent) - 8) // 2)
    pieces = [repr(text[i : i + size]) for i in range(0, len(text), size)]
    inner = indent + "    "
    return "(\n" + "".join(f"{inner}{piece}\n" for piece in pieces) + f"{indent})"


def _record(record: Any, indent: str) -> str:
    """A record as a constructor call, leaving out fields at their defaults."""
    parts = []
    for f in fields(record):
        value = getattr(record, f.name)
        if f.default is not None or value is not None:
            parts.append(f"{f.name}={_value(value)}")
    return _call(f"rec.{type(record).__name__}", parts, indent)


def shop_source(data: rec.ShopData, indent: str = "") -> str:
    """Python source constructing ``data`` (only non-empty tables), starting at column ``len(indent)``."""
    step = "    "
    lines = ["rec.ShopData("]
    for name, rows in data.tables().items():
        if not rows:
            continue
        lines.append(f"{indent}{step}{name}=(")
        lines.extend(f"{indent}{step * 2}{_record(row, indent + step * 2)}," for row in rows)
        lines.append(f"{indent}{step}),")
    lines.append(f"{indent})")
    return "\n".join(lines)


def context_source(ctx: EvalContext, indent: str = "") -> str:
    """Python source constructing ``ctx``."""
    parts = [f"now={_value(ctx.now_utc)}", f"zone=ZoneInfo({ctx.zone.key!r})",
             f"cart_retention_days={ctx.cart_retention_days}", f"history_start={_value(ctx.history_start)}"]
    return _call("EvalContext", parts, indent)


def regression_test_source(
    segment: str, data: rec.ShopData, ctx: EvalContext, *, note: str = "", fixture: str = "differential"
) -> str:
    """A pytest function (and the imports it needs) that re-runs this case on every backend.

    The test takes the ``differential`` fixture of ``tests/differential``
    and calls its ``check(segment, data, ctx)``.
    """
    digest = hashlib.sha256(f"{segment}|{data!r}|{ctx!r}".encode()).hexdigest()[:10]
    comment = "".join(f"    # {line}\n" for line in note.splitlines())
    indent = " " * 8
    return (
        "from datetime import UTC, date, datetime\n"
        "from decimal import Decimal\n"
        "from zoneinfo import ZoneInfo\n\n"
        "from cafehub.compiler.evaluation import EvalContext\n"
        "from cafehub.store import records as rec\n"
        "from cafehub.testing.differential import Differential\n\n\n"
        f"def test_regression_{digest}({fixture}: Differential) -> None:\n"
        f"{comment}"
        f"    {fixture}.check(\n"
        f"{indent}{_string(segment, indent)},\n"
        f"{indent}{shop_source(data, indent)},\n"
        f"{indent}{context_source(ctx, indent)},\n"
        "    )\n"
    )


__all__ = ["context_source", "regression_test_source", "shop_source"]
