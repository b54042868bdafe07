"""Who may call what: every shop route refuses a missing, bad or revoked token, another shop's token,
an unknown shop, and (for changes) a token without the write scope.

:data:`REQUESTS` holds one valid request per shop route; a test checks it
covers every route the app has, so a new route cannot ship without its
access tests. Data isolation (one shop's answers never come from the other's
store) is tested per route in the route's own test module.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from cafehub.service.app import iter_routes

from .conftest import Service

TEXT = "order(status = paid).count >= 2"
MEMBER = "<a member of the shop>"  # replaced by the first member id of the shop called

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


def shop_routes(service: Service) -> set[tuple[str, str]]:
    return {(method, path) for path, route in iter_routes(service.app) if isinstance(route, APIRoute)
            and "{shop}" in path for method in route.methods or ()}


def call(client: TestClient, key: tuple[str, str], shop: str, headers: dict[str, str],
         service: Service | None = None) -> Any:
    method, template = key
    body = REQUESTS[key][0]
    if body is not None and service is not None:
        members = service.members.get(shop, ["nobody"])
        body = {k: members[0] if v == MEMBER else v for k, v in body.items()}
    return client.request(method, template.replace("{shop}", shop), json=body, headers=headers)


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
