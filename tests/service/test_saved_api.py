"""The saved-segment routes (registry CRUD, a saved segment's count, SQL and explain) over HTTP give what the
registry and the library give on the same store, and each shop sees only its own segments."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from cafehub.compiler.backends.sql import compile_sql
from cafehub.diagnostics import SegmentError
from cafehub.execution.explain import explain
from cafehub.execution.python import load_customer
from cafehub.execution.sql import run_sql
from cafehub.registry import SegmentRegistry
from cafehub.service.state import shop_context
from cafehub.store.engines import open_engine

from .conftest import NOW, Service

VIP = "order(status = paid).count >= 2"
VIP_2 = "order(status = paid).count >= 3"
LAPSED = 'segment("vip") and no order(ordered_at within last 30d)'


@pytest.fixture
def client(writable: Service) -> Iterator[TestClient]:
    with TestClient(writable.app) as test_client:
        yield test_client


@pytest.fixture
def engines(writable: Service) -> Iterator[dict[str, Engine]]:
    """The library's own engines on the service's stores (to compute what each answer must be)."""
    opened = {shop: open_engine(url) for shop, url in writable.stores.items()}
    yield opened
    for engine in opened.values():
        engine.dispose()


def call(client: TestClient, service: Service, method: str, path: str, shop: str = "alpha", scope: str = "write",
         **kwargs: Any) -> Any:
    return client.request(method, f"/v1/shops/{shop}/segments{path}", headers=service.headers(shop, scope), **kwargs)


def test_save_list_show_history_as_the_registry_has_them(
    client: TestClient, writable: Service, engines: dict[str, Engine]
) -> None:
    first = call(client, writable, "PUT", "/vip", json={"text": VIP, "description": "two paid orders"})
    assert first.status_code == 201, first.text
    assert (first.json()["created"], first.json()["version"]["version"]) == (True, 1)
    assert first.json()["version"]["saved_by"].startswith("alpha writer (")
    again = call(client, writable, "PUT", "/vip", json={"text": VIP})
    assert (again.status_code, again.json()["created"], again.json()["version"]["version"]) == (200, False, 1)
    second = call(client, writable, "PUT", "/vip", json={"text": VIP_2})
    assert (second.status_code, second.json()["version"]["version"]) == (201, 2)
    assert second.json()["segment"]["description"] == "two paid orders"  # kept when left out

    registry = SegmentRegistry(engines["alpha"], "alpha")
    listed = call(client, writable, "GET", "", scope="read").json()["segments"]
    assert [s["name"] for s in listed] == [i.name for i in registry.segments()] == ["vip"]
    assert listed[0]["latest_version"] == 2
    latest = call(client, writable, "GET", "/vip", scope="read").json()
    assert latest["version"]["text"] == registry.get("vip").text == VIP_2
    one = call(client, writable, "GET", "/vip", scope="read", params={"version": 1}).json()
    assert one["version"]["text"] == VIP
    assert one["version"]["document"] == registry.get("vip", 1).ast
    versions = call(client, writable, "GET", "/vip/versions", scope="read").json()["versions"]
    assert [(v["version"], v["text"]) for v in versions] == [(v.version, v.text) for v in registry.history("vip")]


def test_an_invalid_text_is_refused_with_the_diagnostics_and_nothing_is_saved(
    client: TestClient, writable: Service, engines: dict[str, Engine]
) -> None:
    bad = "order(status = payed).count >= 3"
    with pytest.raises(SegmentError) as expected:
        SegmentRegistry(engines["alpha"], "alpha").check(bad)
    response = call(client, writable, "PUT", "/vip", json={"text": bad})
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid_segment"
    assert [{k: v for k, v in d.items() if v is not None} for d in error["diagnostics"]] == [
        d.to_dict() for d in expected.value.diagnostics]
    assert call(client, writable, "GET", "/vip", scope="read").status_code == 404
    assert call(client, writable, "GET", "", scope="read").json() == {"segments": []}


def test_saved_segments_count_compile_and_explain_as_the_library_does(
    client: TestClient, writable: Service, engines: dict[str, Engine]
) -> None:
    assert call(client, writable, "PUT", "/vip", json={"text": VIP}).status_code == 201
    assert call(client, writable, "PUT", "/lapsed", json={"text": LAPSED}).status_code == 201
    registry = SegmentRegistry(engines["alpha"], "alpha")
    ctx = shop_context(writable.config.shops["alpha"], NOW)
    checked = registry.checked("lapsed")
    members = run_sql(engines["alpha"], checked, ctx)
    assert members, "the case needs an audience"

    counted = call(client, writable, "POST", "/lapsed/count", scope="read", json={"now": NOW.isoformat()}).json()
    assert counted["count"] == len(members)
    sql = call(client, writable, "POST", "/lapsed/sql", scope="read", json={"dialect": "mysql"}).json()
    assert sql["sql"] == compile_sql(checked, dialect="mysql").sql
    customer = load_customer(engines["alpha"], members[0])
    assert customer is not None
    explained = call(client, writable, "POST", "/lapsed/explain", scope="read",
                     json={"member_id": members[0], "now": NOW.isoformat()}).json()
    assert explained == explain(checked, customer, ctx).to_dict()
    assert explained["root"]["children"][0]["version"] == 1  # segment("vip") at its version

    # unsaved text may use saved segments too, resolved in the caller's shop
    text = client.post("/v1/shops/alpha/text/count", json={"text": LAPSED, "now": NOW.isoformat()},
                       headers=writable.headers("alpha"))
    assert text.json()["count"] == len(members)
    check = client.post("/v1/shops/alpha/text/check", json={"text": LAPSED}, headers=writable.headers("alpha"))
    assert check.json() == {"valid": True, "diagnostics": []}

    # an older version, by number
    assert call(client, writable, "PUT", "/vip", json={"text": VIP_2}).status_code == 201
    old = call(client, writable, "POST", "/vip/count", scope="read", json={"now": NOW.isoformat(), "version": 1})
    assert old.json()["count"] == len(run_sql(engines["alpha"], registry.checked("vip", 1), ctx))


def test_delete_is_soft_and_refused_while_the_segment_is_used(
    client: TestClient, writable: Service, engines: dict[str, Engine]
) -> None:
    call(client, writable, "PUT", "/vip", json={"text": VIP})
    call(client, writable, "PUT", "/lapsed", json={"text": LAPSED})
    used = call(client, writable, "DELETE", "/vip")
    assert used.status_code == 409
    assert used.json()["error"] == {"code": "conflict", "field": "path.name",
                                    "message": "the segment is used by 'lapsed'; change or delete those first"}
    deleted = call(client, writable, "DELETE", "/lapsed")
    assert deleted.status_code == 200
    assert deleted.json()["segment"]["deleted_by"].startswith("alpha writer (")
    assert call(client, writable, "DELETE", "/lapsed").json() == deleted.json()  # deleting again changes nothing
    assert [s["name"] for s in call(client, writable, "GET", "", scope="read").json()["segments"]] == ["vip"]
    everything = call(client, writable, "GET", "", scope="read", params={"deleted": "true"}).json()["segments"]
    assert [(s["name"], s["deleted_at"] is not None) for s in everything] == [("lapsed", True), ("vip", False)]
    assert call(client, writable, "GET", "/lapsed", scope="read").json()["version"]["text"] == LAPSED
    gone = call(client, writable, "POST", "/lapsed/count", scope="read", json={})
    assert gone.status_code == 404
    assert SegmentRegistry(engines["alpha"], "alpha").info("lapsed").deleted
    back = call(client, writable, "PUT", "/lapsed", json={"text": LAPSED + " and cart()"})
    assert (back.status_code, back.json()["version"]["version"], back.json()["segment"]["deleted_at"]) == (201, 2, None)


def test_refusals_name_the_field_and_never_the_value(client: TestClient, writable: Service) -> None:
    call(client, writable, "PUT", "/vip", json={"text": VIP})
    missing = call(client, writable, "GET", "/vpi", scope="read")
    assert missing.status_code == 404
    assert missing.json()["error"] == {"code": "not_found", "field": "path.name",
                                       "message": "the shop has no saved segment of this name; did you mean 'vip'?"}
    version = call(client, writable, "GET", "/vip", scope="read", params={"version": 7})
    assert (version.status_code, version.json()["error"]["field"]) == (404, "query.version")
    assert "7" not in version.json()["error"]["message"].split("(")[0]
    twin = call(client, writable, "PUT", "/VIP", json={"text": VIP})
    assert (twin.status_code, twin.json()["error"]["code"]) == (422, "invalid_request")
    assert "VIP" not in twin.text
    assert call(client, writable, "PUT", "/bad name", json={"text": VIP}).status_code == 422
    assert call(client, writable, "PUT", "/vip", scope="read", json={"text": VIP}).status_code == 403
    assert call(client, writable, "DELETE", "/vip", scope="read").status_code == 403


def test_each_shop_sees_and_changes_only_its_own_segments(client: TestClient, writable: Service) -> None:
    call(client, writable, "PUT", "/vip", json={"text": VIP})
    call(client, writable, "PUT", "/alpha-only", json={"text": "cart()"})
    assert call(client, writable, "GET", "", shop="beta", scope="read").json() == {"segments": []}
    assert call(client, writable, "GET", "/vip", shop="beta", scope="read").status_code == 404
    assert call(client, writable, "POST", "/vip/count", shop="beta", scope="read", json={}).status_code == 404
    assert call(client, writable, "DELETE", "/vip", shop="beta").status_code == 404
    uses = client.post("/v1/shops/beta/text/check", json={"text": 'segment("alpha-only")'},
                       headers=writable.headers("beta"))
    assert uses.json()["valid"] is False
    assert uses.json()["diagnostics"][0]["code"] == "E0801"
    # the same name in beta is beta's own segment, with its own versions
    assert call(client, writable, "PUT", "/vip", shop="beta", json={"text": VIP_2}).json()["version"]["version"] == 1
    assert call(client, writable, "GET", "/vip", scope="read").json()["version"]["text"] == VIP
    assert call(client, writable, "GET", "/vip", shop="beta", scope="read").json()["version"]["text"] == VIP_2


def test_a_version_beyond_the_registrys_integers_is_refused_as_invalid(client: TestClient, writable: Service) -> None:
    call(client, writable, "PUT", "/vip", json={"text": VIP})
    huge = 2**63
    for response in (call(client, writable, "GET", "/vip", scope="read", params={"version": huge}),
                     call(client, writable, "POST", "/vip/count", scope="read", json={"version": huge}),
                     call(client, writable, "GET", "/vip/audience", scope="read", params={"version": huge})):
        assert (response.status_code, response.json()["error"]["code"]) == (422, "invalid_request")
    largest = call(client, writable, "GET", "/vip", scope="read", params={"version": 2**31 - 1})
    assert largest.status_code == 404
