"""One constructor per kind of diagnostic, so that codes and wording live in one place.

The language reference (docs/LANGUAGE.md) lists these codes; golden tests pin
the rendered messages. Change wording here, then refresh the golden files.
"""

from __future__ import annotations

from collections.abc import Iterable

from cafehub.diagnostics import Diagnostic, Severity, Span, did_you_mean

E = Severity.ERROR
W = Severity.WARNING


def _hints(*hints: str | None) -> tuple[str, ...]:
    return tuple(h for h in hints if h)


def _suggest(name: str, candidates: Iterable[str]) -> str | None:
    match = did_you_mean(name, candidates)
    return f"did you mean '{match}'?" if match else None


def _suffix(name: str, candidates: Iterable[str]) -> str:
    match = did_you_mean(name, candidates)
    return f"; did you mean '{match}'?" if match else ""


# ---------------------------------------------------------------- E00xx: syntax and input


def unexpected_token(found: str, expected: str, span: Span, hint: str | None = None) -> Diagnostic:
    return Diagnostic("E0001", E, f"unexpected {found}; expected {expected}", span, _hints(hint))


def unexpected_end(expected: str, span: Span, hint: str | None = None) -> Diagnostic:
    return Diagnostic("E0002", E, f"unexpected end of input; expected {expected}", span, _hints(hint))


def unexpected_character(char: str, span: Span, hint: str | None = None) -> Diagnostic:
    shown = char if char.isprintable() else f"U+{ord(char):04X}"
    return Diagnostic("E0003", E, f"unexpected character '{shown}'", span, _hints(hint))


def bad_literal(message: str, span: Span, hint: str | None = None) -> Diagnostic:
    return Diagnostic("E0004", E, message, span, _hints(hint))


#: What the reader accepts as a number, for every malformed-number diagnostic.
NUMBER_FORMS = ("a number is digits, with an optional '-', '_' between two digits and a decimal part: "
                "12, -3, 1_000, 12.50")


def malformed_number(problem: str, span: Span, hint: str | None = None) -> Diagnostic:
    return Diagnostic("E0004", E, f"malformed number: {problem}", span, _hints(hint, NUMBER_FORMS))


def unterminated_string(span: Span) -> Diagnostic:
    return Diagnostic(
        "E0005", E, "unterminated string", span, ("close the string with '\"' on the same line",)
    )


def not_utf8(position: int, span: Span | None = None) -> Diagnostic:
    return Diagnostic("E0006", E, f"input is not valid UTF-8 (byte {position})", span,
                      ("save the segment as UTF-8 text",))


def bad_segment_option(span: Span) -> Diagnostic:
    return Diagnostic("E0007", E, "a segment reference takes only 'version = N'", span,
                      ('write segment("name") for the latest version, or segment("name", version = 3)',))


# ---------------------------------------------------------------- E01xx: limits


def text_too_long(length: int | None, limit: int) -> Diagnostic:
    """``length`` is ``None`` when reading stopped at the limit (an endless or huge input)."""
    size = f"{length:,} characters long" if length is not None else f"longer than {limit:,} characters"
    return Diagnostic(
        "E0101",
        E,
        f"segment text is {size}; the limit is {limit:,}",
        None,
        ("raise Limits.max_length if this is intended",),
    )


def too_deep(limit: int, span: Span | None) -> Diagnostic:
    return Diagnostic(
        "E0102",
        E,
        f"segment is nested more than {limit} levels deep",
        span,
        ("flatten the expression, or raise Limits.max_depth",),
    )


def too_many_atoms(count: int, limit: int, span: Span | None) -> Diagnostic:
    return Diagnostic(
        "E0103",
        E,
        f"segment has {count:,} conditions; the limit is {limit:,}",
        span,
        ("split the segment, or raise Limits.max_atoms",),
    )


# ---------------------------------------------------------------- E02xx: names


def unknown_collection(name: str, known: Iterable[str], span: Span) -> Diagnostic:
    known = list(known)
    return Diagnostic(
        "E0201",
        E,
        f"unknown collection '{name}'",
        span,
        _hints(_suggest(name, known), "collections are " + ", ".join(known)),
    )


def unknown_field(name: str, collection: str, known: Iterable[str], span: Span) -> Diagnostic:
    known = list(known)
    return Diagnostic(
        "E0202",
        E,
        f"unknown field '{name}' in {collection}{_suffix(name, known)}",
        span,
        (f"fields of {collection}: " + ", ".join(known),),
    )


def unknown_enum(field: str, value: str, known: Iterable[str], span: Span) -> Diagnostic:
    known = list(known)
    return Diagnostic(
        "E0203",
        E,
        f"unknown {field} '{value}'{_suffix(value, known)}",
        span,
        (f"{field} is one of: " + ", ".join(known),),
    )


def unknown_aggregate(name: str, known: Iterable[str], span: Span) -> Diagnostic:
    known = list(known)
    return Diagnostic(
        "E0204",
        E,
        f"unknown aggregate '{name}'{_suffix(name, known)}",
        span,
        ("aggregates are " + ", ".join(known),),
    )


def field_of_other_collection(name: str, collection: str, owners: list[str], span: Span) -> Diagnostic:
    return Diagnostic(
        "E0205",
        E,
        f"'{name}' is not a field of {collection}; it belongs to {' and '.join(owners)}",
        span,
        (f"write {owners[0]}({name} ...) for a condition on {owners[0]}",),
    )


def aggregate_field_arity(aggregate: str, wants_field: bool, span: Span) -> Diagnostic:
    if wants_field:
        return Diagnostic("E0206", E, f"{aggregate} needs a field, e.g. .{aggregate}(amount)", span)
    return Diagnostic("E0206", E, f"{aggregate} takes no field", span, (f"write .{aggregate}",))


# ---------------------------------------------------------------- E03xx: types


def type_mismatch(subject: str, subject_type: str, value_text: str, value_kind: str, span: Span,
                  hint: str | None = None) -> Diagnostic:
    return Diagnostic(
        "E0301",
        E,
        f"type mismatch: {subject} is {subject_type} but {value_text} is {value_kind}",
        span,
        _hints(hint),
    )


def operator_not_allowed(operator: str, subject: str, subject_type: str, span: Span,
                         hint: str | None = None) -> Diagnostic:
    return Diagnostic(
        "E0302", E, f"'{operator}' cannot be used on {subject} ({subject_type})", span, _hints(hint)
    )


def aggregate_not_allowed(aggregate: str, field: str, field_type: str, span: Span,
                          hint: str | None = None) -> Diagnostic:
    return Diagnostic(
        "E0303", E, f"{aggregate}({field}) is not allowed: {field} is {field_type}", span, _hints(hint)
    )


def integer_out_of_range(text: str, span: Span) -> Diagnostic:
    return Diagnostic(
        "E0304", E, f"integer {text} is out of range", span, ("integers must fit in 64 bits",)
    )


def integer_too_long(digits: int, span: Span) -> Diagnostic:
    return Diagnostic(
        "E0304", E, f"integer of {digits:,} digits is out of range", span, ("integers must fit in 64 bits",)
    )


def too_many_decimals(value: str, places: int, span: Span, what: str) -> Diagnostic:
    return Diagnostic(
        "E0305",
        E,
        f"{value} has too many decimal places for {what} (at most {places})",
        span,
    )


def number_too_large(value: str, span: Span) -> Diagnostic:
    return Diagnostic("E0306", E, f"number {value} is too large", span,
                      ("numbers may have at most 15 digits before the decimal point",))


def date_out_of_range(text: str, low: str, high: str, span: Span) -> Diagnostic:
    return Diagnostic("E0307", E, f"{text} is out of range; dates must lie between {low} and {high}", span)


def duration_too_long(text: str, limit: str, span: Span) -> Diagnostic:
    return Diagnostic("E0308", E, f"duration {text} is too long (at most {limit})", span)


# ---------------------------------------------------------------- E04xx: windows


def window_wrong_way(message: str, span: Span, hint: str | None = None) -> Diagnostic:
    return Diagnostic("E0401", E, message, span, _hints(hint))


# ---------------------------------------------------------------- E05xx: lists and ranges


def empty_list(span: Span) -> Diagnostic:
    return Diagnostic("E0501", E, "the 'in' list is empty", span, ("give at least one value",))


def between_reversed(low: str, high: str, span: Span) -> Diagnostic:
    return Diagnostic(
        "E0502",
        E,
        f"between bounds are the wrong way round: {low} is after {high}",
        span,
        (f"write between {high} and {low}",),
    )


# ---------------------------------------------------------------- W06xx: warnings


def before_history(boundary: str, span: Span) -> Diagnostic:
    return Diagnostic(
        "W0601",
        W,
        f"this ordered_at window ends before {boundary}; no orders are kept before then, so it never matches",
        span,
    )


def older_than_retention(days: int, span: Span) -> Diagnostic:
    return Diagnostic(
        "W0602",
        W,
        f"this added_at window is older than the cart retention of {days} days; carts keep no such items",
        span,
        ("the shop's cart retention is set in Cafe24's order settings",),
    )


# ---------------------------------------------------------------- E07xx: JSON AST


def invalid_json(message: str) -> Diagnostic:
    return Diagnostic("E0701", E, f"invalid JSON: {message}")


def invalid_json_ast(message: str, path: str) -> Diagnostic:
    return Diagnostic("E0702", E, message, None, (), path)


def unsupported_version(version: str, supported: int) -> Diagnostic:
    """``version``: the document's value written as JSON."""
    return Diagnostic(
        "E0703",
        E,
        f"unsupported JSON AST version {version}; this cafehub reads version {supported}",
        None,
        (),
        "$.version",
    )


# ---------------------------------------------------------------- E08xx: saved segments


def unknown_segment(name: str, known: Iterable[str], deleted: bool, span: Span) -> Diagnostic:
    if deleted:
        return Diagnostic("E0801", E, f"the saved segment '{name}' was deleted", span,
                          ("save it again to use it, or remove the reference",))
    known = list(known)
    hint = _suggest(name, known)
    if hint is None:
        hint = ("saved segments: " + ", ".join(sorted(known)[:20])) if known else "this shop has no saved segments yet"
    return Diagnostic("E0801", E, f"unknown saved segment '{name}'", span, (hint,))


def unknown_segment_version(name: str, version: int, latest: int | None, span: Span) -> Diagnostic:
    if latest is None:
        return Diagnostic("E0802", E, f"segment '{name}' has no version {version}", span,
                          ("versions are numbered from 1",))
    return Diagnostic("E0802", E, f"segment '{name}' has no version {version}", span,
                      (f"its versions are 1 to {latest}" if latest > 1 else "it has only version 1",))


def segment_cycle(path: list[str], span: Span) -> Diagnostic:
    shown = " → ".join(path)
    return Diagnostic("E0803", E, f"segment '{path[0]}' would include itself: {shown}", span,
                      ("a segment cannot use itself, directly or through other segments",))


SAVED_SEGMENT_INVALID = "E0804"


def saved_segment_invalid(name: str, version: int, problem: str, span: Span) -> Diagnostic:
    return Diagnostic(
        SAVED_SEGMENT_INVALID, E, f"the saved segment '{name}' (version {version}) no longer checks: {problem}",
        span, (f"see it with `cafehub segment show {name} --version {version}`, and save a corrected version",))


def no_saved_segments(name: str, span: Span) -> Diagnostic:
    return Diagnostic("E0805", E, f"segment(\"{name}\") uses a saved segment, but no saved segments are "
                      "available here", span,
                      ("give the store that keeps them (--db and --shop), or pass a resolver to check()",))


def too_many_atoms_expanded(count: int, limit: int, span: Span | None) -> Diagnostic:
    return Diagnostic("E0103", E, f"with its saved segments written out, the segment has {count:,} conditions; "
                      f"the limit is {limit:,}", span, ("use fewer or smaller saved segments",))


def too_deep_expanded(limit: int, span: Span | None) -> Diagnostic:
    return Diagnostic("E0102", E, f"with its saved segments written out, the segment is nested more than {limit} "
                      "levels deep", span, ("use saved segments that are less deeply nested",))
