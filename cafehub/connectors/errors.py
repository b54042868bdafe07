"""Every way a call to Cafe24 or Sellmate can fail, as one exception tree.

Callers catch :class:`ConnectorError` and show ``str(error)``: the message
always names the endpoint (method and path template, never a token or a
customer's data) and, for bad responses, the field. The original
``httpx.Request`` and the underlying exception stay attached (``request``,
``__cause__``) for logs and debugging.

::

    ConnectorError                    endpoint, request
     ├── ConfigError                  a setting that cannot work (bad base URL, missing secret)
     ├── TransportError               no usable HTTP response (connection refused, timeout)
     ├── MalformedResponse            a response that is not what the API documents:
     │                                HTML error page, invalid JSON, missing field, wrong type
     ├── AuthorizationError           no valid token: refresh token expired, revoked or rotated
     │                                away; the mall must be authorized again
     ├── PagingLimitError             a query that cannot be paged within the API's maxima
     ├── AmbiguousWriteError          a write whose outcome is unknown and could not be settled
     │                                by reading back (never retried blindly)
     └── ApiError                     an HTTP error status with Cafe24's ``{"error": ...}`` body
          ├── BadRequestError         400 / 422: the request breaks a documented rule
          ├── UnauthorizedError       401 after one refresh-and-retry
          ├── ForbiddenError          403: missing scope, app removed
          ├── NotFoundError           404
          ├── ConflictError           409
          ├── RateLimitedError        429 after the retry budget
          └── ServerError             5xx after the retry budget (reads) or at once (writes)
"""

from __future__ import annotations

import re
from typing import Any

import httpx


class ConnectorError(Exception):
    """Base class: a failed call to an external shop system."""

    def __init__(self, message: str, *, endpoint: str = "", request: httpx.Request | None = None) -> None:
        self.endpoint = endpoint
        self.request = request
        super().__init__(f"{endpoint}: {message}" if endpoint else message)


class ConfigError(ConnectorError):
    """A connector setting that cannot work."""


class TransportError(ConnectorError):
    """No usable HTTP response: the connection failed or timed out (after retries for reads)."""


class MalformedResponse(ConnectorError):
    """A response that does not have the documented shape.

    ``field`` is the dotted path of the offending field (``orders[3].items[0].quantity``)
    or ``""`` when the body as a whole is wrong (HTML, not JSON).
    """

    def __init__(
        self,
        message: str,
        *,
        endpoint: str = "",
        field: str = "",
        request: httpx.Request | None = None,
    ) -> None:
        self.field = field
        where = f" (field {field})" if field else ""
        super().__init__(f"malformed response{where}: {message}", endpoint=endpoint, request=request)


class AuthorizationError(ConnectorError):
    """No valid token can be had without the shop owner authorizing the app again."""


class PagingLimitError(ConnectorError):
    """A query whose results cannot all be reached within the endpoint's limit/offset maxima."""


class AmbiguousWriteError(ConnectorError):
    """A write whose outcome is unknown (timeout, lost connection) and could not be settled."""


class ApiError(ConnectorError):
    """An HTTP error status from the API, with its error code and message."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        endpoint: str = "",
        request: httpx.Request | None = None,
    ) -> None:
        self.status = status
        self.code = code
        self.api_message = message
        super().__init__(f"HTTP {status} ({code}): {message}", endpoint=endpoint, request=request)


class BadRequestError(ApiError):
    """400 or 422: the request breaks a documented rule (missing parameter, window too long)."""


class UnauthorizedError(ApiError):
    """401: the access token was rejected even after a refresh."""


class ForbiddenError(ApiError):
    """403: the token lacks a scope, or the app was removed from the mall."""


class NotFoundError(ApiError):
    """404: no such resource."""


class ConflictError(ApiError):
    """409: the same change was already applied."""


class RateLimitedError(ApiError):
    """429 after the retry budget was spent."""


class ServerError(ApiError):
    """5xx: the API failed."""


_URL = re.compile(r"\S+://\S+")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE = re.compile(r"(?<![\w-])(?:\+\d{1,3}[- ]?\d{1,3}|0\d{1,3})[- ]?\d{3,4}[- ]?\d{4}(?![\w-])")


def redact(text: str) -> str:
    """``text`` with e-mail addresses and phone numbers replaced: API messages may echo what was sent."""
    return _PHONE.sub("<phone>", _EMAIL.sub("<e-mail>", text))


def transport_problem(exc: httpx.HTTPError) -> str:
    """``ReadTimeout: timed out``: the exception's kind and text, any URL in it cut out (a query holds data)."""
    text = _URL.sub("<url>", str(exc)) or "no response"
    return f"{type(exc).__name__}: {text}"


_BY_STATUS: dict[int, type[ApiError]] = {
    400: BadRequestError,
    401: UnauthorizedError,
    403: ForbiddenError,
    404: NotFoundError,
    409: ConflictError,
    422: BadRequestError,
    429: RateLimitedError,
}


def api_error(response: httpx.Response, endpoint: str) -> ApiError:
    """The :class:`ApiError` subclass for an error response, reading Cafe24's error body if any."""
    code, message = str(response.status_code), response.reason_phrase or "error"
    body: Any = None
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        err = body.get("error")
        if isinstance(err, dict):
            code = str(err.get("code", code))
            message = redact(str(err.get("message", message)))
        elif isinstance(err, str):  # OAuth style: {"error": "invalid_grant", "error_description": ...}
            code = err
            message = redact(str(body.get("error_description", message)))
    elif "html" in response.headers.get("content-type", ""):
        message = f"{message} (an HTML error page instead of a JSON error body)"
    cls = _BY_STATUS.get(response.status_code, ServerError if response.status_code >= 500 else ApiError)
    return cls(response.status_code, code, message, endpoint=endpoint, request=response.request)
