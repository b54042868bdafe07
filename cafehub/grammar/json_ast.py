"""The JSON form of the syntax tree, for visual segment builders.

A document is ``{"version": 1, "segment": <node>}``; every node is an object
with a ``"type"`` tag (see ``segment.schema.json``, generated from the
pydantic models below and shipped with the package). Reading goes through
pydantic, so a malformed document gets diagnostics naming the JSON path of
the bad node (``$.segment.items[1].subject.name``); a well-formed document
with a bad name or type is then checked like text (see ``cafehub.api``).

Round trip: ``to_json(from_json(d)) == d`` for documents ``to_json`` wrote,
and text to JSON to text is the identity on canonical text.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
    TypeAdapter,
    ValidationError,
)

from cafehub.diagnostics import SegmentError
from cafehub.grammar import literals
from cafehub.grammar import syntax as s
from cafehub.grammar.limits import DEFAULT_LIMITS, Limits
from cafehub.reasons import invalid_json, invalid_json_ast, text_too_long, too_deep, unsupported_version

VERSION = 1
#: JSON is wordier than text: a segment of ``max_length`` characters fits in this many times as much JSON.
JSON_LENGTH_FACTOR = 20


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# ---------------------------------------------------------------- values


def _not_too_long(value: int) -> int:
    """Refuse integers the text form refuses while reading (Python cannot even print them past 4,300 digits)."""
    if abs(value) >= _TOO_LONG:
        raise ValueError(f"integer of more than {literals.MAX_INT_DIGITS} digits is out of range")
    return value


_TOO_LONG: int = 10**literals.MAX_INT_DIGITS
#: An integer of JSON AST documents: 64-bit range is the checker's business, size the reader's.
JsonInt = Annotated[StrictInt, AfterValidator(_not_too_long)]


def _json_int(token: str) -> int:
    """``json.loads``'s integer reader: a stand-in past the digit limit (refused with its path later)."""
    if len(token.lstrip("-")) > literals.MAX_INT_DIGITS:
        return -_TOO_LONG if token.startswith("-") else _TOO_LONG
    return int(token)


class DurationJ(_Model):
    amount: JsonInt = Field(ge=0)
    unit: Literal["h", "d", "w"]


class IntJ(_Model):
    type: Literal["int"]
    value: JsonInt


class DecimalJ(_Model):
    type: Literal["decimal"]
    value: StrictStr = Field(pattern=r"^-?\d+\.\d+$", description="exact decimal as text, e.g. \"12.50\"")


class StringJ(_Model):
    type: Literal["string"]
    value: StrictStr


class EnumJ(_Model):
    type: Literal["enum"]
    value: StrictStr = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")


class DateJ(_Model):
    type: Literal["date"]
    value: StrictStr = Field(pattern=r"^\d{4}-\d{2}-\d{2}$")


class DateTimeJ(_Model):
    type: Literal["datetime"]
    value: StrictStr = Field(
        pattern=r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})?$",
        description="ISO 8601; without an offset it is read in the shop's time zone",
    )


class NowJ(_Model):
    type: Literal["now"]


class TodayJ(_Model):
    type: Literal["today"]


class YesterdayJ(_Model):
    type: Literal["yesterday"]


class AgoJ(_Model):
    type: Literal["ago"]
    duration: DurationJ


class FromNowJ(_Model):
    type: Literal["from_now"]
    duration: DurationJ


ValueJ = Annotated[
    IntJ | DecimalJ | StringJ | EnumJ | DateJ | DateTimeJ | NowJ | TodayJ | YesterdayJ | AgoJ | FromNowJ,
    Field(discriminator="type"),
]


# ---------------------------------------------------------------- subjects


class FieldJ(_Model):
    type: Literal["field"]
    name: StrictStr = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")


class MeasureJ(_Model):
    type: Literal["measure"]
    collection: StrictStr = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    condition: NodeJ | None = None
    aggregate: StrictStr = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    field: StrictStr | None = Field(default=None, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")


SubjectJ = Annotated[FieldJ | MeasureJ, Field(discriminator="type")]


# ---------------------------------------------------------------- nodes


class CompareJ(_Model):
    type: Literal["compare"]
    subject: SubjectJ
    op: Literal["=", "!=", "<", "<=", ">", ">="]
    value: ValueJ


class InJ(_Model):
    type: Literal["in"]
    subject: SubjectJ
    values: list[ValueJ]
    negated: StrictBool = False


class WithinJ(_Model):
    type: Literal["within"]
    subject: SubjectJ
    direction: Literal["last", "next"]
    duration: DurationJ


class BetweenJ(_Model):
    type: Literal["between"]
    subject: SubjectJ
    low: ValueJ
    high: ValueJ


class ContainsJ(_Model):
    type: Literal["contains"]
    subject: SubjectJ
    needle: StrictStr
    negated: StrictBool = False


class AndJ(_Model):
    type: Literal["and"]
    items: list[NodeJ] = Field(min_length=2)


class OrJ(_Model):
    type: Literal["or"]
    items: list[NodeJ] = Field(min_length=2)


class NotJ(_Model):
    type: Literal["not"]
    operand: NodeJ


class ExistsJ(_Model):
    type: Literal["exists"]
    collection: StrictStr = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    condition: NodeJ | None = None
    negated: StrictBool = False


class SegmentJ(_Model):
    """A saved segment used by name; ``version`` absent or null means its latest version."""

    type: Literal["segment"]
    name: StrictStr
    version: JsonInt | None = None


NodeJ = Annotated[
    AndJ | OrJ | NotJ | ExistsJ | SegmentJ | CompareJ | InJ | WithinJ | BetweenJ | ContainsJ,
    Field(discriminator="type"),
]


class DocumentJ(_Model):
    """A segment as JSON."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        title="cafehub segment",
        json_schema_extra={"$id": "https://cafehub.dev/schema/segment-ast-v1.json"},
    )
    version: Literal[1]
    segment: NodeJ


for _model in (MeasureJ, AndJ, OrJ, NotJ, ExistsJ):
    _model.model_rebuild()
DocumentJ.model_rebuild()

_DOCUMENT = TypeAdapter(DocumentJ)


def json_schema() -> dict[str, Any]:
    """The JSON Schema of the JSON AST (the same as the shipped ``segment.schema.json``)."""
    schema = _DOCUMENT.json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return schema


# ---------------------------------------------------------------- tree to JSON


def _value_to_json(value: s.Value) -> dict[str, Any]:
    if isinstance(value, s.IntLit):
        return {"type": "int", "value": value.value}
    if isinstance(value, s.DecimalLit):
        text = format(value.value, "f")
        return {"type": "decimal", "value": text if "." in text else text + ".0"}
    if isinstance(value, s.StringLit):
        return {"type": "string", "value": value.value}
    if isinstance(value, s.EnumLit):
        return {"type": "enum", "value": value.name}
    if isinstance(value, s.DateLit):
        return {"type": "date", "value": value.value.isoformat()}
    if isinstance(value, s.DateTimeLit):
        return {"type": "datetime", "value": literals.format_datetime(value.value, value.offset_minutes)}
    if isinstance(value, (s.Ago, s.FromNow)):
        kind = "ago" if isinstance(value, s.Ago) else "from_now"
        return {"type": kind, "duration": {"amount": value.duration.amount, "unit": value.duration.unit}}
    return {"type": {s.Now: "now", s.Today: "today", s.Yesterday: "yesterday"}[type(value)]}


def _subject_to_json(subject: s.Subject) -> dict[str, Any]:
    if isinstance(subject, s.FieldRef):
        return {"type": "field", "name": subject.name}
    return {
        "type": "measure",
        "collection": subject.collection.name,
        "condition": _node_to_json(subject.condition) if subject.condition is not None else None,
        "aggregate": subject.aggregate.name,
        "field": subject.field.name if subject.field is not None else None,
    }


def _node_to_json(node: s.Node) -> dict[str, Any]:
    if isinstance(node, (s.And, s.Or)):
        return {"type": "and" if isinstance(node, s.And) else "or", "items": [_node_to_json(i) for i in node.items]}
    if isinstance(node, s.Not):
        return {"type": "not", "operand": _node_to_json(node.operand)}
    if isinstance(node, s.Exists):
        return {
            "type": "exists",
            "collection": node.collection.name,
            "condition": _node_to_json(node.condition) if node.condition is not None else None,
            "negated": node.negated,
        }
    if isinstance(node, s.SegmentRef):
        return {"type": "segment", "name": node.name.value,
                "version": node.version.value if node.version is not None else None}
    subject = _subject_to_json(node.subject)
    if isinstance(node, s.Compare):
        return {"type": "compare", "subject": subject, "op": node.op.value, "value": _value_to_json(node.value)}
    if isinstance(node, s.InList):
        return {"type": "in", "subject": subject, "values": [_value_to_json(v) for v in node.values],
                "negated": node.negated}
    if isinstance(node, s.Within):
        return {"type": "within", "subject": subject, "direction": node.direction,
                "duration": {"amount": node.duration.amount, "unit": node.duration.unit}}
    if isinstance(node, s.Between):
        return {"type": "between", "subject": subject, "low": _value_to_json(node.low),
                "high": _value_to_json(node.high)}
    return {"type": "contains", "subject": subject, "needle": node.needle.value, "negated": node.negated}


def to_json(tree: s.Segment) -> dict[str, Any]:
    """The JSON document for a syntax tree."""
    return {"version": VERSION, "segment": _node_to_json(tree)}


# ---------------------------------------------------------------- JSON to tree


class _Reader:
    """Converts validated models to syntax nodes, noting the JSON path for literal errors."""

    def __init__(self) -> None:
        self.path: list[str] = ["$", ".segment"]

    def fail(self, message: str, where: str = "") -> SegmentError:
        return SegmentError([invalid_json_ast(message, "".join(self.path) + where)])

    def duration(self, d: DurationJ) -> s.Duration:
        return s.Duration(amount=d.amount, unit=d.unit)

    def value(self, v: Any) -> s.Value:
        try:
            if isinstance(v, IntJ):
                return s.IntLit(value=v.value)
            if isinstance(v, DecimalJ):
                return s.DecimalLit(value=Decimal(v.value))
            if isinstance(v, StringJ):
                self.string(v.value, ".value")
                return s.StringLit(value=v.value)
            if isinstance(v, EnumJ):
                return s.EnumLit(name=v.value.lower())
            if isinstance(v, DateJ):
                return s.DateLit(value=literals.read_date(v.value))
            if isinstance(v, DateTimeJ):
                value, offset = literals.read_datetime(v.value)
                return s.DateTimeLit(value=value, offset_minutes=offset)
        except literals.LiteralError as error:
            raise self.fail(error.message, ".value") from None
        if isinstance(v, AgoJ):
            return s.Ago(duration=self.duration(v.duration))
        if isinstance(v, FromNowJ):
            return s.FromNow(duration=self.duration(v.duration))
        if isinstance(v, TodayJ):
            return s.Today()
        if isinstance(v, YesterdayJ):
            return s.Yesterday()
        return s.Now()

    def string(self, value: str, where: str) -> None:
        if "\x00" in value:
            raise self.fail("strings may not contain the NUL character", where)
        if any(0xD800 <= ord(c) <= 0xDFFF for c in value):
            raise self.fail("strings may not contain unpaired surrogates", where)

    def at(self, part: str, fn: Any, *args: Any) -> Any:
        self.path.append(part)
        try:
            return fn(*args)
        finally:
            self.path.pop()

    def subject(self, subj: Any) -> s.Subject:
        if isinstance(subj, FieldJ):
            return s.FieldRef(name=subj.name)
        condition = self.at(".condition", self.node, subj.condition) if subj.condition is not None else None
        return s.Measure(
            collection=s.Ident(name=subj.collection.lower()),
            condition=condition,
            aggregate=s.Ident(name=subj.aggregate.lower()),
            field=s.FieldRef(name=subj.field) if subj.field is not None else None,
        )

    def node(self, n: Any) -> s.Node:
        if isinstance(n, (AndJ, OrJ)):
            items = [self.at(f".items[{i}]", self.node, item) for i, item in enumerate(n.items)]
            return s.make_and(items) if isinstance(n, AndJ) else s.make_or(items)
        if isinstance(n, NotJ):
            return s.Not(operand=self.at(".operand", self.node, n.operand))
        if isinstance(n, ExistsJ):
            condition = self.at(".condition", self.node, n.condition) if n.condition is not None else None
            return s.Exists(collection=s.Ident(name=n.collection.lower()), condition=condition, negated=n.negated)
        if isinstance(n, SegmentJ):
            self.string(n.name, ".name")
            version = s.IntLit(value=n.version) if n.version is not None else None
            return s.SegmentRef(name=s.StringLit(value=n.name), version=version)
        subject = self.at(".subject", self.subject, n.subject)
        if isinstance(n, CompareJ):
            return s.Compare(subject=subject, op=s.CmpOp(n.op), value=self.at(".value", self.value, n.value))
        if isinstance(n, InJ):
            values = tuple(self.at(f".values[{i}]", self.value, v) for i, v in enumerate(n.values))
            return s.InList(subject=subject, values=values, negated=n.negated)
        if isinstance(n, WithinJ):
            return s.Within(subject=subject, direction=n.direction, duration=self.duration(n.duration))
        if isinstance(n, BetweenJ):
            return s.Between(subject=subject, low=self.at(".low", self.value, n.low),
                             high=self.at(".high", self.value, n.high))
        self.string(n.needle, ".needle")
        return s.Contains(subject=subject, needle=s.StringLit(value=n.needle), negated=n.negated)


_JSON_STRUCTURE = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')


def _json_depth_exceeds(text: str, limit: int) -> bool:
    depth = 0
    for match in _JSON_STRUCTURE.finditer(text):
        token = match.group()
        if token in "[{":
            depth += 1
            if depth > limit:
                return True
        elif token in "]}":
            depth -= 1
    return False


def _data_depth_exceeds(data: Any, limit: int) -> bool:
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return True
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)
    return False


def _json_path(data: Any, loc: tuple[Any, ...]) -> str:
    """Pydantic's error location as a JSON path, dropping union tags that are not keys."""
    path = "$"
    current = data
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
            current = current[part] if isinstance(current, list) and part < len(current) else None
        elif isinstance(current, dict) and part in current:
            path += f".{part}"
            current = current[part]
        elif isinstance(current, dict) and current.get("type") == part:
            continue  # the discriminator value pydantic puts in the location
        else:
            path += f".{part}"
            current = None
    return path


# JSON nesting per syntax level (node -> subject -> measure -> condition ...) is at most 3x.
_JSON_DEPTH_PER_LEVEL = 4


def from_json(document: str | bytes | dict[str, Any], *, limits: Limits = DEFAULT_LIMITS) -> s.Segment:
    """Read a JSON AST (text, bytes or already-decoded data) into a syntax tree (without spans)."""
    json_limit = limits.max_depth * _JSON_DEPTH_PER_LEVEL + 4
    if isinstance(document, (str, bytes)):
        if len(document) > limits.max_length * JSON_LENGTH_FACTOR:
            raise SegmentError([text_too_long(len(document), limits.max_length * JSON_LENGTH_FACTOR)])
        text = document if isinstance(document, str) else _decode(document)
        if _json_depth_exceeds(text, json_limit):
            raise SegmentError([too_deep(limits.max_depth, None)])
        try:
            data = json.loads(text, parse_int=_json_int)
        except (ValueError, RecursionError) as exc:
            raise SegmentError([invalid_json(str(exc))]) from None
    else:
        data = document
        if _data_depth_exceeds(data, json_limit):
            raise SegmentError([too_deep(limits.max_depth, None)])
    if isinstance(data, dict) and "version" in data and not _is_version(data["version"]):
        raise SegmentError([unsupported_version(_shown(data["version"]), VERSION)])
    try:
        model = _DOCUMENT.validate_python(data)
    except ValidationError as exc:
        diagnostics = [invalid_json_ast(_describe(err), _json_path(data, tuple(err["loc"]))) for err in exc.errors()]
        raise SegmentError(_dedupe(diagnostics)[:20]) from None
    return _Reader().node(model.segment)


def _is_version(value: object) -> bool:
    """Whether ``value`` is the integer the schema's ``"const": 1`` allows (``true`` is not: JSON
    Schema never takes a boolean for a number, though Python's ``True == 1``)."""
    return not isinstance(value, bool) and isinstance(value, (int, float)) and value == VERSION


def _shown(value: object) -> str:
    """A JSON value as JSON text (``true``, ``null``, ``"1"``), for messages about JSON documents."""
    try:
        return json.dumps(value)
    except (TypeError, ValueError):
        return repr(value)


def _describe(err: Any) -> str:
    kind = err.get("type", "")
    if kind == "union_tag_invalid":
        ctx = err.get("ctx", {})
        return f"unknown node type {ctx.get('tag')!r}; expected one of {ctx.get('expected_tags')}"
    if kind == "missing":
        return "required field is missing"
    if kind == "extra_forbidden":
        return "unknown field"
    if kind == "value_error" and "error" in err.get("ctx", {}):
        return str(err["ctx"]["error"])
    return str(err.get("msg", "invalid value"))


def _dedupe(items: list[Any]) -> list[Any]:
    return list(dict.fromkeys(items))


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SegmentError([invalid_json(f"not valid UTF-8 (byte {exc.start})")]) from None


__all__ = ["VERSION", "DocumentJ", "from_json", "json_schema", "to_json"]
