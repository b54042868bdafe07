"""``cafehub chat`` in a terminal: a signed-in member's order history and details, typed line by line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def test_a_member_reads_orders_and_details_in_the_terminal(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'shop.db'}"
    typed = "/orders\n1\n/quit\n"
    shown = subprocess.run([sys.executable, "-m", "cafehub", "chat", "--sample", "--db", db, "--member", "m0001",
                            "--lang", "en"], input=typed, capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    assert "Here are your latest orders." in shown.stdout
    assert "1. #" in shown.stdout  # the first order's "Details", pressed by typing 1
    assert "Details of order" in shown.stdout
    assert "Traceback" not in shown.stderr
    again = subprocess.run([sys.executable, "-m", "cafehub", "chat", "--db", db, "--lang", "xx"],
                           input="", capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert again.returncode != 0
    assert "--lang" in again.stdout + again.stderr
