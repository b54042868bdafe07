"""Reading literal tokens into values: strings, numbers, dates, durations.

Kept apart from the transformer because each reader has its own failure
modes (a bad escape, 2025-02-30, a lone surrogate) that become diagnostics
rather than exceptions, and the JSON reader reuses the same rules.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal

__all__ = [
    "MAX_INT_DIGITS",
    "IntegerTooLong",
    "LiteralError",
    "quote_string",
    "read_date",
    "read_datetime",
    "read_decimal",
    "read_int",
    "read_string",
]


class LiteralError(ValueError):
    """A literal token that matched the grammar but has no valid value.

    ``offset`` and ``length`` locate the bad part within the token text.
    """

    def __init__(self, message: str, offset: int = 0, length: int | None = None, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.offset = offset
        self.length = length
        self.hint = hint


_SIMPLE_ESCAPES = {'"': '"', "\\": "\\", "n": "\n", "t": "\t", "r": "\r", "/": "/"}


def read_string(token: str) -> str:
    """Decode a double-quoted string token (quotes included) into its value.

    Escapes: ``\\"``, ``\\\\``, ``\\/``, ``\\n``, ``\\t``, ``\\r`` and ``\\uXXXX``
    (a surrogate pair of two ``\\u`` escapes makes one character). NUL is refused:
    no engine we support can store it in text, so it could never match.
    """
    body = token[1:-1]
    if "\\" not in body and "\x00" not in body:
        return body
    out: list[str] = []
    i = 0
    n = len(body)
    while i < n:
        ch = body[i]
        if ch == "\x00":
            raise LiteralError("strings may not contain the NUL character", 1 + i, 1)
        if ch != "\\":
            out.append(ch)
            i += 1
            continue
        if i + 1 >= n:
            raise LiteralError("string ends with a lone backslash", 1 + i, 1, hint='write \\\\ for a backslash')
        esc = body[i + 1]
        if esc in _SIMPLE_ESCAPES:
            out.append(_SIMPLE_ESCAPES[esc])
            i += 2
            continue
        if esc == "u":
            code, used = _read_unicode_escape(body, i)
            if code == 0:
                raise LiteralError("strings may not contain the NUL character", 1 + i, used)
            out.append(chr(code))
            i += used
            continue
        raise LiteralError(
            f"unknown escape '\\{esc}' in string",
            1 + i,
            2,
            hint='escapes are \\" \\\\ \\/ \\n \\t \\r and \\uXXXX',
        )
    return "".join(out)


_HEX4 = re.compile(r"[0-9a-fA-F]{4}")


def _read_unicode_escape(body: str, i: int) -> tuple[int, int]:
    """Read ``\\uXXXX`` (and a following low surrogate) at ``body[i]``; return (code, length)."""
    digits = body[i + 2 : i + 6]
    if not _HEX4.fullmatch(digits):
        raise LiteralError("\\u must be followed by four hex digits", 1 + i, 2 + len(digits))
    code = int(digits, 16)
    if 0xD800 <= code <= 0xDBFF:
        low = body[i + 6 : i + 12]
        if low.startswith("\\u") and _HEX4.fullmatch(low[2:]) and 0xDC00 <= int(low[2:], 16) <= 0xDFFF:
            return 0x10000 + ((code - 0xD800) << 10) + (int(low[2:], 16) - 0xDC00), 12
        raise LiteralError("unpaired surrogate in \\u escape", 1 + i, 6)
    if 0xDC00 <= code <= 0xDFFF:
        raise LiteralError("unpaired surrogate in \\u escape", 1 + i, 6)
    return code, 6


def quote_string(value: str) -> str:
    """The canonical string literal for ``value`` (inverse of :func:`read_string`).

    Printable characters, any script included, are kept as they are; quotes,
    backslashes and control or invisible characters are escaped.
    """
    out = ['"']
    for ch in value:
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\r":
            out.append("\\r")
        elif not ch.isprintable():
            code = ord(ch)
            if code > 0xFFFF:
                code -= 0x10000
                out.append(f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}")
            else:
                out.append(f"\\u{code:04x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


#: Integer literals with more digits than this are refused while reading. No value of the language
#: comes near (64-bit integers have 19 digits, durations of 100 years in hours 6), and Python refuses
#: to convert a string of more than 4,300 digits into an int, so the limit keeps that failure out.
MAX_INT_DIGITS = 100


class IntegerTooLong(LiteralError):
    """An integer literal of more than :data:`MAX_INT_DIGITS` digits; ``digits`` is how many it has."""

    def __init__(self, digits: int) -> None:
        super().__init__(f"integer of {digits:,} digits")
        self.digits = digits


def read_int(token: str) -> int:
    """The value of an integer token (``-12``, ``100_000``); :class:`IntegerTooLong` past the limit."""
    digits = token.replace("_", "")
    count = len(digits.lstrip("+-"))
    if count > MAX_INT_DIGITS:
        raise IntegerTooLong(count)
    return int(digits)


def read_decimal(token: str) -> Decimal:
    return Decimal(token.replace("_", ""))


def read_date(token: str) -> date:
    try:
        return date.fromisoformat(token)
    except ValueError as exc:
        raise LiteralError(f"invalid date '{token}': {exc}", 0, len(token)) from None


_DATETIME = re.compile(
    r"(?P<date>\d{4}-\d{2}-\d{2})T(?P<h>\d{2}):(?P<m>\d{2})"
    r"(?::(?P<s>\d{2})(?:\.(?P<f>\d{1,6}))?)?"
    r"(?P<z>Z|(?P<sign>[+-])(?P<oh>\d{2}):(?P<om>\d{2}))?"
)


def read_datetime(token: str) -> tuple[datetime, int | None]:
    """Return the naive wall-clock value and the UTC offset in minutes (``None`` if absent)."""
    match = _DATETIME.fullmatch(token)
    if match is None:
        raise LiteralError(f"invalid date-time '{token}'", 0, len(token))
    day = read_date(match["date"])
    hour, minute = int(match["h"]), int(match["m"])
    second = int(match["s"] or 0)
    micro = int((match["f"] or "0").ljust(6, "0"))
    if hour > 23 or minute > 59 or second > 59:
        raise LiteralError(f"invalid time in '{token}'", 11, len(token) - 11)
    offset: int | None = None
    if match["z"] == "Z":
        offset = 0
    elif match["z"]:
        oh, om = int(match["oh"]), int(match["om"])
        if oh > 18 or om > 59:
            raise LiteralError(f"invalid UTC offset in '{token}'", match.start("z"), len(match["z"]))
        offset = (oh * 60 + om) * (1 if match["sign"] == "+" else -1)
    value = datetime(day.year, day.month, day.day, hour, minute, second, micro)
    return value, offset


def format_datetime(value: datetime, offset_minutes: int | None) -> str:
    """Canonical text of a date-time literal: seconds and fraction only when present."""
    text = f"{value.date().isoformat()}T{value.hour:02d}:{value.minute:02d}"
    if value.second or value.microsecond:
        text += f":{value.second:02d}"
        if value.microsecond:
            text += f".{value.microsecond:06d}".rstrip("0")
    if offset_minutes is not None:
        if offset_minutes == 0:
            text += "Z"
        else:
            sign = "+" if offset_minutes > 0 else "-"
            hours, minutes = divmod(abs(offset_minutes), 60)
            text += f"{sign}{hours:02d}:{minutes:02d}"
    return text
