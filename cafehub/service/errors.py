"""Error responses: one JSON shape for every failure, naming the field and the kind of problem.

Every error body is ``{"error": {"code": ..., "message": ..., ...}}`` with
a stable ``code`` a client can branch on. Request validation errors list
``problems``, each ``{"field": "body.text", "kind": "missing"}``: the field's
location and pydantic's error type, never the value sent (it may be a
token, a phone number or a customer's name). A bad segment is
``invalid_segment`` with the diagnostics (code, message, line, column,
hints), which describe the segment text the caller wrote. Store failures
are logged with the database URL masked and answered with a generic
``store_unavailable``: a client learns nothing about the infrastructure.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from cafehub.diagnostics import SegmentError
from cafehub.store.engines import StoreError

log = logging.getLogger("cafehub.service")


class Problem(BaseModel):
    """One invalid part of a request."""

    field: str = Field(description="Where: 'body.text', 'query.now', 'path.shop', ...")
    kind: str = Field(description="What is wrong, as a stable type: 'missing', 'string_type', 'too_long', ...")


class ErrorDetail(BaseModel):
    code: str = Field(description="Stable error code: unauthenticated, forbidden, invalid_request, invalid_segment, "
                                  "not_found, conflict, store_unavailable, internal, ...")
    message: str
    field: str | None = Field(default=None, description="The request field the error is about, when one is.")
    problems: list[Problem] | None = None
    diagnostics: list[dict[str, Any]] | None = Field(
        default=None, description="For invalid_segment: the diagnostics, as `cafehub segment check --json` prints.")


class ErrorBody(BaseModel):
    """The body of every error response."""

    error: ErrorDetail


class ApiError(Exception):
    """An error a route raises on purpose; turned into :class:`ErrorBody` with ``status``."""

    def __init__(self, status: int, code: str, message: str, *, field: str | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.field = field
        self.headers = headers


def error_response(status: int, detail: ErrorDetail, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(ErrorBody(error=detail).model_dump(exclude_none=True), status_code=status, headers=headers)


def problems_of(errors: Any) -> list[Problem]:
    """Pydantic/FastAPI errors as problems: location and type only."""
    return [Problem(field=".".join(str(p) for p in e.get("loc", ())), kind=str(e.get("type", "invalid")))
            for e in errors]


# Common errors for route declarations (``responses=``), so OpenAPI documents them.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorBody, "description": "The body cannot be read (not UTF-8)."},
    401: {"model": ErrorBody, "description": "No API token, or one that is malformed, unknown or revoked."},
    403: {"model": ErrorBody, "description": "The token is not for this shop, or lacks the scope."},
    413: {"model": ErrorBody, "description": "The body is larger than 1 MiB."},
    422: {"model": ErrorBody, "description": "The request or the segment is invalid."},
}
#: For routes that read a shop's store.
STORE_RESPONSES: dict[int | str, dict[str, Any]] = {
    503: {"model": ErrorBody, "description": "The shop's store cannot be used right now."},
}
#: For routes that name something that may not exist.
NOT_FOUND_RESPONSES: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorBody, "description": "No such customer or segment in this shop."},
}

_STATUS_CODES = {400: "bad_request", 401: "unauthenticated", 403: "forbidden", 404: "not_found",
                 405: "method_not_allowed", 406: "not_acceptable", 409: "conflict", 413: "too_large",
                 415: "unsupported_media_type", 429: "rate_limited"}


def install(app: FastAPI) -> None:
    """Register the handlers that give every failure the :class:`ErrorBody` shape."""

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
        return error_response(exc.status, ErrorDetail(code=exc.code, message=exc.message, field=exc.field),
                              exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = problems_of(exc.errors())
        message = "; ".join(f"{p.field}: {p.kind}" for p in problems)
        return error_response(422, ErrorDetail(code="invalid_request", message=message, problems=problems))

    @app.exception_handler(SegmentError)
    async def _invalid_segment(request: Request, exc: SegmentError) -> JSONResponse:
        count = len(exc.errors)
        return error_response(422, ErrorDetail(
            code="invalid_segment", message=f"the segment has {count} error{'s' if count != 1 else ''}",
            diagnostics=[d.to_dict() for d in exc.diagnostics]))

    @app.exception_handler(StoreError)
    async def _store_error(request: Request, exc: StoreError) -> JSONResponse:
        log.error("store failure on %s %s: %s", request.method, request.url.path, exc)  # URLs are masked
        return error_response(503, ErrorDetail(code="store_unavailable",
                                               message="a database this request needs cannot be used right now"))

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _STATUS_CODES.get(exc.status_code, "http_error")
        message = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
        return error_response(exc.status_code, ErrorDetail(code=code, message=message),
                              getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _internal(request: Request, exc: Exception) -> JSONResponse:
        log.exception("internal error on %s %s", request.method, request.url.path)
        return error_response(500, ErrorDetail(code="internal", message="internal error"))
