"""Turning the parser's "unexpected token, expected one of {...}" into plain words.

Lark reports terminal names (``RPAR``, ``CMP``); a marketer needs "')'" or
"a comparison such as = or >=", plus a hint for the usual slips (``==``,
``3 days``, a missing ``)``).
"""

from __future__ import annotations

from cafehub.diagnostics import Diagnostic, Span
from cafehub.grammar.transform import Token
from cafehub.reasons import unexpected_end, unexpected_token

_TERMINAL_WORDS: dict[str, str] = {
    "OR": "'or'",
    "AND": "'and'",
    "NOT": "'not'",
    "NO": "'no'",
    "IN": "'in'",
    "WITHIN": "'within'",
    "BETWEEN": "'between'",
    "CONTAINS": "'contains'",
    "LAST": "'last'",
    "NEXT": "'next'",
    "NOW": "'now'",
    "TODAY": "'today'",
    "YESTERDAY": "'yesterday'",
    "AGO": "'ago'",
    "FROM": "'from'",
    "LPAR": "'('",
    "RPAR": "')'",
    "LSQB": "'['",
    "RSQB": "']'",
    "COMMA": "','",
    "DOT": "'.'",
    "CMP": "a comparison (=, !=, <, <=, >, >=)",
    "DURATION": "a duration such as 3d, 12h or 2w",
    "NAME": "a name",
    "$END": "end of input",
}

_VALUE_TERMINALS = {"INT", "DECIMAL", "STRING", "DATE", "DATETIME", "NAME", "DURATION"}
_TEST_TERMINALS = {"CMP", "IN", "WITHIN", "BETWEEN", "CONTAINS", "NOT"}


def _expected_words(expected: set[str]) -> str:
    expected = set(expected)
    words: list[str] = []
    if expected >= _VALUE_TERMINALS:
        expected -= _VALUE_TERMINALS
        words.append("a value (number, \"string\", name, date, now, 3d ago ...)")
    if {"CMP", "IN", "WITHIN", "BETWEEN", "CONTAINS"} <= expected:
        expected -= _TEST_TERMINALS
        words.append("a test (=, !=, <, in [...], within last 3d, between ... and ..., contains \"...\")")
    if {"NAME", "NOT", "LPAR", "NO"} <= expected:
        expected -= {"NAME", "NOT", "LPAR", "NO"}
        words.append("a condition such as order(status = paid)")
    elif {"NAME", "NOT", "LPAR"} <= expected and "NO" not in expected:
        expected -= {"NAME", "NOT", "LPAR"}
        words.append("a condition such as status = paid")
    words.extend(sorted(_TERMINAL_WORDS.get(t, t.lower()) for t in expected))
    if len(words) == 1:
        return words[0]
    return ", ".join(words[:-1]) + " or " + words[-1]


def _found_words(token: Token) -> str:
    if token.type == "STRING":
        return f"string {token.value}"
    if token.type in ("INT", "DECIMAL"):
        return f"number {token.value}"
    text = token.value
    if len(text) > 40:
        text = text[:40] + "…"
    return f"'{text}'"


def _hint(source: str, token: Token | None, expected: set[str]) -> str | None:
    if token is not None and token.type == "CMP" and token.value == "=" and "CMP" not in expected:
        before = source[: token.start_pos].rstrip()
        if before.endswith("="):
            return "use '=' for equality"
    if token is not None and token.type == "INT" and "DURATION" in expected:
        n = token.value
        return f"durations are written with a unit: {n}d (days), {n}h (hours) or {n}w (weeks)"
    if token is not None and token.type == "NAME" and "DOT" in expected and "CMP" not in expected:
        return None
    if token is not None and token.type in ("CMP", "IN", "WITHIN", "BETWEEN", "CONTAINS") and expected == {"LPAR"}:
        return "fields are tested inside a collection, e.g. order(status = paid)"
    if "RPAR" in expected and (token is None or token.type == "$END"):
        return "a '(' is not closed"
    if token is not None and token.type == "LPAR" and "CMP" in expected:
        return "a field is compared directly, e.g. status = paid; aggregates go after the collection: order().count"
    if token is not None and token.type == "DOT" and "CMP" in expected:
        return "aggregates apply to a collection, e.g. order(status = paid).count"
    return None


def describe_unexpected(source: str, token: Token | None, expected: set[str]) -> Diagnostic:
    """One diagnostic for an unexpected token (or the end of the text)."""
    words = _expected_words(expected)
    if token is None or token.type == "$END":
        end = len(source.rstrip())
        span = Span.at(source, end, end)
        if not source.strip() or not _has_code(source):
            words = "a condition such as order(status = paid)"
        return unexpected_end(words, span, _hint(source, token, expected))
    span = Span(token.start_pos, token.end_pos, token.line, token.column)
    return unexpected_token(_found_words(token), words, span, _hint(source, token, expected))


def _has_code(source: str) -> bool:
    return any(line.split("#", 1)[0].strip() for line in source.splitlines())
