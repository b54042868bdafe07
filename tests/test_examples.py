"""The example segments shipped in examples/ and the language reference all check cleanly."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cafehub import api
from cafehub.compiler.references import MappingResolver

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples" / "segments").glob("*.seg"))
REFERENCE = ROOT / "docs" / "LANGUAGE.md"


def _reference_segments() -> list[str]:
    text = REFERENCE.read_text(encoding="utf-8")
    return re.findall(r"```segment\n(.*?)```", text, flags=re.S)


def test_there_are_examples() -> None:
    assert len(EXAMPLES) >= 10
    assert len(_reference_segments()) >= 10


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_example_checks_without_warnings(path: Path) -> None:
    checked = api.check(path.read_text(encoding="utf-8"))
    assert checked.warnings == ()
    canonical = api.format(path.read_text(encoding="utf-8"))
    assert api.parse(canonical) == api.parse(path.read_text(encoding="utf-8"))


#: The saved segments the reference's examples of ``segment("name")`` use.
SAVED = MappingResolver({
    "vip": ["order(status = paid).count >= 3", "order(status = paid).count >= 4", "order(status = paid).count >= 5"],
    "lapsed": ["no order(ordered_at within last 90d)"],
})


@pytest.mark.parametrize("text", _reference_segments())
def test_reference_examples_check(text: str) -> None:
    api.check(text, resolver=SAVED)
