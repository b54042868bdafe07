"""Engines with the canonical schema, for tests that run segments on real databases.

The test suite's session fixtures hand out one scratch database per server
for the whole session. Property tests replace every row of the store for
each example, so they must not share tables with tests that load a shop
once and read it many times: :func:`private_namespace` gives them their own
namespace inside (PostgreSQL: a schema on the search path) or next to
(MySQL/MariaDB: a sibling database) that scratch database, dropped
afterwards. Embedded engines (SQLite, DuckDB) get a file in a directory the
caller owns.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import StaticPool

from cafehub.store import records as rec
from cafehub.store.io import create_schema, write_shop


def canonical_engine(url: str) -> Engine:
    """An engine for ``url`` with the canonical tables created (where missing)."""
    in_memory = url in ("sqlite://", "sqlite:///:memory:")
    engine = create_engine(url, poolclass=StaticPool) if in_memory else create_engine(url)
    create_schema(engine)
    return engine


def embedded_urls(directory: Path) -> dict[str, str]:
    """File URLs for SQLite and DuckDB under ``directory``."""
    return {"sqlite": f"sqlite:///{directory / 'store.sqlite'}", "duckdb": f"duckdb:///{directory / 'store.duckdb'}"}


@contextmanager
def private_namespace(url: str, suffix: str) -> Iterator[str]:
    """A URL whose tables live apart from everything else in the scratch database at ``url``.

    PostgreSQL: a schema ``<suffix>`` first on the search path. MySQL/MariaDB:
    a database named ``<scratch database>_<suffix>``. Dropped on exit.
    """
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if not suffix.isidentifier():
        raise ValueError(f"namespace suffix must be an identifier, not {suffix!r}")
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        if backend == "postgresql":
            with admin.connect() as conn:
                conn.execute(text(f'DROP SCHEMA IF EXISTS "{suffix}" CASCADE'))
                conn.execute(text(f'CREATE SCHEMA "{suffix}"'))
            query = dict(parsed.query)
            query["options"] = f"-csearch_path={suffix}"
            yield parsed.set(query=query).render_as_string(hide_password=False)
            with admin.connect() as conn:
                conn.execute(text(f'DROP SCHEMA IF EXISTS "{suffix}" CASCADE'))
        elif backend in ("mysql", "mariadb"):
            name = f"{parsed.database}_{suffix}"
            with admin.connect() as conn:
                conn.execute(text(f"DROP DATABASE IF EXISTS `{name}`"))
                conn.execute(text(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4"))
            yield parsed.set(database=name).render_as_string(hide_password=False)
            with admin.connect() as conn:
                conn.execute(text(f"DROP DATABASE IF EXISTS `{name}`"))
        else:
            yield url
    finally:
        admin.dispose()


def load(engine: Engine, data: rec.ShopData) -> None:
    """Replace every row of the store with ``data``."""
    write_shop(engine, data, replace=True)


__all__ = ["canonical_engine", "embedded_urls", "load", "private_namespace"]
