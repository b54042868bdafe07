"""The published OpenAPI document, fuzzed by schemathesis against the app.

Every operation gets generated requests (valid and invalid bodies) with a
token of shop ``alpha`` on alpha's path, so the route logic runs rather than
only the access check; schemathesis verifies that no request causes a 5xx,
that every status and body is one the document declares, and that invalid
requests are refused. Access itself is tested in test_access.py.

One check is left out: "schema-valid data is accepted". A JSON Schema cannot
say what a valid segment is, so a schema-valid ``text`` such as ``""`` is
rightly answered 422 ``invalid_segment`` with its diagnostics; that answer
is checked against its declared schema like every other.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import positive_data_acceptance

from cafehub.registry import SegmentRegistry
from cafehub.registry.audience import Snapshots
from cafehub.service.app import create_app
from cafehub.service.config import ShopConfig, parse_config
from cafehub.service.state import shop_context
from cafehub.store.engines import open_engine

from .conftest import NOW, Service, copy_stores, make_service


@pytest.fixture(scope="module")
def fuzzed_service(tmp_path_factory: pytest.TempPathFactory, shop_stores: dict[str, str]) -> Iterator[Service]:
    """The app over copies of the stores (fuzzing saves, deletes and records), alpha with a saved segment vip
    and a recorded campaign spring."""
    directory = Path(tmp_path_factory.mktemp("fuzz"))
    stores = copy_stores(shop_stores, directory)
    engine = open_engine(stores["alpha"])
    try:
        registry = SegmentRegistry(engine, "alpha")
        registry.save("vip", "order(status = paid).count >= 2", saved_by="setup")
        Snapshots(registry).take("spring", "vip", shop_context(ShopConfig(id="alpha", store="sqlite://"), NOW),
                                 taken_by="setup")
    finally:
        engine.dispose()
    made = make_service(directory, stores)
    yield made
    made.app.state.cafehub.close()


def _published_document() -> dict[str, Any]:
    """The OpenAPI document, from an app with no shops' data (the document does not depend on them)."""
    with tempfile.TemporaryDirectory() as directory:
        config = parse_config({"shops": {"alpha": {"store": "sqlite:///alpha.db"}}}, Path(directory))
        app = create_app(config)
        try:
            return app.openapi()
        finally:
            app.state.cafehub.close()


# Loaded at import, not from a fixture: schemathesis' lazy fixture loader does not work with pytest 9.2.
schema = schemathesis.openapi.from_dict(_published_document())


@schema.parametrize()
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
def test_every_operation_keeps_its_published_contract(case: Any, fuzzed_service: Service) -> None:
    if "shop" in (case.path_parameters or {}):
        case.path_parameters["shop"] = "alpha"
    if "name" in (case.path_parameters or {}) and case.method in ("GET", "POST"):
        case.path_parameters["name"] = "vip"  # reads and evaluations of a segment that exists; changes get any name
    if "campaign" in (case.path_parameters or {}):
        case.path_parameters["campaign"] = "spring"
    case.call_and_validate(app=fuzzed_service.app, headers=fuzzed_service.headers("alpha", "write"),
                           excluded_checks=[positive_data_acceptance])
