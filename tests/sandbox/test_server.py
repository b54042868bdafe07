"""The Cafe24-like server itself, spoken to with plain httpx: limits, errors, derivation."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import httpx

from cafehub.connectors.cafe24 import codes
from cafehub.sandbox.derive import derive_shop
from cafehub.sandbox.limits import UsageQuota
from cafehub.sandbox.state import SandboxShop
from cafehub.sandbox.testing import serve, shop


def token(url: str, code: str) -> str:
    answer = httpx.post(f"{url}/api/v2/oauth/token", data={"grant_type": "authorization_code", "code": code},
                        auth=("sandbox-client", "sandbox-secret"))
    assert answer.status_code == 200
    body = answer.json()
    assert {"access_token", "expires_at", "refresh_token", "refresh_token_expires_at"} <= set(body)
    return str(body["access_token"])


def test_a_full_bucket_answers_429_and_every_answer_reports_the_level_and_usage(tmp_path: Path) -> None:
    with serve(tmp_path, capacity=5, drain_per_second=0.5) as sb:
        bearer = {"Authorization": f"Bearer {token(sb.cafe24_url, sb.sandbox.authorize())}"}
        url = f"{sb.cafe24_url}/api/v2/admin/coupons"
        answers = [httpx.get(url, headers=bearer) for _ in range(6)]
        assert [a.status_code for a in answers] == [200] * 5 + [429]
        assert [a.headers["X-Api-Call-Limit"] for a in answers[:5]] == [f"{n}/5" for n in range(1, 6)]
        assert all("X-Cafe24-Call-Usage" in a.headers and "X-Cafe24-Time-Usage" in a.headers for a in answers)
        assert not any("X-Cafe24-Call-Remain" in a.headers for a in answers)  # only at 100 % usage
        assert answers[5].json()["error"]["code"] == 429
        assert sb.sandbox.limits.refused["bucket"] == 1


def test_a_usage_block_says_how_long_in_seconds_and_calling_meanwhile_makes_it_longer(tmp_path: Path) -> None:
    quota = UsageQuota(call_quota=20, call_drain=1.0, time_quota=1e9)
    with serve(tmp_path, usage=quota) as sb:
        bearer = {"Authorization": f"Bearer {token(sb.cafe24_url, sb.sandbox.authorize())}"}
        url = f"{sb.cafe24_url}/api/v2/admin/coupons"
        sb.sandbox.limits.block(3)  # a heavy user put the mall over its call quota for 3 s
        first = httpx.get(url, headers=bearer)
        assert first.status_code == 429
        assert float(first.headers["X-Cafe24-Call-Usage"]) >= 100
        remains = [int(first.headers["X-Cafe24-Call-Remain"])]
        for _ in range(5):  # a client that keeps calling while blocked
            remains.append(int(httpx.get(url, headers=bearer).headers["X-Cafe24-Call-Remain"]))
        assert remains[0] in (3, 4)
        assert remains[-1] > remains[0]  # each blocked call counted: the block grew
        assert "X-Cafe24-Time-Remain" not in first.headers


def test_ten_calls_in_one_second_from_one_address_are_refused_as_abnormal(tmp_path: Path) -> None:
    with serve(tmp_path, usage=UsageQuota()) as sb:
        bearer = {"Authorization": f"Bearer {token(sb.cafe24_url, sb.sandbox.authorize())}"}
        url = f"{sb.cafe24_url}/api/v2/admin/carts/setting"
        with httpx.Client(headers=bearer) as http:
            statuses = [http.get(url).status_code for _ in range(12)]
        assert statuses[:9] == [200] * 9
        assert 429 in statuses[9:]
        assert sb.sandbox.limits.abnormal >= 1


def test_auth_and_error_bodies(tmp_path: Path) -> None:
    with serve(tmp_path) as sb:
        url = f"{sb.cafe24_url}/api/v2/admin/coupons"
        assert httpx.get(url).json()["error"]["message"] == "no access token was given"
        assert httpx.get(url, headers={"Authorization": "Bearer nope"}).status_code == 401
        bad_client = httpx.post(f"{sb.cafe24_url}/api/v2/oauth/token", data={"grant_type": "refresh_token"},
                                auth=("sandbox-client", "wrong"))
        assert bad_client.status_code == 401
        assert bad_client.json()["error"] == "invalid_client"
        bearer = {"Authorization": f"Bearer {token(sb.cafe24_url, sb.sandbox.authorize())}"}
        missing = httpx.get(f"{sb.cafe24_url}/api/v2/admin/nothing", headers=bearer)
        assert missing.status_code == 404
        assert "error" in missing.json()
        no_dates = httpx.get(f"{sb.cafe24_url}/api/v2/admin/orders", headers=bearer)
        assert no_dates.status_code == 422
        assert "start_date" in no_dates.json()["error"]["message"]
        envelope = httpx.post(f"{sb.cafe24_url}/api/v2/admin/cancellation", headers=bearer, json={"order_id": "x"})
        assert envelope.status_code == 400
        assert "requests" in envelope.json()["error"]["message"]


def test_derivation_is_deterministic_and_keeps_the_store_status() -> None:
    from zoneinfo import ZoneInfo

    from cafehub.connectors.cafe24 import models as m
    from cafehub.sandbox.render import order_json
    from cafehub.sync.mapping import order_status

    data = shop()
    now = datetime(2030, 1, 1)
    one, two = SandboxShop(), SandboxShop()
    for target in (one, two):
        target.load_store(data)
        derive_shop(target, data, now, "Asia/Seoul")
    assert one.orders == two.orders
    assert one.variants == two.variants
    assert one.packing == two.packing
    statuses = {o.order_id: o.status for o in data.orders}
    zone = ZoneInfo("Asia/Seoul")
    for order in one.orders.values():
        assert all(codes.is_status(i.status) for i in order.items)
        parsed = m.Order.model_validate(order_json(order, {"items"}, one, zone))
        assert order_status(parsed) == statuses[order.order_id]


def test_the_documented_command_line_is_cafehub_sandbox_serve() -> None:
    from typer.testing import CliRunner

    from cafehub.cli import app

    result = CliRunner().invoke(app, ["sandbox", "serve", "--help"])
    assert result.exit_code == 0, result.output
    assert "--port" in result.output


def test_member_searches_take_dates_as_documented(tmp_path: Path) -> None:
    with serve(tmp_path) as sb:
        bearer = {"Authorization": f"Bearer {token(sb.cafe24_url, sb.sandbox.authorize())}"}
        url = f"{sb.cafe24_url}/api/v2/admin/customersprivacy"

        def get(**params: str) -> httpx.Response:
            return httpx.get(url, headers=bearer, params={"search_type": "created_date", **params})

        assert get(created_start_date="2024-01-01").status_code == 200
        instant = get(created_start_date="2024-01-01T10:00:00+09:00")
        assert instant.status_code == 422
        assert "created_start_date must be a date" in instant.json()["error"]["message"]
        assert get(created_start_date="2024-01-01", offset="1000").status_code == 422
        assert get(created_start_date="2024-01-01", member_id="m0001").status_code == 422
