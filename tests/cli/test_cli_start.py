"""What ``cafehub segment check``/``fmt`` import, and the option converters that keep pydantic out.

The start-up time itself is measured in ``bench/startup.py``; here the *set of
modules* a command imports is checked, which does not depend on the machine.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import typer
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.models import ArgumentInfo, OptionInfo

import cafehub
from cafehub.cli.coercion import light_kind, lighten

#: Packages and project areas that a command working on segment text alone must not import.
HEAVY = (
    "sqlalchemy", "sqlglot", "pydantic", "fastapi", "starlette", "httpx", "rich", "duckdb",
    "cafehub.sandbox", "cafehub.demo", "cafehub.store", "cafehub.execution", "cafehub.registry",
    "cafehub.compiler.backends", "cafehub.grammar.json_ast", "cafehub.service", "cafehub.connectors",
)

_PROBE = """
import json, sys
from cafehub.cli import main
try:
    main(sys.argv[2:])
except SystemExit as exit:
    code = exit.code
with open(sys.argv[1], "w") as out:
    json.dump({"code": code, "modules": sorted(sys.modules)}, out)
"""


def _imported(tmp_path: Path, *args: str, stdin: str | None = None) -> tuple[int, list[str]]:
    report = tmp_path / "modules.json"
    root = str(Path(cafehub.__file__).parents[1])  # the cafehub under test, whatever the working directory
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))}
    result = subprocess.run([sys.executable, "-c", _PROBE, str(report), *args], input=stdin, capture_output=True,
                            text=True, timeout=60, cwd=tmp_path, env=env)
    assert "Traceback" not in result.stderr, result.stderr
    data = json.loads(report.read_text())
    return data["code"], data["modules"]


def _heavy(modules: list[str]) -> list[str]:
    return [m for m in modules if any(m == h or m.startswith(h + ".") for h in HEAVY)]


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (("segment", "check", "order(status = paid).count >= 3", "--json"), 0),
        (("segment", "check", "order(nosuch = 1) and cart(", "--shop", "s1"), 1),
        (("segment", "fmt", "--width", "40", "-"), 0),
    ],
    ids=["check-valid-json", "check-invalid", "fmt-stdin"],
)
def test_check_and_fmt_import_only_the_front_end(tmp_path: Path, args: tuple[str, ...], code: int) -> None:
    exit_code, modules = _imported(tmp_path, *args, stdin="order(status=paid).count>=3 and cart().count>0")
    assert exit_code in (code, None if code == 0 else code)
    assert _heavy(modules) == []
    assert "cafehub.compiler.check" in modules  # the probe did check the text


def test_the_probe_sees_heavy_imports(tmp_path: Path) -> None:
    """The same probe on a command that needs the store does list it (the test above can fail)."""
    _, modules = _imported(tmp_path, "segment", "to-json", "order().count > 0")  # JSON AST: pydantic
    assert "pydantic" in _heavy(modules)


# ---------------------------------------------------------------- the converters equal Typer's own


def _typer_adapter(annotation: Any, info: Any) -> Any:
    from typer._adapters import build_leaf_adapter

    return build_leaf_adapter(annotation, info)


@cache
def _light_param(kind: str) -> tuple[Any, Any]:
    """A command with one option of that kind, lightened: (the option, a context)."""
    annotation, info = KINDS[kind]
    app = typer.Typer()

    def _command(x: Any = typer.Option(None, **info)) -> None:
        """One option of the kind under test."""

    _command.__annotations__ = {"x": annotation, "return": None}
    app.command()(_command)
    command = typer.main.get_command(app)
    ctx = command.make_context("t", [])
    lighten(command, ctx)
    param = next(p for p in command.params if p.name == "x")
    return param, ctx


def _ours(kind: str, value: Any) -> tuple[str, Any]:
    param, ctx = _light_param(kind)
    runtime = param._runtime_param
    assert runtime is not None, "not lightened"
    try:
        return "ok", runtime._coerce_value(value, param=param, ctx=ctx)
    except typer.BadParameter as exc:
        return "error", exc.message


@cache
def _adapter(kind: str) -> Any:
    annotation, info = KINDS[kind]
    return _typer_adapter(annotation, OptionInfo(**info))


def _theirs(kind: str, value: Any) -> tuple[str, Any]:
    from pydantic import ValidationError

    adapter = _adapter(kind)
    try:
        return "ok", adapter.validate_python(value)
    except ValidationError as exc:
        return "error", exc.errors()[0]["msg"]


KINDS = {
    "int": (int, {}),
    "int>=1": (int, {"min": 1}),
    "int 0..10": (int, {"min": 0, "max": 10}),
    "bool": (bool, {}),
    "str": (str, {}),
}
INTERESTING = [
    "5", " 5 ", "+5", "-5", "1_000", "1__0", "_1", "1_", "5.0", "5.00", "5.5", "5.", ".5", "1e3", "0x10", "",
    "abc", "٣", "１２", "inf", "nan", "-0", "00012", "1" * 40, "0", "11", "5\n", "\t5", "5 0", "+-5", "0_0.0",
    "true", "TRUE", " yes ", "Y", "on", "off", "F", "n", "no", "false", "2", "maybe", "tRuE", "ｙｅｓ", "1.0",
]


@pytest.mark.parametrize("kind", list(KINDS))
def test_light_conversion_equals_typers_on_chosen_values(kind: str) -> None:
    for value in INTERESTING:
        assert _ours(kind, value) == _theirs(kind, value), (kind, value)


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(list(KINDS)), st.text(alphabet=" \t\n+-_.0123456789eExXtrueyesno٣１", max_size=8))
def test_light_conversion_equals_typers_on_generated_values(kind: str, value: str) -> None:
    assert _ours(kind, value) == _theirs(kind, value)


def test_path_options_convert_to_paths_and_keep_typer_checks(tmp_path: Path) -> None:
    app = typer.Typer()
    seen: dict[str, Any] = {}

    @app.command()
    def _command(file: Path | None = typer.Option(None), folder: Path | None = typer.Option(None, dir_okay=False),
                 width: int = typer.Option(88, min=1)) -> None:
        """Options of kinds the CLI uses."""
        seen.update(file=file, folder=folder, width=width)

    command = typer.main.get_command(app)
    lighten(command, command.make_context("t", []))
    mine = [p for p in command.params if p.name in ("file", "folder", "width")]
    assert [light_kind(p.type_descriptor) for p in mine] == ["path", "path", "int"]
    assert all(p._runtime_param is not None for p in mine)
    command.main(["--file", "a.seg", "--width", " 7 "], standalone_mode=False)
    assert seen == {"file": Path("a.seg"), "folder": None, "width": 7}
    with pytest.raises(typer.BadParameter, match="is a directory"):  # dir_okay=False: Typer's own check
        command.main(["--folder", str(tmp_path)], standalone_mode=False)
    with pytest.raises(typer.BadParameter, match="greater than or equal to 1"):
        command.main(["--width", "0"], standalone_mode=False)


def test_kinds_left_to_typer() -> None:
    from typer._coercion import resolve_type_descriptor

    def kind(annotation: Any, info: Any) -> str | None:
        return light_kind(resolve_type_descriptor(annotation, info))

    assert kind(str, OptionInfo(parser=str.upper)) is None
    assert kind(int, OptionInfo(min=1, clamp=True)) is None
    assert kind(float, OptionInfo()) is None
    assert kind(Path, OptionInfo(resolve_path=True)) == "path"  # typer's own path checks still run
    assert kind(Path, OptionInfo(path_type=str)) is None
    assert kind(str, ArgumentInfo()) == "str"


def test_fmt_and_check_print_text_as_it_is(tmp_path: Path) -> None:
    """Plain output: ``:fire:`` and ``[bold]`` in a comment or string stay as written (rich made an emoji of it)."""
    text = '# big :fire: sale [bold]x[/bold]\ncustomer(city = ":smile: [red]")'
    env = {**os.environ, "PYTHONPATH": str(Path(cafehub.__file__).parents[1])}
    formatted = subprocess.run([sys.executable, "-m", "cafehub", "segment", "fmt", text], capture_output=True,
                               text=True, timeout=60, env=env)
    assert formatted.returncode == 0, formatted.stderr
    assert formatted.stdout == text + "\n"
    bad = subprocess.run([sys.executable, "-m", "cafehub", "segment", "check", text + " and :fire:"],
                         capture_output=True, text=True, timeout=60, env=env)
    assert bad.returncode == 1
    assert ':smile: [red]' in bad.stderr
    assert "\N{FIRE}" not in bad.stderr


def test_rich_progress_runs_on_the_lazy_consoles() -> None:
    """demo, store load and sync show a rich Progress on ``out``/``err``, which enters its console."""
    from rich.progress import Progress

    from cafehub.cli.common import err, out

    for console in (out, err):
        with Progress(console=console, transient=True) as bar:
            bar.update(bar.add_task("step", total=2), advance=2)


def test_root_help_lists_every_area_without_importing_them(tmp_path: Path) -> None:
    from cafehub.cli import AREAS

    code, modules = _imported(tmp_path, "--help")
    assert code == 0
    assert [m for m in _heavy(modules) if m.split(".")[0] != "rich"] == []  # help is drawn with rich
    assert not [m for m in modules if m.startswith("cafehub.cli.") and m not in ("cafehub.cli.coercion",)]
    env = {**os.environ, "PYTHONPATH": str(Path(cafehub.__file__).parents[1]), "COLUMNS": "200"}
    shown = subprocess.run([sys.executable, "-m", "cafehub", "--help"], capture_output=True, text=True, timeout=60,
                           env=env).stdout
    for name, (_, line) in AREAS.items():
        assert name in shown
        assert line in shown
