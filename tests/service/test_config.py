"""The configuration file: shops, stores, settings; errors name the key, never the value."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from cafehub.service.config import ConfigError, default_config, load_config

SECRET_URL = "postgresql+psycopg://cafehub:hunter2-secret@db.internal/shop"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "cafehub.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_full_configuration(tmp_path: Path) -> None:
    path = write(tmp_path, f'''
database = "sqlite:///tokens.db"
[shops.gangnam-shoes]
store = "{SECRET_URL}"
zone = "Asia/Tokyo"
cart_retention_days = 14
history_start = 2025-01-01
[shops.osaka_tea]
store = "duckdb:///data/osaka.duckdb"
''')
    config = load_config(path)
    assert config.database == f"sqlite:///{tmp_path / 'tokens.db'}"
    shoes = config.shops["gangnam-shoes"]
    assert (shoes.id, shoes.store, shoes.zone, shoes.cart_retention_days, shoes.history_start) == (
        "gangnam-shoes", SECRET_URL, "Asia/Tokyo", 14, date(2025, 1, 1))
    tea = config.shops["osaka_tea"]
    assert tea.store == f"duckdb:///{tmp_path / 'data' / 'osaka.duckdb'}"
    assert (tea.zone, tea.cart_retention_days, tea.history_start) == ("Asia/Seoul", 7, date(2024, 1, 1))


def test_relative_paths_are_relative_to_the_file_not_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path, '[shops.a]\nstore = "sqlite:///a.db"\n')
    monkeypatch.chdir("/")
    config = load_config(path)
    assert config.shops["a"].store == f"sqlite:///{tmp_path / 'a.db'}"
    assert config.database == f"sqlite:///{tmp_path / 'cafehub-service.db'}"


def test_store_urls_can_come_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, '[shops.a]\nstore = "env:SHOP_A_URL"\n')
    monkeypatch.setenv("SHOP_A_URL", SECRET_URL)
    assert load_config(path).shops["a"].store == SECRET_URL
    monkeypatch.delenv("SHOP_A_URL")
    with pytest.raises(ConfigError, match=r"shops\.a\.store: the environment variable SHOP_A_URL is not set"):
        load_config(path)


@pytest.mark.parametrize(("body", "message"), [
    (f'[shops.a]\nstore = "{SECRET_URL}"\nzone = "Mars/Olympus"\n', r"shops\.a\.zone: not a known IANA time zone"),
    (f'[shops.a]\nstore = "{SECRET_URL}"\ncart_retention_days = 0\n', r"shops\.a\.cart_retention_days: .*"),
    (f'[shops.a]\nstore = "{SECRET_URL}"\nretention = 7\n', r"shops\.a\.retention: unknown key"),
    ('[shops.a]\nzone = "Asia/Seoul"\n', r"shops\.a\.store: missing"),
    (f'[shops."Bad Shop"]\nstore = "{SECRET_URL}"\n', r"shops: a shop id must be"),
    (f'database = "{SECRET_URL}"\n', r"shops: at least one"),
    (f'dtabase = "{SECRET_URL}"\n[shops.a]\nstore = "{SECRET_URL}"\n', r"dtabase: unknown key"),
    ("[shops.a\n", r"is not valid TOML"),
])
def test_errors_name_the_key_and_the_problem_never_the_value(tmp_path: Path, body: str, message: str) -> None:
    path = write(tmp_path, body)
    with pytest.raises(ConfigError, match=message) as caught:
        load_config(path)
    assert "hunter2" not in str(caught.value)
    assert str(path) in str(caught.value)


def test_a_missing_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="there is no configuration file"):
        load_config(tmp_path / "nope.toml")


def test_without_a_file_one_default_shop_on_the_embedded_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CAFEHUB_CONFIG", raising=False)
    assert load_config() == default_config(tmp_path)
    assert list(load_config().shops) == ["default"]
    assert load_config().shops["default"].store == f"sqlite:///{tmp_path / 'cafehub.db'}"


def test_the_environment_names_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, '[shops.from-env]\nstore = "sqlite:///x.db"\n')
    monkeypatch.chdir("/")
    monkeypatch.setenv("CAFEHUB_CONFIG", str(path))
    assert list(load_config().shops) == ["from-env"]


def test_several_workers_need_one_secret_and_shared_codes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``cafehub serve --workers N``: a chat token or a code from one worker must be good in the others."""
    from cafehub.cli.serve import shared_state_problem
    from cafehub.service.config import ServiceConfig, parse_config

    def config(codes: str | None) -> ServiceConfig:
        chat = {"key": "pk_shop_" + "k" * 20, "mall_id": "mall"} | ({"codes": codes} if codes else {})
        return parse_config({"shops": {"plain": {"store": "sqlite:///a.db"},
                                       "talk": {"store": "sqlite:///b.db", "chat": chat}}}, tmp_path)

    monkeypatch.delenv("CAFEHUB_OTP_SECRET", raising=False)
    assert shared_state_problem(parse_config({"shops": {"plain": {"store": "sqlite:///a.db"}}}, tmp_path)) is None
    assert "CAFEHUB_OTP_SECRET" in (shared_state_problem(config("redis://127.0.0.1:6379/0")) or "")
    monkeypatch.setenv("CAFEHUB_OTP_SECRET", "s" * 40)
    assert "talk" in (shared_state_problem(config(None)) or "")
    assert shared_state_problem(config("redis://127.0.0.1:6379/0")) is None
