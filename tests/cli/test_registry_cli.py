"""``cafehub segment save/list/show/history/delete``, and saved segments in check, sql, run and explain."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest


def run(cwd: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([sys.executable, "-m", "cafehub", *args], input=stdin, capture_output=True, text=True,
                            cwd=cwd, timeout=120)
    assert "Traceback" not in result.stderr, result.stderr
    return result


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    """A working directory with an empty embedded store."""
    assert run(tmp_path, "store", "init").returncode == 0
    return tmp_path


def test_save_show_history_and_list(shop: Path) -> None:
    saved = run(shop, "segment", "save", "vip", "order(status = paid).count >= 3", "-m", "three paid orders",
                "--by", "mina")
    assert saved.returncode == 0
    assert saved.stdout.strip() == "saved 'vip' version 1 (shop default)"
    (shop / "vip.seg").write_text("# five now\norder(status = paid).count >= 5\n", encoding="utf-8")
    assert run(shop, "segment", "save", "vip", "-f", "vip.seg", "--by", "jun").returncode == 0
    same = run(shop, "segment", "save", "vip", "-f", "vip.seg")
    assert same.stdout.strip() == "'vip' unchanged: version 2 already has this text"

    shown = run(shop, "segment", "show", "vip")
    assert "version:     2 of 2" in shown.stdout
    assert "description: three paid orders" in shown.stdout
    assert shown.stdout.endswith("# five now\norder(status = paid).count >= 5\n\n")
    assert run(shop, "segment", "show", "vip", "--version", "1", "--text").stdout == "order(status = paid).count >= 3\n"

    history = json.loads(run(shop, "segment", "history", "vip", "--json").stdout)
    assert [(v["version"], v["saved_by"]) for v in history] == [(1, "mina"), (2, "jun")]
    assert history[0]["ast"]["segment"]["type"] == "compare"

    listed = json.loads(run(shop, "segment", "list", "--json").stdout)
    assert [(i["name"], i["latest_version"], i["description"]) for i in listed] == [("vip", 2, "three paid orders")]


def test_an_invalid_segment_is_not_saved(shop: Path) -> None:
    result = run(shop, "segment", "save", "vip", "order(status = payed)")
    assert result.returncode == 1
    assert "error[E0203]: unknown status 'payed'; did you mean 'paid'?" in result.stderr
    assert json.loads(run(shop, "segment", "list", "--json").stdout) == []


def test_saved_segments_work_in_check_sql_run_and_explain(shop: Path) -> None:
    run(shop, "segment", "save", "buyers", "order()")
    assert run(shop, "segment", "check", 'segment("buyers") and cart()').returncode == 0
    unknown = run(shop, "segment", "check", 'segment("buyer")')
    assert unknown.returncode == 1
    assert "did you mean 'buyers'?" in unknown.stderr
    sql = run(shop, "segment", "sql", 'segment("buyers")', "--dialect", "postgres")
    assert sql.returncode == 0
    assert '"orders"' in sql.stdout
    assert run(shop, "segment", "run", 'segment("buyers")', "--now", "2026-01-01T00:00:00Z").stdout == ""
    other = run(shop, "segment", "check", 'segment("buyers")', "--shop", "osaka-tea")
    assert other.returncode == 1
    assert "E0801" in other.stderr


def test_a_text_without_references_needs_no_store(tmp_path: Path) -> None:
    assert run(tmp_path, "segment", "check", "cart()").returncode == 0
    assert not (tmp_path / "cafehub.db").exists()
    needs = run(tmp_path, "segment", "check", 'segment("vip")')
    assert needs.returncode == 1
    assert "there is no store" in needs.stderr


def test_delete_is_soft_and_refused_while_in_use(shop: Path) -> None:
    run(shop, "segment", "save", "base", "cart()")
    run(shop, "segment", "save", "uses-base", 'segment("base") and coupon()')
    refused = run(shop, "segment", "delete", "base")
    assert refused.returncode == 1
    assert refused.stderr.strip() == "error: segment 'base' is used by 'uses-base'; change or delete those first"
    assert run(shop, "segment", "delete", "uses-base").returncode == 0
    assert run(shop, "segment", "delete", "base").returncode == 0
    assert json.loads(run(shop, "segment", "list", "--json").stdout) == []
    assert "(deleted)" in run(shop, "segment", "list", "--deleted").stdout
    assert run(shop, "segment", "show", "base", "--text").stdout == "cart()\n"


def test_user_mistakes_are_one_line_errors(shop: Path) -> None:
    assert run(shop, "segment", "show", "nope").stderr.strip() == "error: no saved segment 'nope'"
    bad = run(shop, "segment", "save", "bad name", "cart()")
    assert bad.returncode == 2
    assert bad.stderr.startswith("error: a segment name is")
    assert run(shop, "segment", "list", "--shop", "Bad Shop").returncode == 2
    run(shop, "segment", "save", "vip", "cart()")
    missing = run(shop, "segment", "show", "vip", "--version", "4")
    assert missing.stderr.strip() == "error: segment 'vip' has no version 4 (its versions are 1 to 1)"
