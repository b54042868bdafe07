"""Who may call what: every shop route refuses a missing, bad or revoked token, another shop's token,
an unknown shop, and (for changes) a token without the write scope.

:data:`REQUESTS` holds one valid request per shop route (pages, chat surfaces
and public routes have their own tables); a test enumerates every route the
app has (every method of every path, shop or not) and fails on one that no
table covers, so a new route cannot ship without its access tests. The stores
are this module's own copies with saved segments and a recorded campaign in
both shops (the same names), so a route that looked in the wrong shop would
find something. Data isolation (one shop's answers never come from the
other's store) is tested per route in the route's own test module.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from cafehub.registry import SegmentRegistry
from cafehub.registry.audience import Snapshots
from cafehub.service.app import iter_routes
from cafehub.service.state import shop_context
from cafehub.store.engines import open_engine

from .conftest import NOW, Service, copy_stores, make_service

TEXT = "order(status = paid).count >= 2"
MEMBER = "<a member of the shop>"  # replaced by the first member id of the shop called
CAMPAIGN = "<a new campaign>"  # replaced by a campaign name not used before
#: Path parameters of the routes (besides the shop): saved in both shops by :func:`shop_stores`.
PATH_VALUES = {"name": "vip", "campaign": "spring"}
#: Routes whose path names something else (DELETE removes "retired", which nothing else uses).
PATH_OVERRIDES = {("DELETE", "/v1/shops/{shop}/segments/{name}"): {"name": "retired"}}
_campaigns = itertools.count()


@pytest.fixture(scope="module")
def shop_stores(tmp_path_factory: pytest.TempPathFactory, shop_stores: dict[str, str]) -> dict[str, str]:
    """Copies of the shops' stores, each with saved segments vip, lapsed (uses vip), retired and campaign spring."""
    copies = copy_stores(shop_stores, Path(tmp_path_factory.mktemp("access")))
    for shop, url in copies.items():
        engine = open_engine(url)
        try:
            registry = SegmentRegistry(engine, shop)
            registry.save("vip", TEXT, saved_by="setup")
            registry.save("lapsed", 'segment("vip") and no order(ordered_at within last 30d)', saved_by="setup")
            registry.save("retired", "cart()", saved_by="setup")
            Snapshots(registry).take("spring", "vip", shop_context_for(shop), taken_by="setup")
        finally:
            engine.dispose()
    return copies


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory, shop_stores: dict[str, str]) -> Iterator[Service]:
    """One app for the module (building one per test was most of the module's time); tests add tokens only."""
    made = make_service(Path(tmp_path_factory.mktemp("access-service")), shop_stores)
    yield made
    made.app.state.cafehub.close()


def shop_context_for(shop: str) -> Any:
    from cafehub.service.config import ShopConfig

    return shop_context(ShopConfig(id=shop, store="sqlite://"), NOW)

#: (method, path template) -> (JSON body or None, scope the route needs, expected success status)
REQUESTS: dict[tuple[str, str], tuple[dict[str, Any] | None, str, int]] = {
    ("POST", "/v1/shops/{shop}/text/check"): ({"text": TEXT}, "read", 200),
    ("POST", "/v1/shops/{shop}/text/format"): ({"text": TEXT}, "read", 200),
    ("POST", "/v1/shops/{shop}/text/to-json"): ({"text": TEXT}, "read", 200),
    ("POST", "/v1/shops/{shop}/text/from-json"): (
        {"document": {"version": 1, "segment": {"type": "exists", "collection": "order", "condition": None,
                                               "negated": True}}}, "read", 200),
    ("GET", "/v1/shops/{shop}/text/json-schema"): (None, "read", 200),
    ("POST", "/v1/shops/{shop}/text/sql"): ({"text": TEXT, "dialect": "postgres"}, "read", 200),
    ("POST", "/v1/shops/{shop}/text/count"): ({"text": TEXT, "now": "2026-11-26T10:30:00+09:00"}, "read", 200),
    ("POST", "/v1/shops/{shop}/text/explain"): ({"text": TEXT, "member_id": MEMBER}, "read", 200),
    ("GET", "/v1/shops/{shop}/segments"): (None, "read", 200),
    ("GET", "/v1/shops/{shop}/segments/{name}"): (None, "read", 200),
    ("GET", "/v1/shops/{shop}/segments/{name}/versions"): (None, "read", 200),
    ("PUT", "/v1/shops/{shop}/segments/{name}"): ({"text": TEXT}, "write", 200),  # the same text: unchanged
    ("DELETE", "/v1/shops/{shop}/segments/{name}"): (None, "write", 200),
    ("POST", "/v1/shops/{shop}/segments/{name}/count"): ({"now": "2026-11-26T10:30:00+09:00"}, "read", 200),
    ("POST", "/v1/shops/{shop}/segments/{name}/sql"): ({"dialect": "duckdb"}, "read", 200),
    ("POST", "/v1/shops/{shop}/segments/{name}/explain"): ({"member_id": MEMBER}, "read", 200),
    ("GET", "/v1/shops/{shop}/segments/{name}/audience"): (None, "read", 200),
    ("POST", "/v1/shops/{shop}/snapshots"): ({"campaign": CAMPAIGN, "segment": "lapsed"}, "write", 201),
    ("GET", "/v1/shops/{shop}/snapshots"): (None, "read", 200),
    ("GET", "/v1/shops/{shop}/snapshots/{campaign}"): (None, "read", 200),
    ("GET", "/v1/shops/{shop}/snapshots/{campaign}/members"): (None, "read", 200),
    ("POST", "/v1/shops/{shop}/membership"): ({"member_id": MEMBER, "explain": True}, "read", 200),
}


#: Pages of a shop (HTML): refused by sending the browser to sign in.
PAGES = {("GET", "/shops/{shop}/editor")}

#: The chat surfaces authenticate their own way (publishable chat key, conversation tokens, the Channel Talk
#: webhook's token and signature) or need a shop with a chat: tests/service/test_chat_api.py,
#: test_channeltalk_webhook.py and test_chat_page.py test who may call them.
CHAT = {("POST", "/v1/shops/{shop}/chat/conversations"),
        ("POST", "/v1/shops/{shop}/chat/conversations/{conversation}/messages"),
        ("GET", "/v1/shops/{shop}/chat/conversations/{conversation}/messages"),
        ("POST", "/v1/shops/{shop}/chat/conversations/{conversation}/photos"),
        ("GET", "/v1/shops/{shop}/chat/handoffs"),
        ("POST", "/v1/shops/{shop}/chat/conversations/{conversation}/give-back"),
        ("OPTIONS", "/v1/shops/{shop}/chat/{path:path}"),
        ("POST", "/v1/shops/{shop}/channeltalk/webhook"),
        ("GET", "/shops/{shop}/chat")}


#: Routes of no shop, open to anyone (checked by ``check_routes`` to be marked public): each with a path to call
#: and the status it answers without a token. Nothing in them is shop-specific.
PUBLIC: dict[tuple[str, str], tuple[str, int]] = {
    ("GET", "/health"): ("/health", 200),
    ("GET", "/"): ("/", 303),
    ("GET", "/login"): ("/login", 200),
    ("POST", "/login"): ("/login", 401),  # an empty form: the sign-in page again
    ("POST", "/logout"): ("/logout", 303),
    ("GET", "/static/{name}"): ("/static/editor.js", 200),
    ("GET", "/chat-static/{name}"): ("/chat-static/chat.js", 200),
    ("GET", "/openapi.json"): ("/openapi.json", 200),
    ("GET", "/docs"): ("/docs", 200),
    ("GET", "/docs/oauth2-redirect"): ("/docs/oauth2-redirect", 200),
    ("GET", "/redoc"): ("/redoc", 200),
}


def all_routes(service: Service) -> set[tuple[str, str]]:
    """Every (method, path) the app serves, shop or not (HEAD, which Starlette adds to GET, left out)."""
    return {(method, path) for path, route in iter_routes(service.app)
            for method in getattr(route, "methods", None) or {"(any)"} if method != "HEAD"}


def test_every_route_of_the_app_is_covered(service: Service) -> None:
    """A new route of any kind fails here until it is in one of the tables (and so gets its access tests)."""
    covered = set(REQUESTS) | PAGES | CHAT | set(PUBLIC)
    routes = all_routes(service)
    assert routes - covered == set(), "routes without access tests"
    assert covered - routes == set(), "tables naming routes the app does not have"


@pytest.mark.parametrize("key", sorted(PUBLIC), ids=lambda key: f"{key[0]} {key[1]}")
def test_public_routes_answer_anyone(client: TestClient, key: tuple[str, str]) -> None:
    path, status = PUBLIC[key]
    client.cookies.clear()
    response = client.request(key[0], path, follow_redirects=False)
    assert response.status_code == status


def shop_routes(service: Service) -> set[tuple[str, str]]:
    return {(method, path) for path, route in iter_routes(service.app) if isinstance(route, APIRoute)
            and "{shop}" in path for method in route.methods or ()}


def call(client: TestClient, key: tuple[str, str], shop: str, headers: dict[str, str],
         service: Service | None = None) -> Any:
    method, template = key
    body = REQUESTS[key][0]
    if body is not None:
        members = service.members.get(shop, ["nobody"]) if service is not None else ["nobody"]
        body = {k: members[0] if v == MEMBER else f"campaign {next(_campaigns)}" if v == CAMPAIGN else v
                for k, v in body.items()}
    path = template.replace("{shop}", shop)
    for name, value in {**PATH_VALUES, **PATH_OVERRIDES.get(key, {})}.items():
        path = path.replace("{" + name + "}", value)
    return client.request(method, path, json=body, headers=headers)


def test_every_shop_route_has_access_tests(service: Service) -> None:
    assert shop_routes(service) == set(REQUESTS) | PAGES | CHAT


@pytest.mark.parametrize(("method", "template"), sorted(PAGES))
def test_pages_send_anyone_but_the_shops_own_session_to_sign_in(
    client: TestClient, service: Service, method: str, template: str
) -> None:
    def get(shop: str, token: str | None) -> Any:
        client.cookies.clear()
        if token is not None:
            client.cookies.set("cafehub_session", token)
        return client.request(method, template.replace("{shop}", shop), follow_redirects=False)

    own = get("alpha", service.tokens["alpha", "read"])
    assert own.status_code == 200
    assert "text/html" in own.headers["content-type"]
    for response, reason in ((get("alpha", None), "unauthenticated"),
                             (get("alpha", "cafehub_000000000000_" + "A" * 43), "unauthenticated"),
                             (get("alpha", service.tokens["beta", "write"]), "forbidden"),
                             (get("gamma", service.tokens["alpha", "write"]), "forbidden")):
        assert response.status_code == 303
        assert response.headers["location"].endswith(f"reason={reason}")
        assert service.tokens["alpha", "read"] not in response.text


@pytest.fixture(params=sorted(REQUESTS), ids=lambda key: f"{key[0]} {key[1]}")
def route(request: pytest.FixtureRequest) -> tuple[str, str]:
    return request.param  # type: ignore[no-any-return]


def test_the_owner_succeeds(client: TestClient, service: Service, route: tuple[str, str]) -> None:
    _, scope, status = REQUESTS[route]
    response = call(client, route, "alpha", service.headers("alpha", scope), service)
    assert response.status_code == status, response.text


def test_no_token_is_401(client: TestClient, route: tuple[str, str]) -> None:
    response = call(client, route, "alpha", {})
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert response.json()["error"]["code"] == "unauthenticated"


@pytest.mark.parametrize("header", [
    "Bearer nonsense",
    "Bearer cafehub_000000000000_" + "A" * 43,  # well-formed, unknown id
    "Basic YWxhZGRpbjpvcGVuc2VzYW1l",
    "Bearer ",
])
def test_a_bad_token_is_401(client: TestClient, route: tuple[str, str], header: str) -> None:
    response = call(client, route, "alpha", {"Authorization": header})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"


def test_a_right_id_with_a_wrong_secret_is_401(client: TestClient, service: Service, route: tuple[str, str]) -> None:
    token = service.tokens["alpha", "write"]
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    response = call(client, route, "alpha", {"Authorization": f"Bearer {forged}"})
    assert response.status_code == 401


def test_another_shops_token_is_403(client: TestClient, service: Service, route: tuple[str, str]) -> None:
    for owner, other in (("alpha", "beta"), ("beta", "alpha")):
        response = call(client, route, other, service.headers(owner, "write"))
        assert response.status_code == 403, response.text
        error = response.json()["error"]
        assert (error["code"], error["field"]) == ("forbidden", "path.shop")


def test_an_unknown_shop_gets_the_same_answer_as_another_shop(
    client: TestClient, service: Service, route: tuple[str, str]
) -> None:
    unknown = call(client, route, "gamma", service.headers("alpha", "write"))
    other = call(client, route, "beta", service.headers("alpha", "write"))
    assert (unknown.status_code, unknown.json()) == (other.status_code, other.json())


def test_a_revoked_token_is_refused_at_once(client: TestClient, service: Service, route: tuple[str, str]) -> None:
    tokens = service.app.state.cafehub.tokens
    new = tokens.issue("alpha", "short-lived", frozenset({"read", "write"}))  # type: ignore[arg-type]
    headers = {"Authorization": f"Bearer {new.token}"}
    _, _, status = REQUESTS[route]
    assert call(client, route, "alpha", headers, service).status_code == status
    tokens.revoke(new.info.token_id)
    assert call(client, route, "alpha", headers).status_code == 401


def test_write_routes_refuse_a_read_token(client: TestClient, service: Service) -> None:
    writes = [key for key, (_, scope, _) in REQUESTS.items() if scope == "write"]
    for key in writes:
        response = call(client, key, "alpha", service.headers("alpha", "read"))
        assert response.status_code == 403
        assert "write scope" in response.json()["error"]["message"]


def test_the_token_never_appears_in_an_answer(client: TestClient, service: Service, route: tuple[str, str]) -> None:
    for shop in ("alpha", "beta", "gamma"):
        headers = service.headers("alpha", "write")
        response = call(client, route, shop, headers)
        secret = service.tokens["alpha", "write"].split("_", 2)[2]  # the secret may contain "_"
        assert secret not in response.text
