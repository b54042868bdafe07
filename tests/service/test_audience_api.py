"""Audiences, campaign snapshots and live membership over HTTP: the same bytes and verdicts as the library
(``cafehub segment audience``, ``snapshot``, ``membership``) on the same store, each shop apart."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from cafehub.execution.sql import count_sql, run_sql
from cafehub.registry import SegmentRegistry
from cafehub.registry.audience import Snapshots, audience_text
from cafehub.registry.membership import LiveMembership
from cafehub.service.state import shop_context

from .conftest import NOW, Service
from .test_saved_api import LAPSED, VIP, VIP_2, engines  # noqa: F401 - engines is a fixture

WHEN = {"now": NOW.isoformat()}


@pytest.fixture
def client(writable: Service) -> Iterator[TestClient]:
    with TestClient(writable.app) as test_client:
        yield test_client


@pytest.fixture
def saved(writable: Service, engines: dict[str, Engine]) -> dict[str, SegmentRegistry]:  # noqa: F811
    """vip and lapsed (which uses vip) in both shops; beta's vip is a different text."""
    registries = {}
    for shop, engine in engines.items():
        registry = SegmentRegistry(engine, shop)
        registry.save("vip", VIP if shop == "alpha" else VIP_2, saved_by="setup")
        registry.save("lapsed", LAPSED, saved_by="setup")
        registries[shop] = registry
    return registries


def get(client: TestClient, service: Service, path: str, shop: str = "alpha", **params: Any) -> Any:
    return client.get(f"/v1/shops/{shop}{path}", params=params, headers=service.headers(shop))


def library_text(registry: SegmentRegistry, name: str, service: Service, fmt: str, version: int | None = None) -> str:
    ctx = shop_context(service.config.shops[registry.shop], NOW)
    return "".join(audience_text(registry.engine, registry.checked(name, version), ctx, fmt))  # type: ignore[arg-type]


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_the_audience_stream_is_the_librarys_and_segment_runs(
    client: TestClient, writable: Service, saved: dict[str, SegmentRegistry], fmt: str
) -> None:
    registry = saved["alpha"]
    response = get(client, writable, "/segments/lapsed/audience", format=fmt, **WHEN)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv" if fmt == "csv" else "application/x-ndjson")
    assert response.headers["x-cafehub-segment-version"] == "1"
    assert response.text == library_text(registry, "lapsed", writable, fmt)
    ctx = shop_context(writable.config.shops["alpha"], NOW)
    ids = run_sql(registry.engine, registry.checked("lapsed"), ctx)  # what `cafehub segment run` prints
    lines = response.text.splitlines()[1 if fmt == "csv" else 0:]
    assert ids, "the case needs an audience"
    assert [line.split(",")[0] if fmt == "csv" else line.split('"')[3] for line in lines] == ids


def test_count_version_and_refusals(client: TestClient, writable: Service, saved: dict[str, SegmentRegistry]) -> None:
    registry = saved["alpha"]
    registry.save("vip", VIP_2, saved_by="setup")
    ctx = shop_context(writable.config.shops["alpha"], NOW)
    counted = get(client, writable, "/segments/vip/audience", count="true", **WHEN)
    assert counted.json() == {"count": count_sql(registry.engine, registry.checked("vip"), ctx),
                              "now": NOW.isoformat()}
    old = get(client, writable, "/segments/vip/audience", version=1, **WHEN)
    assert old.headers["x-cafehub-segment-version"] == "1"
    assert old.text == library_text(registry, "vip", writable, "csv", version=1)
    assert old.text != get(client, writable, "/segments/vip/audience", **WHEN).text
    missing = get(client, writable, "/segments/nobody/audience")
    assert (missing.status_code, missing.json()["error"]["code"]) == (404, "not_found")
    assert missing.headers["content-type"] == "application/json"
    assert get(client, writable, "/segments/vip/audience", format="xml").status_code == 422
    assert get(client, writable, "/segments/vip/audience", formt="csv").status_code == 422


def test_the_audience_streams_over_a_real_connection(
    writable: Service, saved: dict[str, SegmentRegistry], serve_app: Callable[[Any], str]
) -> None:
    base = serve_app(writable.app)
    with httpx.Client(base_url=base) as http, http.stream(
            "GET", "/v1/shops/alpha/segments/lapsed/audience", params={"format": "jsonl", **WHEN},
            headers=writable.headers("alpha")) as response:
        assert response.status_code == 200
        assert response.headers.get("transfer-encoding") == "chunked"  # sent as read, not buffered whole
        body = "".join(response.iter_text())
    assert body == library_text(saved["alpha"], "lapsed", writable, "jsonl")


def test_a_snapshot_shows_the_audience_exactly_as_it_was(
    client: TestClient, writable: Service, saved: dict[str, SegmentRegistry]
) -> None:
    registry = saved["alpha"]
    before = library_text(registry, "vip", writable, "csv")
    headers = writable.headers("alpha", "write")
    taken = client.post("/v1/shops/alpha/snapshots", json={"campaign": "black friday", "segment": "vip", **WHEN},
                        headers=headers)
    assert taken.status_code == 201, taken.text
    info = taken.json()
    assert (info["segment"], info["version"], info["versions"], info["send_time"]) == (
        "vip", 1, [{"name": "vip", "version": 1}], NOW.isoformat())
    assert info["members"] == len(before.splitlines()) - 1
    assert info["taken_by"].startswith("alpha writer (")
    again = client.post("/v1/shops/alpha/snapshots", json={"campaign": "black friday", "segment": "lapsed"},
                        headers=headers)
    assert (again.status_code, again.json()["error"]["code"]) == (409, "conflict")
    assert client.post("/v1/shops/alpha/snapshots", json={"campaign": "x", "segment": "vip"},
                       headers=writable.headers("alpha", "read")).status_code == 403

    registry.save("vip", VIP_2, saved_by="setup")  # the segment changes; the recorded audience does not
    members = get(client, writable, "/snapshots/black friday/members")
    assert members.text == before
    assert members.text != library_text(registry, "vip", writable, "csv")
    assert get(client, writable, "/snapshots/black friday/members", format="jsonl").text == "".join(
        Snapshots(registry).members_text("black friday", "jsonl"))
    assert get(client, writable, "/snapshots/black friday").json() == info
    assert get(client, writable, "/snapshots").json() == {"snapshots": [info]}
    assert get(client, writable, "/snapshots/spring").status_code == 404
    # another shop has no such campaign, and its list is its own
    assert get(client, writable, "/snapshots/black friday", shop="beta").status_code == 404
    assert get(client, writable, "/snapshots/black friday/members", shop="beta").status_code == 404
    assert get(client, writable, "/snapshots", shop="beta").json() == {"snapshots": []}


def test_membership_is_the_librarys_and_running_each_segment(
    client: TestClient, writable: Service, saved: dict[str, SegmentRegistry]
) -> None:
    for shop in ("alpha", "beta"):
        registry = saved[shop]
        ctx = shop_context(writable.config.shops[shop], NOW)
        ids = {name: set(run_sql(registry.engine, registry.checked(name), ctx)) for name in ("vip", "lapsed")}
        members = writable.members[shop]
        for member in [next(iter(ids["lapsed"])), next(iter(ids["vip"] - ids["lapsed"])), members[-1]]:
            response = client.post(f"/v1/shops/{shop}/membership", json={"member_id": member, **WHEN},
                                   headers=writable.headers(shop))
            assert response.status_code == 200, response.text
            found = response.json()
            assert found["segments"] == sorted(name for name, matching in ids.items() if member in matching)
            expected = LiveMembership(registry).membership(member, ctx).to_dict()
            assert found == {**expected, "now": NOW.isoformat()}

    member = sorted(set(run_sql(saved["alpha"].engine, saved["alpha"].checked("lapsed"),
                                shop_context(writable.config.shops["alpha"], NOW))))[0]
    explained = client.post("/v1/shops/alpha/membership", headers=writable.headers("alpha"),
                            json={"member_id": member, "explain": True, "segments": ["lapsed"], **WHEN}).json()
    library = LiveMembership(saved["alpha"]).membership(
        member, shop_context(writable.config.shops["alpha"], NOW), explain=True, names=["lapsed"])
    assert [v["explanation"] for v in explained["verdicts"]] == [v.to_dict()["explanation"] for v in library.verdicts]
    assert explained["verdicts"][0]["explanation"]["matches"] is True


def test_membership_refusals(client: TestClient, writable: Service, saved: dict[str, SegmentRegistry]) -> None:
    def ask(body: dict[str, Any], shop: str = "alpha") -> Any:
        return client.post(f"/v1/shops/{shop}/membership", json=body, headers=writable.headers(shop))

    nobody = ask({"member_id": "no-such-member"})
    assert nobody.status_code == 404
    assert nobody.json()["error"] == {"code": "not_found", "field": "body.member_id",
                                      "message": "the shop has no customer with this member_id"}
    unknown = ask({"member_id": writable.members["alpha"][0], "segments": ["vpi"]})
    assert (unknown.status_code, unknown.json()["error"]["field"]) == (404, "body.segments")
    assert "did you mean 'vip'" in unknown.json()["error"]["message"]
    saved["alpha"].save("alpha-only", "cart()", saved_by="setup")
    assert ask({"member_id": writable.members["beta"][0], "segments": ["alpha-only"]}, "beta").status_code == 404
    assert ask({"member_id": writable.members["alpha"][0], "now": 1764120600}).status_code == 422
