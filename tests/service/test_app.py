"""The application: the route contract, one error shape that never echoes values, limits, real HTTP."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import APIRouter
from fastapi.testclient import TestClient

from cafehub.service import app as app_module
from cafehub.service.app import MAX_BODY_BYTES, RouteContractError, create_app
from cafehub.service.auth import ReadAccess, public
from cafehub.service.config import parse_config

from .conftest import Service

PHONE, EMAIL = "+82-10-9876-5432", "jisoo.kim@example.com"


def test_create_app_refuses_a_route_without_an_authenticator(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    forgetful = APIRouter()

    @forgetful.get("/v1/shops/{shop}/leak")
    def leak(shop: str) -> dict[str, str]:
        return {"shop": shop}

    monkeypatch.setattr(app_module, "ROUTERS", ("tests_forgetful",))
    monkeypatch.setitem(sys.modules, "tests_forgetful", type(sys)("tests_forgetful"))
    sys.modules["tests_forgetful"].router = forgetful  # type: ignore[attr-defined]
    config = parse_config({"shops": {"a": {"store": "sqlite:///a.db"}}}, tmp_path)
    with pytest.raises(RouteContractError, match=r"/v1/shops/\{shop\}/leak .*depends on no authenticator"):
        create_app(config)

    fixed = APIRouter()

    @fixed.get("/v1/shops/{shop}/fine")
    def fine(caller: ReadAccess) -> dict[str, str]:
        return {"shop": caller.shop_id}

    @fixed.get("/hello")
    @public
    def hello() -> dict[str, str]:
        return {"hello": "world"}

    sys.modules["tests_forgetful"].router = fixed  # type: ignore[attr-defined]
    create_app(config).state.cafehub.close()


def test_health_and_openapi_are_public(client: TestClient) -> None:
    assert client.get("/health").json() == {"status": "ok"}
    spec = client.get("/openapi.json").json()
    assert spec["openapi"].startswith("3.")
    assert "/v1/shops/{shop}/text/check" in spec["paths"]


def _leaks(response: httpx.Response, *values: str) -> list[str]:
    return [v for v in values if v in response.text]


@pytest.mark.parametrize("body", [
    {"text": 12345678901, "member_id": PHONE},
    {"text": "order()", "member_id": PHONE, "email": EMAIL},
    {"text": "order()", "member_id": ["x" * 65, EMAIL]},
    {"text": "order()", "member_id": "x" * 65 + EMAIL},
    {"text": "order()", "member_id": "m1", "now": EMAIL},
])
def test_validation_errors_name_the_field_and_kind_never_the_value(
    client: TestClient, service: Service, body: dict[str, Any]
) -> None:
    response = client.post("/v1/shops/alpha/text/explain", json=body, headers=service.headers("alpha"))
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid_request"
    assert error["problems"]
    assert all(set(p) == {"field", "kind"} for p in error["problems"])
    assert all(p["field"].startswith("body.") for p in error["problems"])
    assert _leaks(response, PHONE, EMAIL, "12345678901", "x" * 65) == []


def test_a_body_that_is_not_json_is_named_as_such(client: TestClient, service: Service) -> None:
    response = client.post("/v1/shops/alpha/text/check", content=f'{{"text": "{EMAIL}"',
                           headers={**service.headers("alpha"), "Content-Type": "application/json"})
    assert response.status_code == 422
    assert response.json()["error"]["problems"][0]["kind"] == "json_invalid"
    assert _leaks(response, EMAIL) == []


def test_unknown_paths_and_methods_have_the_error_shape(client: TestClient, service: Service) -> None:
    missing = client.get("/v1/nothing", headers=service.headers("alpha"))
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"
    wrong = client.get("/v1/shops/alpha/text/check", headers=service.headers("alpha"))
    assert wrong.status_code == 405
    assert wrong.json()["error"]["code"] == "method_not_allowed"


def test_a_body_over_the_limit_is_413_before_it_is_read(client: TestClient, service: Service) -> None:
    big = json.dumps({"text": "order() " + " " * MAX_BODY_BYTES})
    response = client.post("/v1/shops/alpha/text/check", content=big,
                           headers={**service.headers("alpha"), "Content-Type": "application/json"})
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"

    def chunks() -> Any:
        for _ in range(MAX_BODY_BYTES // 65536 + 2):
            yield b" " * 65536

    chunked = client.post("/v1/shops/alpha/text/check", content=chunks(),
                          headers={**service.headers("alpha"), "Content-Type": "application/json"})
    assert chunked.status_code == 413


def test_text_up_to_the_languages_limit_is_checked_and_longer_is_e0101(client: TestClient, service: Service) -> None:
    atom = "order(product = 1) or "
    text = atom * (99_000 // len(atom)) + "cart()"
    response = client.post("/v1/shops/alpha/text/check", json={"text": text}, headers=service.headers("alpha"))
    assert response.status_code == 200  # handled in a worker thread, not on the event loop
    too_long = client.post("/v1/shops/alpha/text/check", json={"text": "cart() or " * 11_000 + "cart()"},
                           headers=service.headers("alpha"))
    assert [d["code"] for d in too_long.json()["diagnostics"]] == ["E0101"]


def test_a_broken_store_is_503_without_details(tmp_path: Path) -> None:
    config = parse_config({"shops": {"a": {"store": "sqlite:///missing-dir/a.db"}}}, tmp_path)
    app = create_app(config)
    token = app.state.cafehub.tokens.issue("a", "t", frozenset({"read"})).token  # type: ignore[arg-type]
    with TestClient(app) as client:
        response = client.post("/v1/shops/a/text/count", json={"text": "cart()"},
                               headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 503
    assert response.json() == {"error": {"code": "store_unavailable",
                                         "message": "a database this request needs cannot be used right now"}}


def test_the_app_over_real_http(service: Service, serve_app: Callable[[Any], str]) -> None:
    base = serve_app(service.app)
    with httpx.Client(base_url=base, timeout=10) as http:
        assert http.get("/health").json() == {"status": "ok"}
        checked = http.post("/v1/shops/beta/text/check", json={"text": "order(status = payed)"},
                            headers=service.headers("beta"))
        assert checked.json()["diagnostics"][0]["code"] == "E0203"
        assert http.post("/v1/shops/alpha/text/check", json={"text": "cart()"},
                         headers=service.headers("beta")).status_code == 403


def test_cafehub_serve_starts_from_a_configuration(tmp_path: Path, shop_stores: dict[str, str]) -> None:
    (tmp_path / "cafehub.toml").write_text(f'[shops.alpha]\nstore = "{shop_stores["alpha"]}"\n', encoding="utf-8")
    token = subprocess.run([sys.executable, "-m", "cafehub", "token", "create", "--shop", "alpha", "--name", "t"],
                           capture_output=True, text=True, cwd=tmp_path, timeout=60, check=True).stdout.strip()
    server = subprocess.Popen([sys.executable, "-m", "cafehub", "serve", "--port", "0", "--log-level", "info"],
                              cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        port = None
        deadline = time.monotonic() + 60
        assert server.stdout is not None
        while port is None and time.monotonic() < deadline:
            line = server.stdout.readline()
            found = re.search(r"Uvicorn running on http://127\.0\.0\.1:(\d+)", line)
            port = int(found.group(1)) if found else None
            assert line or server.poll() is None, "cafehub serve exited"
        assert port, "cafehub serve did not report its port"
        response = httpx.post(f"http://127.0.0.1:{port}/v1/shops/alpha/text/count", json={"text": "cart()"},
                              headers={"Authorization": f"Bearer {token}"}, timeout=10)
        assert response.status_code == 200
        assert response.json()["count"] >= 0
    finally:
        server.terminate()
        server.wait(timeout=20)


def test_cafehub_serve_reports_a_bad_configuration_in_one_line(tmp_path: Path) -> None:
    (tmp_path / "cafehub.toml").write_text('[shops.alpha]\nstore = "sqlite:///a.db"\nzone = "Nowhere"\n',
                                           encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "cafehub", "serve", "--port", "0"], capture_output=True,
                            text=True, cwd=tmp_path, timeout=60)
    assert result.returncode == 1
    assert "shops.alpha.zone: not a known IANA time zone" in result.stderr
    assert "Traceback" not in result.stderr


def test_unknown_query_parameters_are_refused_by_name(client: TestClient, service: Service) -> None:
    response = client.get("/v1/shops/alpha/text/json-schema", params={"formt": "jsonl", "phone": PHONE},
                          headers=service.headers("alpha"))
    assert response.status_code == 422
    problems = response.json()["error"]["problems"]
    assert {"field": "query.formt", "kind": "extra_forbidden"} in problems
    assert PHONE not in response.text
    page = client.get("/login", params={"reason": "forbidden", "shop": "alpha"})
    assert page.status_code == 200  # the parameters a route reads are fine


def test_405_lists_the_allowed_methods(client: TestClient, service: Service) -> None:
    response = client.request("PATCH", "/v1/shops/alpha/text/check", headers=service.headers("alpha"))
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert response.json()["error"]["code"] == "method_not_allowed"
