"""Imports flow one way (see ARCHITECTURE.md); this test keeps it so."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "cafehub"


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _modules(folder: str) -> list[Path]:
    return sorted((PACKAGE / folder).rglob("*.py"))


def _violations(folder: str, forbidden: tuple[str, ...]) -> list[str]:
    found = []
    for path in _modules(folder):
        for name in _imports(path):
            if name.startswith(forbidden):
                found.append(f"{path.relative_to(PACKAGE.parent)} imports {name}")
    return found


def test_grammar_depends_on_nothing_above_it() -> None:
    assert _violations("grammar", ("cafehub.compiler", "cafehub.store", "cafehub.connectors",
                                   "cafehub.runtime", "cafehub.execution", "cafehub.cli", "sqlglot",
                                   "sqlalchemy", "httpx")) == []


def test_compiler_does_not_touch_storage_network_or_runtime() -> None:
    assert _violations("compiler", ("cafehub.store", "cafehub.connectors", "cafehub.runtime",
                                    "cafehub.execution", "cafehub.registry", "cafehub.cli", "httpx")) == []


def test_the_registry_sits_below_the_cli_service_and_runtime() -> None:
    assert _violations("registry", ("cafehub.cli", "cafehub.service", "cafehub.runtime", "cafehub.connectors",
                                    "cafehub.sandbox", "cafehub.sync")) == []
    assert _violations("store", ("cafehub.registry",)) == []
    assert _violations("execution", ("cafehub.registry",)) == []


def test_only_the_sql_backend_imports_sqlglot_in_the_compiler() -> None:
    offenders = [
        v for v in _violations("compiler", ("sqlglot", "sqlalchemy"))
        if "compiler/backends/sql" not in v
    ]
    assert offenders == []


def test_connectors_do_not_import_the_compiler_or_runtime() -> None:
    assert _violations("connectors", ("cafehub.compiler", "cafehub.runtime", "cafehub.execution")) == []


def test_only_connectors_and_the_sandbox_use_httpx() -> None:
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(PACKAGE).as_posix()
        if rel.startswith(("connectors/", "sandbox/", "sync/")):
            continue
        if any(name == "httpx" or name.startswith("httpx.") for name in _imports(path)):
            offenders.append(rel)
    assert offenders == []


def test_sandbox_and_sync_stay_below_the_compiler_and_runtime() -> None:
    forbidden = ("cafehub.compiler", "cafehub.runtime", "cafehub.execution")
    assert _violations("sandbox", forbidden) == []
    assert _violations("sync", forbidden) == []


def test_runtime_identity_and_intent_stay_below_the_service() -> None:
    forbidden = ("cafehub.cli", "cafehub.service", "cafehub.sandbox", "cafehub.compiler", "cafehub.execution")
    assert _violations("runtime/identity", forbidden) == []
    assert _violations("runtime/conversations", forbidden) == []
    assert _violations("runtime/intent", (*forbidden, "cafehub.connectors", "cafehub.store", "sqlalchemy")) == []


def test_only_the_cli_imports_the_service() -> None:
    offenders = [v for folder in ("grammar", "compiler", "store", "connectors", "sandbox", "sync", "execution",
                                  "runtime", "demo", "testing")
                 for v in _violations(folder, ("cafehub.service", "fastapi"))]
    assert offenders == []


def test_the_service_does_not_import_the_cli() -> None:
    assert _violations("service", ("cafehub.cli",)) == []


def test_runtime_stays_below_the_cli_and_off_the_sandbox() -> None:
    assert _violations("runtime", ("cafehub.cli", "cafehub.service", "cafehub.sandbox", "cafehub.compiler")) == []


def test_runtime_rules_and_messages_do_no_io() -> None:
    io = ("cafehub.connectors", "cafehub.store", "cafehub.runtime.reads", "cafehub.runtime.executor",
          "cafehub.runtime.ledger", "sqlalchemy", "httpx", "starlette")
    assert _violations("runtime/rules", io) == []
    assert _violations("runtime/messages", io) == []


def test_the_chat_service_stays_off_the_sandbox_and_the_compiler() -> None:
    assert _violations("service/chat", ("cafehub.sandbox", "cafehub.compiler", "cafehub.cli", "httpx")) == []
