"""Golden SQL per case and dialect, and SQL that each dialect's parser reads back.

``tests/sql/golden/<case>/<dialect>.sql`` holds the SQL of every case for every
dialect, followed by its parameters as comments. A change to the compiler
that changes SQL shows up as a readable diff here. Regenerate after a
deliberate change with ``CAFEHUB_UPDATE_GOLDEN=1 pytest tests/sql/test_golden.py``.

BigQuery, Snowflake and Trino SQL is generated but not executed in this
project; it is parsed back by sqlglot for its dialect, which catches SQL that
does not parse or that sqlglot would have to rewrite.
"""

from __future__ import annotations

import pytest
import sqlglot
from sqlglot import exp

from cafehub.compiler.backends.sql import DIALECTS, CompiledSQL, compile_sql
from cafehub.compiler.backends.sql.compiled import render
from cafehub.compiler.backends.sql.compiler import SqlCompiler
from cafehub.compiler.backends.sql.dialects import get_dialect
from cafehub.compiler.backends.sql.mapping import DEFAULT_MAPPING

from .conftest import CASES, GOLDEN_DIR, UPDATE_GOLDEN, Case

PARAMS = [(case, dialect) for case in CASES for dialect in DIALECTS]
IDS = [f"{case.name}-{dialect}" for case, dialect in PARAMS]


def golden_text(compiled: CompiledSQL) -> str:
    lines = [compiled.sql, "", "-- parameters:"]
    lines += [f"--   {p.name}: {p.describe()}" for p in compiled.params]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(("case", "dialect"), PARAMS, ids=IDS)
def test_golden_sql(case: Case, dialect: str) -> None:
    path = GOLDEN_DIR / case.name / f"{dialect}.sql"
    actual = golden_text(compile_sql(case.checked, dialect=dialect))
    if UPDATE_GOLDEN:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8")
    assert path.exists(), f"no golden file {path}; run with CAFEHUB_UPDATE_GOLDEN=1"
    assert actual == path.read_text(encoding="utf-8")


def test_no_stale_golden_files() -> None:
    expected = {(c.name, d) for c in CASES for d in DIALECTS}
    present = {(p.parent.name, p.stem) for p in GOLDEN_DIR.glob("*/*.sql")}
    assert present == expected


@pytest.mark.parametrize(("case", "dialect"), PARAMS, ids=IDS)
def test_sql_parses_back(case: Case, dialect: str) -> None:
    compiled = compile_sql(case.checked, dialect=dialect)
    tree = sqlglot.parse_one(compiled.sql, read=dialect)
    assert isinstance(tree, exp.Select)
    tables = {t.name for t in tree.find_all(exp.Table)}
    assert tables == {use.physical[-1] for use in compiled.tables}
    names = {p.name for p in tree.find_all(exp.Placeholder, exp.Parameter)}
    assert names == {p.name for p in compiled.params}
    if not DIALECTS[dialect].executed:
        # What is printed is what the dialect's own parser and printer agree on.
        assert tree.sql(dialect=dialect, identify=True) == compiled.tree.sql(dialect=dialect, identify=True)


@pytest.mark.parametrize(("case", "dialect"), PARAMS, ids=IDS)
def test_printing_leaves_the_tree_unchanged(case: Case, dialect: str) -> None:
    # render() prints without copying first, for speed; a printer rewrite that
    # changed the tree would change later renderings (inlined parameters).
    target = get_dialect(dialect)
    tree = SqlCompiler(target, DEFAULT_MAPPING).query(case.checked.ir)
    snapshot = tree.copy()
    first = render(tree, target)
    assert tree == snapshot
    assert render(tree, target) == first
