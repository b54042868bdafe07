"""Text to syntax tree: the first stage of the compiler.

``parse`` never raises anything but :class:`~cafehub.diagnostics.SegmentError`
for bad input, whatever the input: bytes that are not UTF-8, unbalanced
brackets, 5 MB of text or 100,000 nested parentheses.
"""

from __future__ import annotations

import hashlib
import os
import re
import sys
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

from lark import Lark
from lark.lexer import PatternRE, PatternStr, TerminalDef
from lark.parsers.lalr_analysis import Shift

from cafehub.diagnostics import Diagnostic, SegmentError, Span
from cafehub.grammar import syntax as s
from cafehub.grammar.limits import DEFAULT_LIMITS, Limits, bracket_depth_exceeds
from cafehub.grammar.syntax_errors import describe_unexpected
from cafehub.grammar.transform import SyntaxBuilder, Token, begin_parse
from cafehub.reasons import (
    malformed_number,
    not_utf8,
    text_too_long,
    too_deep,
    too_many_atoms,
    unexpected_character,
    unterminated_string,
)

#: The grammar, shipped beside this module (read by path: importlib.resources costs
#: more to import than the file costs to read, and the package is never zipped).
GRAMMAR_FILE = Path(__file__).with_name("segment.lark")


class _LexFailure(Exception):
    def __init__(self, position: int) -> None:
        self.position = position


class _ParseFailure(Exception):
    def __init__(self, token: Token, expected: set[str]) -> None:
        self.token = token
        self.expected = expected


class _Engine:
    """Lark's LALR tables for ``segment.lark``, driven by a lean lexer and loop.

    Lark builds the grammar's parse table and the reduction callbacks (our
    ``SyntaxBuilder``); this class runs them. The lexer is one compiled
    regular expression made from the grammar's own terminal definitions, with
    keywords recognised by table lookup, and the loop below is Lark's LALR loop
    without its per-token bookkeeping. Together they parse a typical segment
    several times faster than ``Lark.parse`` while accepting exactly the same
    language (``tests/grammar/test_parser.py`` checks both agree).
    """

    def __init__(self, cache_file: str | None = None) -> None:
        grammar = GRAMMAR_FILE.read_text("utf-8")
        # Building the LALR tables takes about 50 ms, a tenth of a command's start;
        # Lark's cache reads them back in about 5 ms. Lark keys the file's content by
        # the grammar, the options, its own version and Python's, and rebuilds (and
        # rewrites) a stale or unreadable file; ``cache_file=None`` builds every time.
        self.lark = Lark(
            grammar,
            parser="lalr",
            lexer="basic",
            transformer=SyntaxBuilder(),
            maybe_placeholders=True,
            cache=cache_file if cache_file is not None else False,
        )
        inner = self.lark.parser.parser.parser
        table = inner.parse_table
        # Plain-str keys: Lark's keys are its own Token type, whose __eq__ is slow.
        self.states: dict[Any, dict[str, tuple[Any, Any]]] = {
            state: {str(name): action for name, action in actions.items()}
            for state, actions in table.states.items()
        }
        self.start_state = table.start_states["start"]
        self.end_state = table.end_states["start"]
        # A unit rule such as ``expr: and_expr`` passes its child through; the
        # loop does that inline (callback ``None``) instead of calling Lark's wrapper.
        self.reductions = {
            rule: (
                len(rule.expansion),
                str(rule.origin.name),
                None if len(rule.expansion) == 1 and type(callback).__name__ == "ExpandSingleChild" else callback,
            )
            for rule, callback in inner.callbacks.items()
            if not isinstance(rule, str)
        }
        self.ignore = frozenset(self.lark.lexer_conf.ignore)  # also set on a Lark read from its cache
        self.master, self.keywords = self._lexer(list(self.lark.terminals))

    def _lexer(self, terminals: list[TerminalDef]) -> tuple[re.Pattern[str], dict[str, dict[str, str]]]:
        """One regex over all terminals, keywords folded into the terminal that matches them.

        Ignored terminals (white space, comments) become a prefix of every
        match, so each token costs one regex call. The alternatives keep Lark's
        order (priority, then width), so the regex picks what Lark would.
        """
        regexes = [t for t in terminals if isinstance(t.pattern, PatternRE)]
        keywords: dict[str, dict[str, str]] = {}
        embedded: set[str] = set()
        for word in terminals:
            if not isinstance(word.pattern, PatternStr):
                continue
            for rx in regexes:
                flags = re.IGNORECASE if "i" in rx.pattern.flags else 0
                if rx.priority == word.priority and re.fullmatch(rx.pattern.to_regexp(), word.pattern.value, flags):
                    if "i" not in word.pattern.flags:  # pragma: no cover - all keywords are case-insensitive
                        raise ValueError(f"keyword {word.name} must be case-insensitive")
                    keywords.setdefault(rx.name, {})[word.pattern.value.lower()] = word.name
                    embedded.add(word.name)
        skipped = [t for t in terminals if t.name in self.ignore]
        rest = [t for t in terminals if t.name not in embedded and t.name not in self.ignore]
        rest.sort(key=lambda t: (-t.priority, -t.pattern.max_width, -len(t.pattern.value), t.name))
        skip = "|".join(t.pattern.to_regexp() for t in skipped)
        tokens = "|".join(f"(?P<{t.name}>{t.pattern.to_regexp()})" for t in rest)
        self.skip = re.compile(f"(?:{skip})*")
        return re.compile(f"(?:{skip})*(?:{tokens}|$)"), keywords

    def tokens(self, text: str) -> Iterator[Token]:
        match = self.master.match
        keywords = self.keywords
        pos, line, line_start, size = 0, 1, 0, len(text)
        while True:
            m = match(text, pos)
            if m is None:
                raise _LexFailure(self._failure_position(text, pos))
            index = m.lastindex
            if index is None:  # only white space and comments were left
                if m.end() < size:
                    raise _LexFailure(self._failure_position(text, pos))
                start = size
            else:
                start = m.start(index)
            if text.find("\n", pos, start) != -1:
                line += text.count("\n", pos, start)
                line_start = text.rindex("\n", pos, start) + 1
            if index is None:
                yield Token("$END", "", size, size, line, size - line_start + 1)
                return
            kind: str = m.lastgroup  # type: ignore[assignment]
            value = m.group(index)
            folded = keywords.get(kind)
            if folded is not None:
                kind = folded.get(value.lower(), kind)
            pos = m.end()
            yield Token(kind, value, start, pos, line, start - line_start + 1)

    def _failure_position(self, text: str, pos: int) -> int:
        """Where lexing failed: after any white space and comments at ``pos``."""
        end = self.skip.match(text, pos)
        return min(end.end() if end else pos, len(text) - 1)

    def parse(self, text: str) -> Any:
        states = self.states
        reductions = self.reductions
        end_state = self.end_state
        state_stack = [self.start_state]
        value_stack: list[Any] = []
        for token in self.tokens(text):
            while True:
                try:
                    action, arg = states[state_stack[-1]][token.type]
                except KeyError:
                    expected = {t for t in states[state_stack[-1]] if t.isupper()}
                    raise _ParseFailure(token, expected) from None
                if action is Shift:
                    state_stack.append(arg)
                    value_stack.append(token)
                    break
                size, origin, callback = reductions[arg]
                if callback is None:
                    state_stack.pop()
                    _, goto = states[state_stack[-1]][origin]
                    state_stack.append(goto)
                    if token.type == "$END" and goto == end_state:
                        return value_stack[-1]
                    continue
                if size:
                    children = value_stack[-size:]
                    del state_stack[-size:]
                    del value_stack[-size:]
                else:
                    children = []
                value = callback(children)
                _, goto = states[state_stack[-1]][origin]
                state_stack.append(goto)
                value_stack.append(value)
                if token.type == "$END" and goto == end_state:
                    return value
        raise AssertionError("unreachable: $END always ends the loop")  # pragma: no cover


def grammar_cache_file() -> str | None:
    """Where the parse tables are kept between runs, or ``None`` (no cache).

    ``$CAFEHUB_CACHE_DIR`` (empty: no cache), else ``$XDG_CACHE_HOME/cafehub``,
    else ``~/.cache/cafehub``: a directory of the user's own, never a shared
    temporary one, since Lark reads the file with pickle. The name carries the
    grammar's digest and the Lark and Python versions, so installs of other
    versions side by side do not overwrite each other's file.
    """
    configured = os.environ.get("CAFEHUB_CACHE_DIR")
    if configured is not None:
        if not configured:
            return None
        folder = Path(configured)
    else:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        folder = Path(base) / "cafehub"
    import lark

    grammar = GRAMMAR_FILE.read_bytes()
    digest = hashlib.sha256(grammar).hexdigest()[:16]
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError:
        return None
    if not os.access(folder, os.W_OK):
        return None
    python = f"py{sys.version_info[0]}{sys.version_info[1]}"
    return str(folder / f"segment-grammar-{digest}-lark{lark.__version__}-{python}.cache")


@cache
def _engine() -> _Engine:
    return _Engine(grammar_cache_file())


def reserved_words() -> frozenset[str]:
    """The language's keywords (lower case), taken from the grammar; none can be a name."""
    return frozenset(word for table in _engine().keywords.values() for word in table)


def decode(text: str | bytes) -> str:
    """Accept text or UTF-8 bytes; anything else is a diagnostic, not a crash."""
    if isinstance(text, str):
        return text
    data = bytes(text)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        # Show where: the text with replacement characters, the caret on the first bad byte.
        shown = data.decode("utf-8", errors="replace")
        at = len(data[: exc.start].decode("utf-8", errors="replace"))
        raise SegmentError([not_utf8(exc.start, Span.at(shown, at, at + 1))], shown) from None


def parse(text: str | bytes, *, limits: Limits = DEFAULT_LIMITS) -> s.Segment:
    """Parse segment text into a syntax tree (no name or type checks yet).

    Raises :class:`SegmentError` with every literal problem found, or with the
    first syntax error (the parser cannot usefully continue past one).
    """
    source = decode(text)
    if len(source) > limits.max_length:
        raise SegmentError([text_too_long(len(source), limits.max_length)], source)
    deep_at = bracket_depth_exceeds(source, limits.max_depth)
    if deep_at is not None:
        raise SegmentError([too_deep(limits.max_depth, Span.at(source, deep_at, deep_at + 1))], source)
    if "\x00" in source:
        at = source.index("\x00")
        # Lark's regex lexer would treat NUL as an ordinary unexpected character anyway;
        # report it precisely (NUL inside a string literal is refused by the string reader).
        if source.count('"', 0, at) % 2 == 0:
            raise SegmentError([unexpected_character("\x00", Span.at(source, at, at + 1))], source)

    problems = begin_parse(source)
    try:
        tree: s.Segment = _engine().parse(source)
    except _LexFailure as failure:
        raise SegmentError([_lex_diagnostic(source, failure.position)], source) from None
    except _ParseFailure as failure:
        raise SegmentError([describe_unexpected(source, failure.token, failure.expected)], source) from None
    if problems:
        raise SegmentError(problems, source)
    _check_size(tree, limits, source)
    return tree


def _check_size(tree: s.Segment, limits: Limits, source: str) -> None:
    """Depth and the number of conditions, computed iteratively so a deep tree cannot overflow the stack.

    Every condition is counted (the text is already bounded by the length limit), so
    E0103 gives the real number, located at the first condition past the limit.
    """
    max_depth, max_atoms = limits.max_depth, limits.max_atoms
    atoms = 0
    past: Span | None = None
    stack: list[tuple[s.Node, int]] = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > max_depth:
            at = node.span
            raise SegmentError([too_deep(max_depth, Span(at.start, at.start + 1, at.line, at.column))], source)
        if isinstance(node, (s.And, s.Or)):
            stack.extend((item, depth + 1) for item in reversed(node.items))
            continue
        if isinstance(node, s.Not):
            stack.append((node.operand, depth + 1))
            continue
        counted, condition = s.conditions_of(node)
        atoms += counted
        if atoms > max_atoms and past is None:
            past = node.span
        if condition is not None:
            stack.append((condition, depth + 1))
    if past is not None:
        raise SegmentError([too_many_atoms(atoms, max_atoms, past)], source)


def _lex_diagnostic(source: str, at: int) -> Diagnostic:
    char = source[at]
    if char == '"':
        end = source.find("\n", at)
        return unterminated_string(Span.at(source, at, len(source) if end == -1 else end))
    number = _NUMBERISH.match(source, at)
    if number is not None:
        return _number_diagnostic(number.group(), Span.at(source, at, number.end()))
    return unexpected_character(char, Span.at(source, at, at + 1), _character_hint(source, at))


#: Where the lexer fails on something that starts like a number: the whole run of it.
_NUMBERISH = re.compile(r"-?\d(?:[\w.]|(?<=[eE])[+-](?=\d))*")
_EXPONENT = re.compile(r"-?\d[\d_]*(?:\.[\d_]*)?[eE][+-]?\d")
_RADIX = re.compile(r"-?0[xXoObB]")
_UNDERSCORE = re.compile(r"__|_(?!\d)|(?<!\d)_")


def _number_diagnostic(word: str, span: Span) -> Diagnostic:
    """Say what is wrong with a malformed number (``1e309``, ``0x10``, ``1__0``, ``1.``, ``3x``)."""
    if _RADIX.match(word):
        return malformed_number("hexadecimal, octal and binary are not supported", span, "write it in decimal")
    if _EXPONENT.match(word):
        return malformed_number("exponents are not supported", span, "write the number out: 1e3 is 1000")
    if _UNDERSCORE.search(word):
        return malformed_number("'_' must stand between two digits", span)
    if word.count(".") > 1:
        return malformed_number("more than one decimal point", span)
    if re.search(r"\.(?!\d)", word):
        return malformed_number("a decimal point needs digits after it", span, "write 1.0 or 1, not 1.")
    return malformed_number(
        "letters right after the digits", span,
        "a duration is a number and one unit: h, d or w (3d, 12h, 2w); otherwise put a space after the number")


_CHARACTER_HINTS = {
    "&": "use 'and'",
    "|": "use 'or'",
    "!": "use 'not', or '!=' for not equal",
    "'": 'strings use double quotes: "text"',
    "“": 'strings use plain double quotes: "text"',
    "”": 'strings use plain double quotes: "text"',
    "{": "lists use square brackets: [a, b]",
}


def _character_hint(source: str, at: int) -> str | None:
    char = source[at]
    if char == "=" and at > 0 and source[at - 1] == "=":
        return "use '=' for equality"
    return _CHARACTER_HINTS.get(char)
