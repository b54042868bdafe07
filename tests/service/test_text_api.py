"""The text routes give exactly what the library gives, on the right shop's store."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from cafehub import api
from cafehub.compiler.backends.sql import DIALECTS, compile_sql
from cafehub.demo.segments import examples
from cafehub.diagnostics import SegmentError
from cafehub.execution.explain import explain
from cafehub.execution.python import load_customer
from cafehub.execution.sql import run_sql
from cafehub.registry import SegmentRegistry
from cafehub.service.segments.models import Dialect
from cafehub.service.state import shop_context
from cafehub.store.engines import open_engine

from .conftest import NOW, Service

EXAMPLES = [e.text for e in examples(NOW)]

def _utf8(path: Path) -> bool:
    try:
        path.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        return False  # JSON carries text only: byte-level cases are the CLI's
    return True


GOLDEN = [p for p in sorted((Path(__file__).parent.parent / "golden" / "diagnostics").glob("*.seg")) if _utf8(p)]
NOW_TEXT = NOW.isoformat()


def post(client: TestClient, service: Service, shop: str, op: str, body: dict[str, object]) -> dict[str, object]:
    response = client.post(f"/v1/shops/{shop}/text/{op}", json=body, headers=service.headers(shop))
    assert response.status_code == 200, response.text
    result: dict[str, object] = response.json()
    return result


def _diagnostics(text: str, store: str) -> tuple[bool, list[dict[str, object]]]:
    """The library's diagnostics for ``text``, ``segment("x")`` resolved in shop alpha's registry as the API does."""
    engine = open_engine(store)
    try:
        checked = SegmentRegistry(engine, "alpha").check(text)
    except SegmentError as error:
        return False, [d.to_dict() for d in error.diagnostics]
    finally:
        engine.dispose()
    return True, [d.to_dict() for d in checked.warnings]


@pytest.mark.parametrize("case", GOLDEN, ids=lambda p: p.stem)
def test_check_reports_the_librarys_diagnostics(client: TestClient, service: Service, case: Path) -> None:
    text = case.read_text(encoding="utf-8")
    valid, expected = _diagnostics(text, service.stores["alpha"])
    result = post(client, service, "alpha", "check", {"text": text})
    assert result["valid"] is valid
    got = [{k: v for k, v in d.items() if v is not None} for d in result["diagnostics"]]  # type: ignore[union-attr]
    assert got == expected
    assert expected, "every golden case has a diagnostic"


def test_check_accepts_every_example(client: TestClient, service: Service) -> None:
    for text in EXAMPLES:
        assert post(client, service, "alpha", "check", {"text": text}) == {"valid": True, "diagnostics": []}


def test_format_and_json_round_trip(client: TestClient, service: Service) -> None:
    for text in EXAMPLES:
        messy = text.replace(" = ", "=").replace(" and ", "\n   and  ")
        formatted = post(client, service, "alpha", "format", {"text": messy, "width": 40})["text"]
        assert formatted == api.format(text, width=40)
        document = post(client, service, "alpha", "to-json", {"text": messy})["document"]
        assert document == api.to_json(text)
        back = post(client, service, "alpha", "from-json", {"document": document})["text"]
        assert back == api.format(text)


def test_format_keeps_the_leading_comments(client: TestClient, service: Service) -> None:
    text = "# lapsed buyers\n# (spring campaign)\norder(status=paid).count>=3"
    assert post(client, service, "alpha", "format", {"text": text})["text"] == api.format(text)


def test_from_json_checks_names_unless_told_not_to(client: TestClient, service: Service) -> None:
    document = api.to_json("order(status = payed)")
    response = client.post("/v1/shops/alpha/text/from-json", json={"document": document},
                           headers=service.headers("alpha"))
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid_segment"
    assert [d["code"] for d in error["diagnostics"]] == ["E0203"]
    unchecked = post(client, service, "alpha", "from-json", {"document": document, "check": False})
    assert unchecked["text"] == "order(status = payed)"


def test_json_schema_is_the_librarys(client: TestClient, service: Service) -> None:
    response = client.get("/v1/shops/alpha/text/json-schema", headers=service.headers("alpha"))
    assert response.json() == api.json_schema()


def test_dialects_are_the_compilers() -> None:
    assert set(Dialect.__args__) == set(DIALECTS)


@pytest.mark.parametrize("dialect", sorted(DIALECTS))
def test_sql_is_the_compilers(client: TestClient, service: Service, dialect: str) -> None:
    ctx = shop_context(service.config.shops["alpha"], NOW)
    for text in EXAMPLES:
        compiled = compile_sql(api.check(text), dialect=dialect)
        result = post(client, service, "alpha", "sql", {"text": text, "dialect": dialect, "now": NOW_TEXT})
        assert result["sql"] == compiled.sql
        values = compiled.parameters(ctx)
        params = result["parameters"]
        assert [p["name"] for p in params] == [p.name for p in compiled.params]  # type: ignore[index,union-attr]
        for p in params:  # type: ignore[union-attr]
            assert p["value"] == _as_json(values[p["name"]])  # type: ignore[index]


def _as_json(value: object) -> object:
    """A parameter value as the API shows it: instants in ISO 8601 with their offset, decimals as exact text."""
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    return value


def test_sql_without_now_gives_no_values(client: TestClient, service: Service) -> None:
    result = post(client, service, "alpha", "sql", {"text": EXAMPLES[0]})
    assert all(p["value"] is None for p in result["parameters"])  # type: ignore[union-attr,index]


def test_a_bad_segment_is_422_with_diagnostics(client: TestClient, service: Service) -> None:
    for op in ("format", "to-json", "sql", "count", "explain"):
        body = {"text": "order(status = paid", "member_id": "x"} if op == "explain" else {"text": "order(status = paid"}
        response = client.post(f"/v1/shops/alpha/text/{op}", json=body, headers=service.headers("alpha"))
        assert response.status_code == 422, op
        error = response.json()["error"]
        assert error["code"] == "invalid_segment"
        assert error["diagnostics"][0]["code"] == "E0002"


@pytest.mark.parametrize("shop", ["alpha", "beta"])
def test_count_is_the_audience_of_the_callers_own_store(client: TestClient, service: Service, shop: str) -> None:
    engine = open_engine(service.stores[shop])
    ctx = shop_context(service.config.shops[shop], NOW)
    try:
        for text in EXAMPLES:
            result = post(client, service, shop, "count", {"text": text, "now": NOW_TEXT})
            assert result["count"] == len(run_sql(engine, text, ctx)), text
    finally:
        engine.dispose()


def test_the_two_shops_counts_differ(client: TestClient, service: Service) -> None:
    counts = {shop: [post(client, service, shop, "count", {"text": t, "now": NOW_TEXT})["count"] for t in EXAMPLES]
              for shop in ("alpha", "beta")}
    assert counts["alpha"] != counts["beta"]


def test_a_naive_now_is_wall_clock_time_in_the_shops_zone(client: TestClient, service: Service) -> None:
    text = "order(ordered_at within last 1d)"
    aware = post(client, service, "beta", "count", {"text": text, "now": NOW_TEXT})
    naive = post(client, service, "beta", "count", {"text": text, "now": NOW.replace(tzinfo=None).isoformat()})
    assert aware == naive
    assert aware["now"] == NOW_TEXT


def test_explain_is_the_librarys_for_the_callers_customer(client: TestClient, service: Service) -> None:
    engine = open_engine(service.stores["beta"])
    ctx = shop_context(service.config.shops["beta"], NOW)
    try:
        for member in service.members["beta"][:5]:
            for text in EXAMPLES[:6]:
                got = post(client, service, "beta", "explain", {"text": text, "member_id": member, "now": NOW_TEXT})
                customer = load_customer(engine, member)
                assert customer is not None
                assert got == explain(api.check(text), customer, ctx).to_dict()
    finally:
        engine.dispose()


def test_explain_never_reaches_another_shops_customer(client: TestClient, service: Service) -> None:
    only_in_beta = sorted(set(service.members["beta"]) - set(service.members["alpha"]))[0]
    body = {"text": "order()", "member_id": only_in_beta, "now": NOW_TEXT}
    response = client.post("/v1/shops/alpha/text/explain", json=body, headers=service.headers("alpha"))
    assert response.status_code == 404
    assert response.json()["error"] == {"code": "not_found", "message": "the shop has no customer with this member_id",
                                        "field": "body.member_id"}
    assert only_in_beta not in response.text
    assert post(client, service, "beta", "explain", body)["member_id"] == only_in_beta


@pytest.mark.parametrize("now", ["0001-01-01T00:00:00", "0001-01-01T00:00:00+09:00", "9999-12-31T23:59:59Z",
                                 "1099-12-31T23:59:59Z"])
def test_a_now_out_of_range_is_422_naming_the_field(client: TestClient, service: Service, now: str) -> None:
    for op, extra in (("count", {}), ("explain", {"member_id": service.members["alpha"][0]}), ("sql", {})):
        response = client.post(f"/v1/shops/alpha/text/{op}", json={"text": "cart()", "now": now, **extra},
                               headers=service.headers("alpha"))
        assert response.status_code == 422, response.text
        assert response.json()["error"] == {"code": "invalid_request", "field": "body.now",
                                            "message": "now must lie between 1100-01-01 and 9898-12-31 (UTC)"}
