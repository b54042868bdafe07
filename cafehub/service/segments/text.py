"""Operations on segment text that is not saved: check, format, JSON, SQL, count and explain.

Each route is the library call behind one ``cafehub segment`` command, with
the shop's settings (time zone, cart retention, history start) taken from
the configuration and count and explain run on the shop's own store.
``segment("name")`` in a text resolves to the caller's shop's saved
segments (:func:`checked_text`), as ``cafehub segment check --shop`` does.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeVar

from fastapi import APIRouter, Response
from starlette.concurrency import run_in_threadpool

from cafehub import api
from cafehub.compiler.check import CheckedSegment
from cafehub.compiler.evaluation import ContextError, EvalContext
from cafehub.diagnostics import SegmentError
from cafehub.service.auth import Caller, ReadAccess
from cafehub.service.errors import ERROR_RESPONSES, NOT_FOUND_RESPONSES, STORE_RESPONSES, ApiError
from cafehub.service.segments import models as m
from cafehub.service.state import shop_context

if TYPE_CHECKING:
    from cafehub.compiler.backends.sql import ParamInfo

T = TypeVar("T")

#: Inputs up to this many characters are handled on the event loop (see :func:`cpu`).
INLINE_CHARS = 1_000
#: SQL generation costs about five times a check per character.
SQL_COST = 5

router = APIRouter(prefix="/v1/shops/{shop}/text", tags=["segment text"], responses=ERROR_RESPONSES)


def context(caller: Caller, now: datetime | None) -> EvalContext:
    """The shop's evaluation context at ``now`` (default: the current instant); 422 for a ``now`` out of range."""
    try:
        return shop_context(caller.shop, now if now is not None else datetime.now(UTC))
    except ContextError as error:
        raise ApiError(422, "invalid_request", str(error), field="body.now") from None


async def cpu(size: int, fn: Callable[[], T]) -> T:
    """Run ``fn`` on the event loop when its input is small, else in a worker thread.

    Checking a segment of :data:`INLINE_CHARS` characters takes about a
    millisecond; a hop to a worker thread costs a few hundred microseconds,
    more than checking a typical segment. Longer inputs (up to 100,000
    characters) go to the thread pool so they never hold up other requests.
    """
    if size <= INLINE_CHARS:
        return fn()
    return await run_in_threadpool(fn)


def uses_saved(text: str) -> bool:
    """Whether ``text`` may use a saved segment: a substring test, so a text that cannot never costs a parse more."""
    return "segment" in text.casefold()


def checked_text(caller: Caller, text: str) -> CheckedSegment:
    """``text`` checked, its ``segment("name")`` references resolved in the caller's shop.

    The shop's registry (a store read) is asked only when the text does use
    a saved segment; any other text is checked without I/O.
    """
    if not uses_saved(text):
        return api.check(text)
    from cafehub.compiler.check import check_tree
    from cafehub.grammar import syntax as s

    tree = api.parse(text)
    if not any(isinstance(node, s.SegmentRef) for node in s.walk(tree)):
        return check_tree(tree, text)
    return caller.registry().check(text)


async def checked_cpu(caller: Caller, text: str, fn: Callable[[], T], cost: int = 1) -> T:
    """Run ``fn`` (which checks ``text``) like :func:`cpu`, in a worker thread when the text may read the store."""
    if uses_saved(text):
        return await run_in_threadpool(fn)
    return await cpu(len(text) * cost, fn)


def _check(caller: Caller, text: str) -> m.CheckResult:
    try:
        checked = checked_text(caller, text)
    except SegmentError as error:
        return m.CheckResult(valid=False, diagnostics=[m.DiagnosticOut.of(d) for d in error.diagnostics])
    return m.CheckResult(valid=True, diagnostics=[m.DiagnosticOut.of(d) for d in checked.warnings])


@router.post("/check", response_model=m.CheckResult, summary="Check a segment")
async def check(body: m.TextBody, caller: ReadAccess) -> m.CheckResult:
    """Parse and type-check the text: valid or not, with every diagnostic (errors and warnings)."""
    return await checked_cpu(caller, body.text, lambda: _check(caller, body.text))


@router.post("/format", response_model=m.TextResult, summary="Canonical form of a segment")
async def format_text(body: m.FormatBody, caller: ReadAccess) -> m.TextResult:
    """The canonical text (the leading comment block kept). Only syntax matters: names are not checked."""
    return m.TextResult(text=await cpu(len(body.text), lambda: api.format(body.text, width=body.width)))


@router.post("/to-json", response_model=m.JsonResult, summary="JSON AST of a segment")
async def to_json(body: m.TextBody, caller: ReadAccess) -> m.JsonResult:
    """The JSON AST document a visual builder edits (its JSON Schema: GET json-schema)."""
    return m.JsonResult(document=await cpu(len(body.text), lambda: api.to_json(body.text)))


def _from_json(caller: Caller, body: m.FromJsonBody) -> str:
    from cafehub.grammar import syntax as s

    tree = api.from_json(body.document)
    if body.check:
        uses = any(isinstance(node, s.SegmentRef) for node in s.walk(tree))
        api.check(tree, resolver=caller.registry().resolver() if uses else None)
    return api.format(tree)


@router.post("/from-json", response_model=m.TextResult, summary="Segment text of a JSON AST")
def from_json(body: m.FromJsonBody, caller: ReadAccess) -> m.TextResult:
    """The canonical text of a JSON AST document (checked like text unless ``check`` is false).

    Always in a worker thread: the size of a document is not known without walking it.
    """
    return m.TextResult(text=_from_json(caller, body))


@functools.cache
def _json_schema_bytes() -> bytes:
    """The JSON Schema, serialised once (building it takes ~10 ms)."""
    return json.dumps(api.json_schema(), ensure_ascii=False).encode("utf-8")


@router.get("/json-schema", summary="JSON Schema of JSON AST documents",
            responses={200: {"content": {"application/json": {"schema": {"type": "object"}}}}})
async def json_schema(caller: ReadAccess) -> Response:
    """The JSON Schema that every JSON AST document follows."""
    return Response(_json_schema_bytes(), media_type="application/json")


def _shown(value: object) -> str | int:
    if isinstance(value, datetime):
        return (value if value.tzinfo is not None else value.replace(tzinfo=UTC)).isoformat()
    if isinstance(value, int):
        return value
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def shown_parameter(info: ParamInfo, ctx: EvalContext | None) -> m.Parameter:
    """A compiled query's parameter as the API shows it (its value only when evaluated at a ``now``)."""
    return m.Parameter(name=info.name, computed_as=info.computed_as,
                       value=_shown(info.value) if ctx is not None else None)


def sql_result(checked: CheckedSegment, dialect: str, ctx: EvalContext | None) -> m.SqlResult:
    """A checked segment's query for ``dialect``, with its parameters (and their values at ``ctx``)."""
    from cafehub.compiler.backends.sql import compile_sql

    compiled = compile_sql(checked, dialect=dialect)
    return m.SqlResult(dialect=compiled.dialect, sql=compiled.sql,
                       parameters=[shown_parameter(p, ctx) for p in compiled.describe_parameters(ctx)])


@router.post("/sql", response_model=m.SqlResult, summary="SQL of a segment for a dialect")
async def sql(body: m.SqlBody, caller: ReadAccess) -> m.SqlResult:
    """The query for ``dialect`` and how each parameter is computed (with values when ``now`` is given)."""
    ctx = context(caller, body.now) if body.now is not None else None
    return await checked_cpu(caller, body.text, lambda: sql_result(checked_text(caller, body.text), body.dialect, ctx),
                             SQL_COST)


@router.post("/count", response_model=m.CountResult, summary="Audience size of a segment", responses=STORE_RESPONSES)
def count(body: m.CountBody, caller: ReadAccess) -> m.CountResult:
    """How many of the shop's customers match at ``now``, counted by the shop's store."""
    return count_result(caller, checked_text(caller, body.text), body.now)  # a bad segment never reaches the store


def count_result(caller: Caller, checked: CheckedSegment, now: datetime | None) -> m.CountResult:
    """How many of the caller's shop's customers ``checked`` selects at ``now``, counted by its store."""
    from cafehub.execution.sql import count_sql

    ctx = context(caller, now)
    return m.CountResult(count=count_sql(caller.store(), checked, ctx), now=ctx.now.astimezone(ctx.zone))


def explain_member(caller: Caller, checked: CheckedSegment, member_id: str, now: datetime | None) -> dict[str, Any]:
    """``checked`` explained for one customer of the caller's shop (404 when the shop has no such customer)."""
    from cafehub.execution.explain import explain as explain_segment
    from cafehub.execution.python import load_customer

    ctx = context(caller, now)
    customer = load_customer(caller.store(), member_id)
    if customer is None:
        raise ApiError(404, "not_found", "the shop has no customer with this member_id", field="body.member_id")
    return explain_segment(checked, customer, ctx).to_dict()


@router.post("/explain", response_model=m.Explanation, summary="Why one customer matches or not",
             responses={**STORE_RESPONSES, **NOT_FOUND_RESPONSES})
def explain(body: m.ExplainBody, caller: ReadAccess) -> dict[str, Any]:
    """Each clause's verdict for one customer of the shop, with its evidence (rows, aggregates, windows)."""
    return explain_member(caller, checked_text(caller, body.text), body.member_id, body.now)
