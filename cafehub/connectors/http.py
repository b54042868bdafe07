"""One call to the Admin API: rate limit, auth, retries, error mapping, JSON parsing.

Every Cafe24 request goes through :meth:`ApiCaller.call`, which

1. waits until the mall's limits allow a call (:mod:`.ratelimit`: bucket room,
   at most a few calls per second, no usage block under way);
2. sends the request with the bearer token and ``X-Cafe24-Api-Version``;
3. feeds the rate-limit headers back (bucket level, usage, a block's seconds);
4. on 401 refreshes the token once and tries again;
5. on 429, 5xx or a transport failure asks the :class:`RetryPolicy`
   (writes are only retried where nothing can have happened on the server);
6. returns the JSON object, or raises a :class:`ConnectorError` that names
   the endpoint.

Validation of the body against a model is the caller's job
(:func:`validate`), so that error messages can name the field.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel, TypeAdapter, ValidationError

from cafehub.connectors.config import Cafe24Config
from cafehub.connectors.errors import MalformedResponse, TransportError, api_error, transport_problem
from cafehub.connectors.oauth import TokenManager, _field_path
from cafehub.connectors.ratelimit import LeakyBucket, bucket_for, count_wait, is_usage_block

T = TypeVar("T")


class _NoQueryInLogs(logging.Filter):
    """httpx logs every request's URL at INFO; a query can hold member ids or a phone number: drop it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and len(record.args) > 1 and isinstance(record.args[1], httpx.URL):
            record.args = (record.args[0], record.args[1].copy_with(query=None), *record.args[2:])
        return True


logging.getLogger("httpx").addFilter(_NoQueryInLogs())


@dataclass(slots=True)
class CallStats:
    """Counters for reports and benchmarks (mutable, shared by one client)."""

    calls: int = 0
    #: 429 answers, and how many of them were usage blocks (``X-Cafe24-*-Remain``).
    rate_limited: int = 0
    blocks: int = 0
    retries: int = 0
    refreshes: int = 0
    waited_seconds: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, **counts: float) -> None:
        with self._lock:
            for name, value in counts.items():
                setattr(self, name, getattr(self, name) + value)


def _is_json(response: httpx.Response) -> bool:
    kind = response.headers.get("content-type", "")
    return "json" in kind or (not kind and response.content[:1] in (b"{", b"["))


def json_body(response: httpx.Response, endpoint: str) -> dict[str, Any]:
    """The response's JSON object, or :class:`MalformedResponse` naming what came instead."""
    if not _is_json(response):
        kind = response.headers.get("content-type", "no content type")
        what = "an HTML page" if "html" in kind or response.content.lstrip()[:1] == b"<" else f"a {kind} body"
        raise MalformedResponse(f"expected JSON, got {what}", endpoint=endpoint, request=response.request)
    try:
        body = response.json()
    except ValueError as exc:
        raise MalformedResponse("the body is not valid JSON", endpoint=endpoint, request=response.request) from exc
    if not isinstance(body, dict):
        raise MalformedResponse(
            f"expected a JSON object, got {type(body).__name__}", endpoint=endpoint, request=response.request
        )
    return body


def validate(model: type[T] | Any, data: Any, *, endpoint: str, root: str, zone: str | None = None) -> T:
    """``data`` validated as ``model`` (a pydantic model or any type), errors naming the field.

    ``zone`` is the mall's time zone, for the times Cafe24 sends without an offset.
    The error says which field and what kind of value was expected, never the
    value itself (it may be a customer's phone number), and keeps no reference
    to the offending data.
    """
    context = {"zone": zone} if zone else None
    try:
        if isinstance(model, type) and issubclass(model, BaseModel):
            return model.model_validate(data, context=context)  # type: ignore[return-value]
        return TypeAdapter(model).validate_python(data, context=context)  # type: ignore[no-any-return]
    except ValidationError as exc:
        first = exc.errors(include_input=False, include_url=False, include_context=False)[0]
        path = _field_path((root, *first["loc"])) if root else _field_path(first["loc"])
        problem = f"{first['msg']} [{first['type']}]"
    raise MalformedResponse(problem, endpoint=endpoint, field=path)


def member(body: dict[str, Any], key: str, endpoint: str) -> Any:
    """``body[key]``, or :class:`MalformedResponse` naming the missing key."""
    if key not in body:
        raise MalformedResponse("missing from the response", endpoint=endpoint, field=key)
    return body[key]


class ApiCaller:
    """Sends Admin API requests for one mall (thread-safe)."""

    def __init__(self, config: Cafe24Config, tokens: TokenManager, bucket: LeakyBucket | None = None) -> None:
        self.config = config
        self.tokens = tokens
        self.bucket = bucket or bucket_for(config.mall_id, config.bucket)
        self.stats = CallStats()
        self._http = httpx.Client(transport=config.transport, timeout=config.timeout, base_url=config.admin_url)

    def close(self) -> None:
        self._http.close()

    def call(
        self,
        method: str,
        path: str,
        *,
        template: str | None = None,
        params: dict[str, Any] | None = None,
        json: dict[str, Any] | None = None,
        write: bool = False,
    ) -> dict[str, Any]:
        """Send one request and return its JSON object (see the module docstring)."""
        endpoint = f"{method} /api/v2/admin{template or path}"
        retry = self.config.retry
        clean = {k: v for k, v in (params or {}).items() if v is not None}
        # Each kind of trouble has its own budget: a 429 storm (the bucket always drains)
        # must not use up the retries a timeout or a 5xx is owed, and the other way round.
        rate_limited = 0
        failures = 0
        refreshed = False
        while True:
            waited = self.bucket.acquire()
            token = self.tokens.access_token()
            headers = {
                "Authorization": f"Bearer {token}",
                "X-Cafe24-Api-Version": self.config.api_version,
                "Content-Type": "application/json",
            }
            try:
                response = self._http.request(method, path, params=clean, json=json, headers=headers)
            except httpx.HTTPError as exc:
                self.stats.add(calls=1, waited_seconds=waited)
                failures += 1
                go, delay = retry.on_exception(failures, exc, write=write)
                if go:
                    self.stats.add(retries=1)
                    self.config.sleep(delay)
                    continue
                raise TransportError(transport_problem(exc), endpoint=endpoint) from None
            self.stats.add(calls=1, waited_seconds=waited)
            pause = self.bucket.observe(response.headers)
            status = response.status_code
            if status == 401 and not refreshed:
                refreshed = True
                self.tokens.refresh(token)
                self.stats.add(refreshes=1)
                continue
            if status >= 400:
                if status == 429:
                    if is_usage_block(response.headers):
                        self.stats.add(blocks=1)  # observe() holds every call back for the Remain seconds
                    else:
                        self.bucket.fill()
                    self.stats.add(rate_limited=1)
                    rate_limited += 1
                else:
                    failures += 1
                attempt = rate_limited if status == 429 else failures
                go, delay = retry.on_response(attempt, response, write=write, bucket_wait=self.bucket.wait_time())
                if go:
                    self.stats.add(retries=1)
                    if status == 429:
                        count_wait(delay)
                    self.config.sleep(delay)
                    continue
                raise api_error(response, endpoint)
            if pause:
                count_wait(pause)
                self.config.sleep(pause)
            return json_body(response, endpoint)
