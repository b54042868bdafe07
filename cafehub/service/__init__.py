"""The cafehub service: one FastAPI application for every HTTP surface of the product.

``cafehub serve`` runs :func:`cafehub.service.app.create_app` under uvicorn.
The app serves the segment API, the web pages (the segment editor) and the
chat surfaces, each area as one ``APIRouter``.

Modules: ``app`` (the factory, the router list, the route check),
``config`` (which shops exist: each one's store and settings), ``tokens``
(hashed API tokens with read/write scopes), ``auth`` (the dependencies that
authenticate), ``state`` (engines per shop), ``errors`` (one error shape),
``segments`` (text, saved segments, audiences and snapshots, membership;
docs/SERVICE.md) and ``pages`` (the areas built here).

Contract for adding a router
----------------------------
1. Write a module (or package) with a module-level ``router = APIRouter(...)``
   and add its dotted name to :data:`cafehub.service.app.ROUTERS`.
   Keep imports of heavy modules (SQL backend, execution) inside the route
   functions, as the CLI does.
2. A shop's routes live under ``/v1/shops/{shop}/...`` (pages under
   ``/shops/{shop}/...``) and every route declares who may call it, as a
   parameter: ``caller: ReadAccess`` or ``caller: WriteAccess``
   (:mod:`cafehub.service.auth`). The dependency reads the ``shop`` path
   parameter, verifies the token and its scope, and hands the route a
   ``Caller``: ``caller.shop`` (the shop's :class:`~cafehub.service.config.ShopConfig`),
   ``caller.store()`` (its store's engine; the only store a route may
   touch), ``caller.registry()`` (its saved segments, in that store),
   ``caller.who`` (recorded as the author of a change).
   An area with another way to authenticate (the Channel Talk webhook's
   signature) writes its own dependency, decorated with
   :func:`~cafehub.service.auth.authenticator`, that resolves the shop and
   raises :class:`~cafehub.service.errors.ApiError` (401/403) otherwise.
   A route with nothing shop-specific that anyone may call (health, the
   login page, static assets) is decorated with
   :func:`~cafehub.service.auth.public`. ``create_app`` refuses to build an
   app with a route that does neither.
3. Errors: raise :class:`~cafehub.service.errors.ApiError` (status, code,
   message, ``field``); a :class:`~cafehub.diagnostics.SegmentError` becomes
   422 ``invalid_segment`` and a :class:`~cafehub.store.engines.StoreError`
   503 ``store_unavailable`` by themselves. Messages name the field and the
   kind of problem, never the value (no token, phone, e-mail, name, address
   or code, in responses or logs).
4. Request and response bodies are pydantic models (``extra="forbid"`` on
   requests, limits on every string): they are the published OpenAPI
   schema, which the tests fuzz with schemathesis. Add ``responses=ERROR_RESPONSES``
   to the router so errors are documented.
5. Tests: every route of a shop gets a cross-shop test (a token of shop A
   on shop B's path is refused, and A's data never shows in B's answers);
   see ``tests/service/``. Pages are tested in headless Chromium with the
   ``browser`` fixture of ``tests/service/conftest.py``.
"""

from __future__ import annotations
