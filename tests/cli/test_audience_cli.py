"""``cafehub segment audience/snapshot/snapshots/membership`` as a user runs them: all agree with `segment run`."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine

from cafehub.store import records as rec
from cafehub.store.io import create_schema, write_shop

NOW = "2025-06-01T09:00:00+09:00"
IDS = ["m1", "M1", "a", "회원", "é", "o'neil", "x,y", 'q"uote']


def run(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([sys.executable, "-m", "cafehub", *args], capture_output=True, text=True, cwd=cwd,
                            timeout=120)
    assert "Traceback" not in result.stderr, result.stderr
    return result


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    engine = create_engine(f"sqlite:///{tmp_path / 'cafehub.db'}")
    create_schema(engine)
    write_shop(engine, rec.ShopData(
        customers=tuple(rec.Customer(m, name=f"이름 {m}", cellphone="010-1234-5678" if i % 3 else None,
                                     email=f"{i}@example.com") for i, m in enumerate(IDS)),
        orders=tuple(rec.Order(f"o{i}", m, datetime(2025, 1, 1), "paid" if i % 4 else "canceled", 0, 0, 0)
                     for i, m in enumerate(IDS)),
        customer_consents=tuple(rec.CustomerConsent(m, i % 2 == 0, None if i == 1 else True)
                                for i, m in enumerate(IDS) if i != 2),
    ))
    engine.dispose()
    assert run(tmp_path, "segment", "save", "paid", "order(status = paid)").returncode == 0
    return tmp_path


def test_csv_and_jsonl_audiences_are_the_run_ids_with_contacts(shop: Path) -> None:
    ids = run(shop, "segment", "run", 'segment("paid")', "--now", NOW).stdout.splitlines()
    assert len(ids) == 6
    table = list(csv.reader(io.StringIO(run(shop, "segment", "audience", "paid", "--now", NOW).stdout)))
    assert table[0] == ["member_id", "name", "cellphone", "email", "sms_consent", "email_consent"]
    assert [row[0] for row in table[1:]] == ids
    by_id = {row[0]: row for row in table[1:]}
    assert by_id["x,y"] == ["x,y", "이름 x,y", "", "6@example.com", "true", "true"]
    assert by_id["a"][4:] == ["", ""]  # no consent row: unknown
    lines = run(shop, "segment", "audience", "paid", "--now", NOW, "--format", "jsonl").stdout.splitlines()
    records = [json.loads(line) for line in lines]
    assert [r["member_id"] for r in records] == ids
    assert next(r for r in records if r["member_id"] == "M1")["email_consent"] is None
    assert run(shop, "segment", "audience", "paid", "--now", NOW, "--count").stdout.strip() == "6"


def test_a_snapshot_is_shown_again_exactly(shop: Path) -> None:
    first = run(shop, "segment", "audience", "paid", "--now", NOW, "--snapshot", "june-mail")
    assert first.returncode == 0
    run(shop, "segment", "save", "paid", "order(status = canceled)")
    again = run(shop, "segment", "snapshot", "june-mail")
    assert again.stdout == first.stdout
    assert run(shop, "segment", "audience", "paid", "--now", NOW, "--count").stdout.strip() == "2"
    info = run(shop, "segment", "snapshot", "june-mail", "--info").stdout
    assert "segment:     paid version 1" in info
    assert "send time:   2025-06-01T09:00:00+09:00 (Asia/Seoul)" in info
    assert "members:     6" in info
    repeat = run(shop, "segment", "audience", "paid", "--now", NOW, "--snapshot", "june-mail")
    assert repeat.returncode == 1
    assert "already has a recorded audience" in repeat.stderr
    assert "june-mail" in run(shop, "segment", "snapshots").stdout
    assert run(shop, "segment", "snapshot", "july").stderr.strip() == "error: no recorded audience for campaign 'july'"


def test_a_reader_that_stops_early_is_not_an_error(shop: Path) -> None:
    done = subprocess.run(f"{sys.executable} -m cafehub segment audience paid --now {NOW} | head -n 1",
                          shell=True, capture_output=True, text=True, cwd=shop, timeout=120)
    assert done.stdout == "member_id,name,cellphone,email,sms_consent,email_consent\n"
    assert done.stderr == ""


def test_mistakes_are_one_line_errors(shop: Path) -> None:
    assert run(shop, "segment", "audience", "nope", "--now", NOW).stderr.strip() == "error: no saved segment 'nope'"
    assert run(shop, "segment", "audience", "paid", "--format", "xml").returncode == 2
    assert "is not an ISO 8601" in run(shop, "segment", "audience", "paid", "--now", "soon").stderr


def test_membership_lists_the_saved_segments_a_customer_is_in(shop: Path) -> None:
    run(shop, "segment", "save", "canceled", "order(status = canceled)")
    paid = set(run(shop, "segment", "run", 'segment("paid")', "--now", NOW).stdout.splitlines())
    for member in IDS:
        found = json.loads(run(shop, "segment", "membership", "--member", member, "--now", NOW, "--json").stdout)
        assert ("paid" in found["segments"]) == (member in paid)
        assert ("canceled" in found["segments"]) == (member not in paid)
    shown = run(shop, "segment", "membership", "--member", "m1", "--now", NOW, "--explain").stdout
    assert "in 1 of 2 saved segment(s)" in shown
    assert "✓ canceled  version 1" in shown
    assert "order(status = canceled)" in shown
    missing = run(shop, "segment", "membership", "--member", "nobody", "--now", NOW)
    assert missing.returncode == 1
    assert missing.stderr.strip() == "error: no customer with member id 'nobody' in the store"
    assert "did you mean 'paid'" in run(shop, "segment", "membership", "--member", "a", "--segment", "pad").stderr
