"""The parse tables read back from the user's cache parse exactly as freshly built ones."""

from __future__ import annotations

import tempfile
from functools import cache
from pathlib import Path

import pytest
from hypothesis import given, settings

from cafehub.grammar import syntax as s
from cafehub.grammar.format import format_segment
from cafehub.grammar.parser import _Engine, grammar_cache_file
from cafehub.testing.syntax import segments

EXAMPLES = sorted((Path(__file__).parents[2] / "examples" / "segments").glob("*.seg"))


@cache
def _built_written_read() -> tuple[_Engine, _Engine, _Engine]:
    folder = tempfile.TemporaryDirectory()
    _KEEP.append(folder)
    file = str(Path(folder.name) / "segment.cache")
    built = _Engine(None)
    writer = _Engine(file)  # builds the tables and writes the file
    assert Path(file).stat().st_size > 0
    reader = _Engine(file)  # reads them back
    return built, writer, reader


_KEEP: list[tempfile.TemporaryDirectory[str]] = []


@pytest.fixture
def engines() -> tuple[_Engine, _Engine, _Engine]:
    return _built_written_read()


def test_cached_tables_equal_the_written_ones(engines: tuple[_Engine, _Engine, _Engine]) -> None:
    # (Two builds may number their states differently, so the tables are compared
    # with the build that wrote the file; parses are compared with every build.)
    built, writer, reader = engines
    assert reader.states == writer.states
    assert (reader.start_state, reader.end_state) == (writer.start_state, writer.end_state)
    assert reader.ignore == writer.ignore == built.ignore
    assert reader.master.pattern == writer.master.pattern == built.master.pattern
    assert reader.keywords == writer.keywords == built.keywords
    assert sorted((size, origin, cb is None) for size, origin, cb in reader.reductions.values()) == sorted(
        (size, origin, cb is None) for size, origin, cb in built.reductions.values()
    )


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_cached_engine_parses_examples_alike(engines: tuple[_Engine, _Engine, _Engine], example: Path) -> None:
    built, writer, reader = engines
    text = example.read_text("utf-8")
    assert reader.parse(text) == writer.parse(text) == built.parse(text)


@settings(max_examples=20, deadline=None)
@given(segments)
def test_cached_engine_parses_generated_segments_alike(tree: s.Node) -> None:
    built, _, reader = _built_written_read()
    text = format_segment(tree)
    assert reader.parse(text) == built.parse(text)


def test_damaged_cache_file_is_rebuilt(tmp_path: Path) -> None:
    cache = tmp_path / "segment.cache"
    cache.write_bytes(b"not a cache\n\x80garbage")
    engine = _Engine(str(cache))
    text = EXAMPLES[0].read_text("utf-8")
    assert engine.parse(text) == _Engine(None).parse(text)
    assert cache.read_bytes() != b"not a cache\n\x80garbage"  # rewritten with the tables


def test_cache_location(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CAFEHUB_CACHE_DIR", "")
    assert grammar_cache_file() is None  # empty: no cache
    monkeypatch.setenv("CAFEHUB_CACHE_DIR", str(tmp_path / "mine"))
    mine = grammar_cache_file()
    assert mine is not None
    assert Path(mine).parent == tmp_path / "mine"
    assert (tmp_path / "mine").stat().st_mode & 0o077 == 0  # created private
    monkeypatch.delenv("CAFEHUB_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    xdg = grammar_cache_file()
    assert xdg is not None
    assert Path(xdg).parent == tmp_path / "xdg" / "cafehub"


def test_cache_directory_that_cannot_be_made_means_no_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "file").write_text("")
    monkeypatch.setenv("CAFEHUB_CACHE_DIR", str(tmp_path / "file" / "cache"))  # fails even for root
    assert grammar_cache_file() is None
