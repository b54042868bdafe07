"""What every CLI command shares: reading input, reporting user errors without tracebacks."""

from __future__ import annotations

import codecs
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, NoReturn

import typer

from cafehub.diagnostics import SegmentError, render_all
from cafehub.grammar.limits import DEFAULT_LIMITS
from cafehub.reasons import text_too_long

if TYPE_CHECKING:
    from rich.console import Console


class _LazyConsole:
    """A rich ``Console`` made on first use: rich takes about 20 ms to import, and
    ``segment check``/``fmt`` print plain text (:func:`echo`) without it."""

    def __init__(self, **options: Any) -> None:
        self._options = options
        self._console: Console | None = None

    def real(self) -> Console:
        """The console itself (made now if it was not yet)."""
        if self._console is None:
            from rich.console import Console

            self._console = Console(**self._options)
        return self._console

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real(), name)

    # Special methods are looked up on the type, not through __getattr__: rich's Live
    # (under Progress) enters its console with ``with console:``.
    def __enter__(self) -> Console:
        return self.real().__enter__()

    def __exit__(self, *exc: object) -> None:
        self.real().__exit__(*exc)


out: Any = _LazyConsole(highlight=False, soft_wrap=True)
err: Any = _LazyConsole(stderr=True, highlight=False, soft_wrap=True)


def echo(text: str, *, stderr: bool = False) -> None:
    """Print text as it is: no markup, no highlighting, and no ``:name:`` emoji codes
    (rich turns ``:fire:`` in a segment's comment into an emoji even with ``markup=False``)."""
    typer.echo(text, err=stderr)


class InputError(SegmentError):
    """Segment input that cannot be read as text (bytes that are not UTF-8): E0006, located in ``origin``.

    A :class:`SegmentError`, so it is reported as diagnostics (exit 1, JSON with ``--json``) like
    any other bad segment, not as a usage error.
    """

    def __init__(self, error: SegmentError, origin: str) -> None:
        super().__init__(error.diagnostics, error.source)
        self.origin = origin


class UserError(Exception):
    """A mistake in what the user asked for; printed as one line, exit status 2 unless given."""

    def __init__(self, message: str, exit_code: int = 2) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def fail(message: str, exit_code: int = 2) -> NoReturn:
    err.print(f"[bold red]error:[/] {message}", markup=True, highlight=False)
    raise typer.Exit(exit_code)


def read_segment_input(text: str | None, file: Path | None,
                       max_chars: int = DEFAULT_LIMITS.max_length) -> tuple[str, str]:
    """The segment text and a name for it (for ``-->`` lines): TEXT, ``-`` (stdin) or ``-f FILE``.

    A file or standard input is read only up to ``max_chars + 1`` characters: past the
    limit the answer is E0101 whatever follows, so ``-f /dev/zero`` or an endless pipe
    is refused at once instead of filling memory.
    """
    if file is not None and text is not None:
        raise UserError("give the segment as TEXT or with -f FILE, not both")
    if file is not None:
        if str(file) == "-":
            return _stdin(max_chars), "<stdin>"
        try:
            with file.open("rb") as stream:
                data = _read_bounded(stream, max_chars)
        except OSError as exc:
            raise UserError(f"cannot read {file}: {exc.strerror}") from None
        return _decode(data, str(file)), str(file)
    if text is None:
        raise UserError("give the segment as TEXT, '-' for standard input, or -f FILE")
    if text == "-":
        return _stdin(max_chars), "<stdin>"
    return text, "segment"


def _stdin(max_chars: int) -> str:
    return _decode(_read_bounded(sys.stdin.buffer, max_chars), "<stdin>")


def _decode(data: bytes, origin: str) -> str:
    """``data`` as text; :class:`InputError` (E0006 at the first bad byte) when it is not UTF-8."""
    from cafehub.grammar.parser import decode

    try:
        return decode(data)
    except SegmentError as error:
        raise InputError(error, origin) from None


_CHUNK = 1 << 16


def _read_bounded(stream: BinaryIO, max_chars: int) -> bytes:
    """Every byte of ``stream`` if it holds at most ``max_chars`` characters; else E0101.

    Characters are counted as UTF-8 is decoded, chunk by chunk, so no more than the limit
    plus one character (and one chunk) is ever held. Bytes that are not UTF-8 stop the
    count; the caller's decode then says where they are.
    """
    chunks: list[bytes] = []
    decoder = codecs.getincrementaldecoder("utf-8")()
    count = 0
    while True:
        chunk = stream.read(_CHUNK)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        try:
            count += len(decoder.decode(chunk))
        except UnicodeDecodeError:
            return b"".join(chunks)
        if count > max_chars:
            raise SegmentError([text_too_long(None, max_chars)])


def print_diagnostics(error: SegmentError, source: str | None, origin: str) -> None:
    echo(render_all(error.diagnostics, source if source is not None else error.source, origin), stderr=True)


@contextmanager
def user_errors(source: str | None = None, origin: str = "segment") -> Iterator[None]:
    """Turn the project's user-facing errors into messages and exit codes (1 for a bad segment)."""
    try:
        yield
    except InputError as error:
        print_diagnostics(error, None, error.origin)
        raise typer.Exit(1) from None
    except SegmentError as error:
        print_diagnostics(error, source, origin)
        raise typer.Exit(1) from None
    except UserError as error:
        fail(str(error), error.exit_code)


def command(fn: Callable[..., None]) -> Callable[..., None]:
    """Decorator: run a command body inside :func:`user_errors`."""
    import functools

    @functools.wraps(fn)
    def wrapper(*args: object, **kwargs: object) -> None:
        with user_errors():
            fn(*args, **kwargs)

    return wrapper
