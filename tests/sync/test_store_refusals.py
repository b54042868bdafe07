"""A store that refuses the synced rows stops the sync with the table, the column and the kind of problem,
on PostgreSQL and MariaDB too, whose own messages quote the row ("Failing row contains (...)")."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from cafehub.sandbox.testing import serve
from cafehub.store import io as store_io
from cafehub.sync.engine import Syncer, SyncStopped
from cafehub.sync.state import sync_metadata

from .test_privacy import leaks, private_shop, secrets_of


@pytest.mark.parametrize("server", ["postgres", "mysql"])
def test_a_refused_row_is_named_by_table_and_column_never_by_its_values(
    tmp_path: Path, server: str, request: pytest.FixtureRequest
) -> None:
    private = private_shop()
    phoneless = private.customers[3]
    data = replace(private, customers=tuple(replace(c, cellphone=None) if c is phoneless else c
                                            for c in private.customers))
    target = create_engine(request.getfixturevalue(f"{server}_url"))
    try:
        store_io.drop_schema(target)
        sync_metadata.drop_all(target)
        store_io.create_schema(target)
        with target.begin() as conn:  # the shop's own rule: every member has a mobile number
            if server == "postgres":
                conn.execute(text("ALTER TABLE customers ALTER COLUMN cellphone SET NOT NULL"))
            else:
                kind = conn.execute(text("SELECT column_type FROM information_schema.columns WHERE "
                                         "table_schema = DATABASE() AND table_name = 'customers' AND "
                                         "column_name = 'cellphone'")).scalar_one()
                conn.execute(text(f"ALTER TABLE customers MODIFY cellphone {kind} NOT NULL"))
        with serve(tmp_path, data) as sb:
            client = sb.client()
            with pytest.raises(SyncStopped) as stopped:
                Syncer(client, target).run()
            client.close()
            message = str(stopped.value)
            assert "writing to table customers (column cellphone) failed: a required value is missing (NULL)" in (
                message)
            assert leaks(message, secrets_of(sb, private)) == []
    finally:
        store_io.drop_schema(target)
        sync_metadata.drop_all(target)
        target.dispose()
