"""Option values converted without pydantic, so a command does not import it to read ``--width 60``.

Typer converts every command-line value through a pydantic ``TypeAdapter``
built when the parameter is first read: importing pydantic and building the
adapters costs about 100 ms, more than the rest of ``cafehub segment check``.
For the plain kinds the CLI uses (``str``, ``int``, ``pathlib.Path``, each
optional or not, integers with at most ``min``/``max`` bounds) :func:`lighten`
gives a parameter a converter that does what Typer's adapter does, with the
same messages. Any other parameter (choices, dates, files, custom parsers,
clamping, ...) keeps Typer's own conversion, built on first use as before.

This uses two names Typer does not document (``_TyperParameter._runtime_param``
and ``typer._coercion.RuntimeParam``). Where they are missing, :func:`lighten`
changes nothing and Typer converts as usual: slower, never wrong.
``tests/cli/test_light_coercion.py`` holds the converters equal to Typer's
own over many inputs, and the commands' imported modules are checked there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import typer

try:  # Typer >= 0.26: values are converted by RuntimeParam objects (pydantic adapters)
    from typer._coercion import RuntimeParam as _RuntimeParam
    from typer._param_types import coerce_cli_path as _coerce_cli_path
    from typer._param_types import routes_to_path as _routes_to_path

    _TYPER_ADAPTERS = True
except ImportError:  # pragma: no cover - older Typer converts through click types, without pydantic
    _TYPER_ADAPTERS = False

_NOT_AN_INTEGER = "Input should be a valid integer, unable to parse string as an integer"

#: What pydantic reads as an integer from text: ASCII digits, single underscores between them, an optional
#: sign, and an optional fraction of zeros ("5.0"), once white space around it is removed.
_INTEGER = re.compile(r"[+-]?([0-9]+(?:_[0-9]+)*)(?:\.0+)?")


def _to_int(value: Any, info: Any) -> int:
    text = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
    match = _INTEGER.fullmatch(text.strip())
    if match is None:
        raise ValueError(_NOT_AN_INTEGER)
    number = int(match.group(0).split(".")[0])
    if info.min is not None and number < info.min:
        raise ValueError(f"Input should be greater than or equal to {info.min}")
    if info.max is not None and number > info.max:
        raise ValueError(f"Input should be less than or equal to {info.max}")
    return number


_TRUE = frozenset({"1", "on", "t", "true", "y", "yes"})
_FALSE = frozenset({"0", "off", "f", "false", "n", "no"})


def _to_bool(value: Any, info: Any) -> bool:
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if isinstance(value, str):
        word = value.strip().lower()
        if word == "" or word in _FALSE:
            return False
        if word in _TRUE:
            return True
    elif isinstance(value, int) and value in (0, 1):  # bool included
        return bool(value)
    raise ValueError("Input should be a valid boolean, unable to interpret input")


def _to_str(value: Any, info: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


if _TYPER_ADAPTERS:

    @dataclass(frozen=True)
    class _Light(_RuntimeParam):
        """Conversion of one plain value, as Typer's pydantic adapter does it."""

        kind: str = "str"

        def _coerce_value(self, value: Any, param: Any, ctx: Any) -> Any:
            info = self.parameter_info
            if self.kind == "path":
                path = value if isinstance(value, Path) else Path(value)
                return _coerce_cli_path(path, info, path_type=Path, param=param, ctx=ctx)
            convert = {"int": _to_int, "bool": _to_bool, "str": _to_str}[self.kind]
            try:
                return convert(value, info)
            except ValueError as exc:
                raise typer.BadParameter(str(exc), ctx=ctx, param=param) from None


def light_kind(descriptor: Any) -> str | None:
    """``str``, ``int``, ``bool`` or ``path`` when :func:`lighten` converts such a parameter, else ``None``."""
    info = descriptor.parameter_info
    annotation = descriptor.annotation
    if descriptor.file_annotation is not None or getattr(info, "parser", None) is not None:
        return None
    if getattr(info, "click_type", None) is not None or getattr(info, "clamp", False):
        return None
    if annotation is Path:
        return "path" if info.path_type is None and _routes_to_path(annotation, info) else None
    if annotation is int:
        return "int"
    if annotation is bool:
        return "bool"
    if annotation is str and info.min is None and info.max is None:
        return "str"
    return None


def lighten_param(param: Any) -> Any:
    """Give one parameter pydantic-free conversion when it is of a plain kind (see :func:`light_kind`)."""
    descriptor = getattr(param, "type_descriptor", None)
    if not _TYPER_ADAPTERS or descriptor is None or getattr(param, "_runtime_param", "absent") is not None:
        return param  # older Typer, not a Typer parameter, no such slot, or built already
    kind = light_kind(descriptor)
    if kind is not None:
        param._runtime_param = _Light(descriptor.parameter_info, descriptor.annotation, kind)
    return param


def lighten(command: Any, ctx: Any) -> Any:
    """Give ``command``'s plain parameters (its sub-commands' too) pydantic-free conversion.

    ``ctx`` is the context the command is looked up in; the ``--help``
    option, which Click makes on demand from it, is lightened too.
    """
    for param in getattr(command, "params", ()):
        lighten_param(param)
    if hasattr(command, "get_help_option") and "help_option_names" not in (command.context_settings or {}):
        lighten_param(command.get_help_option(ctx))  # made from ctx's names, which this command inherits
    for sub in getattr(command, "commands", {}).values():
        lighten(sub, ctx)
    return command
