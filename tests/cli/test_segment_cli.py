"""The `cafehub segment` commands, run as a user runs them (a real subprocess)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import cafehub


def run(*args: str, stdin: bytes | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, "-m", "cafehub", *args],
        input=stdin.decode("utf-8", "replace") if stdin is not None else None,
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=60,
    )
    assert "Traceback" not in result.stderr, result.stderr
    return result


def test_check_valid_segment() -> None:
    result = run("segment", "check", "order(status = paid).count >= 3")
    assert result.returncode == 0
    assert "valid" in result.stdout


def test_check_invalid_segment_renders_every_diagnostic() -> None:
    result = run("segment", "check", "order(status = payed) and cart(ordered_at > 1d ago)")
    assert result.returncode == 1
    assert "error[E0203]: unknown status 'payed'; did you mean 'paid'?" in result.stderr
    assert "error[E0205]" in result.stderr
    assert " --> segment:1:16" in result.stderr


def test_check_warnings_exit_zero() -> None:
    result = run("segment", "check", "cart(added_at < 8d ago)")
    assert result.returncode == 0
    assert "warning[W0602]" in result.stderr


def test_check_json_output() -> None:
    result = run("segment", "check", "--json", "order(status = payed)")
    assert result.returncode == 1
    data = json.loads(result.stdout)
    assert data["valid"] is False
    assert data["diagnostics"][0]["code"] == "E0203"
    assert (data["diagnostics"][0]["line"], data["diagnostics"][0]["column"]) == (1, 16)


def test_check_from_file_and_stdin(tmp_path: Path) -> None:
    seg = tmp_path / "a.seg"
    seg.write_text("# lapsed\norder(status = payed)\n", encoding="utf-8")
    result = run("segment", "check", "-f", str(seg))
    assert result.returncode == 1
    assert f"--> {seg}:2:16" in result.stderr
    assert run("segment", "check", "-", stdin=b"cart()").returncode == 0
    assert run("segment", "check", "-f", "-", stdin=b"cart(").returncode == 1


def test_user_mistakes_never_show_a_traceback(tmp_path: Path) -> None:
    assert run("segment", "check", "-f", str(tmp_path / "missing.seg")).returncode == 2
    assert run("segment", "check").returncode == 2
    assert run("segment", "fmt", "(" * 100_000).returncode == 1
    assert run("segment", "from-json", "{not json").returncode == 1


def test_input_that_is_not_utf8_is_e0006_located_in_its_file_and_in_json(tmp_path: Path) -> None:
    bad = tmp_path / "bad.seg"
    bad.write_bytes(b"# lapsed\norder(\xff)")
    for command in ("check", "fmt", "run"):
        result = run("segment", command, "-f", str(bad))
        assert result.returncode == 1, (command, result.stderr)
        assert result.stderr.startswith("error[E0006]: input is not valid UTF-8 (byte 15)\n"), result.stderr
        assert f" --> {bad}:2:7" in result.stderr
    as_json = run("segment", "check", "--json", "-f", str(bad))
    assert as_json.returncode == 1
    assert json.loads(as_json.stdout) == {"valid": False, "diagnostics": [{
        "code": "E0006", "severity": "error", "message": "input is not valid UTF-8 (byte 15)",
        "hints": ["save the segment as UTF-8 text"], "line": 2, "column": 7, "start": 15, "end": 16}]}
    piped = subprocess.run([sys.executable, "-m", "cafehub", "segment", "check", "--json", "-"],
                           input=bad.read_bytes(), capture_output=True, timeout=60)
    assert piped.returncode == 1
    assert json.loads(piped.stdout)["diagnostics"][0]["code"] == "E0006"
    assert b" --> <stdin>:2:7" in subprocess.run([sys.executable, "-m", "cafehub", "segment", "check", "-"],
                                                input=bad.read_bytes(), capture_output=True, timeout=60).stderr


def test_fmt_and_check_flag(tmp_path: Path) -> None:
    result = run("segment", "fmt", "ORDER(Status=PAID)")
    assert result.stdout.strip() == "order(Status = paid)"
    seg = tmp_path / "x.seg"
    seg.write_text("# keep me\norder( status=paid )\n", encoding="utf-8")
    assert run("segment", "fmt", "--check", "-f", str(seg)).returncode == 1
    assert run("segment", "fmt", "--write", "-f", str(seg)).returncode == 0
    assert seg.read_text(encoding="utf-8") == "# keep me\norder(status = paid)\n"
    assert run("segment", "fmt", "--check", "-f", str(seg)).returncode == 0


def test_fmt_refuses_a_width_that_means_nothing() -> None:
    result = run("segment", "fmt", "--width", "0", "cart(product = 1)")
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr.strip() == "error: --width must be at least 20 columns, not 0"
    with pytest.raises(ValueError, match="the line width must be at least 20 columns, not -1"):
        cafehub.format("cart()", width=-1)
    assert cafehub.format("cart(product = 1) and coupon()", width=20) == "cart(product = 1)\n  and coupon()"


def test_json_round_trip_through_the_cli() -> None:
    text = "no order(product = 42 and ordered_at within last 90d)"
    document = run("segment", "to-json", text).stdout
    assert json.loads(document)["version"] == 1
    back = run("segment", "from-json", "-", stdin=document.encode())
    assert back.returncode == 0
    assert back.stdout.strip() == text


def test_from_json_reports_names_against_canonical_text() -> None:
    doc = {"version": 1, "segment": {"type": "exists", "collection": "cart", "condition": {
        "type": "compare", "subject": {"type": "field", "name": "prodcut"}, "op": "=",
        "value": {"type": "int", "value": 1}}}}
    result = run("segment", "from-json", json.dumps(doc))
    assert result.returncode == 1
    assert "unknown field 'prodcut' in cart; did you mean 'product'?" in result.stderr


def test_schema_command_prints_the_published_schema() -> None:
    from cafehub import api

    assert json.loads(run("segment", "schema").stdout) == api.json_schema()


def test_an_integer_of_thousands_of_digits_is_a_diagnostic_not_a_traceback() -> None:
    result = run("segment", "check", "cart(quantity > " + "9" * 4_301 + ")")
    assert result.returncode == 1
    assert "error[E0304]: integer of 4,301 digits is out of range" in result.stderr
    assert " --> segment:1:17" in result.stderr


def _bounded_run(args: list[str], stdin: object = None) -> subprocess.CompletedProcess[str]:
    """Run the CLI with at most 1 GiB of address space: unbounded reading fails fast, never the machine."""
    import resource

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))

    return subprocess.run([sys.executable, "-m", "cafehub", *args], stdin=stdin, capture_output=True, text=True,
                          timeout=60, preexec_fn=limit)


def test_endless_input_is_read_only_up_to_the_limit() -> None:
    too_long = "error[E0101]: segment text is longer than 100,000 characters; the limit is 100,000"
    result = _bounded_run(["segment", "check", "-f", "/dev/zero"])
    assert (result.returncode, result.stderr.splitlines()[:1]) == (1, [too_long]), result.stderr[-2000:]
    with open("/dev/zero", "rb") as zero:
        result = _bounded_run(["segment", "check", "-"], stdin=zero)
    assert (result.returncode, result.stderr.splitlines()[:1]) == (1, [too_long]), result.stderr[-2000:]
    with open("/dev/zero", "rb") as zero:
        result = _bounded_run(["segment", "check", "--json", "-f", "-"], stdin=zero)
    assert result.returncode == 1, result.stderr[-2000:]
    assert [d["code"] for d in json.loads(result.stdout)["diagnostics"]] == ["E0101"]
    result = _bounded_run(["segment", "from-json", "-f", "/dev/zero"])
    assert (result.returncode, "E0101" in result.stderr) == (1, True), result.stderr[-2000:]


def test_a_file_at_the_limit_in_any_script_is_read_whole(tmp_path: Path) -> None:
    # The limit counts characters, not bytes: 100,000 characters of Hangul are 300,000 bytes.
    head, tail = 'coupon(name = "', '")'
    at_limit = tmp_path / "at_limit.seg"
    at_limit.write_text(head + "가" * (100_000 - len(head) - len(tail)) + tail, encoding="utf-8")
    assert run("segment", "check", "-f", str(at_limit)).returncode == 0
    over = tmp_path / "over.seg"
    over.write_text(head + "가" * (100_001 - len(head) - len(tail)) + tail, encoding="utf-8")
    result = run("segment", "check", "-f", str(over))
    assert result.returncode == 1
    assert "E0101" in result.stderr


def test_a_now_near_year_1_or_9999_is_one_line_and_exit_2(tmp_path: Path) -> None:
    for now in ("0001-01-01T00:00", "0001-01-01T00:00Z", "9999-12-31T23:59", "9999-12-31T23:59:59+14:00"):
        for command in (["run", "cart()"], ["sql", "cart()"], ["explain", "cart()", "--member", "m1"]):
            result = run("segment", *command, "--now", now, cwd=tmp_path)
            assert (result.returncode, result.stderr.strip()) == (
                2, "error: now must lie between 1100-01-01 and 9898-12-31 (UTC)"), (command, now)
