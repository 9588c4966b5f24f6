"""The layering of docs/ARCHITECTURE.md, enforced: arrows point down, only ui/ touches Qt."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PKG = ROOT / "recap_desktop"

# package -> project packages it may import (besides itself)
ALLOWED = {
    "domain": set(),
    "crypto": {"domain"},
    "protocol": {"crypto", "domain"},
    "storage": {"crypto", "domain", "protocol"},
    "sync": {"crypto", "domain", "protocol", "storage"},
    "services": {"crypto", "domain", "protocol", "storage", "messages", "sync", "resources"},
}
# Leaf modules that import nothing of the project: the shipped files and the version.
LEAVES = {"resources", "version"}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _modules(package: str) -> list[Path]:
    return sorted((PKG / package).rglob("*.py")) if (PKG / package).exists() else []


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_package_imports_only_lower_layers(package: str) -> None:
    for path in _modules(package):
        for name in _imports(path):
            if name.startswith("PySide6"):
                pytest.fail(f"{path.relative_to(ROOT)} imports Qt ({name})")
            if name.startswith("recap_desktop."):
                target = name.split(".")[1]
                if target != package and target not in ALLOWED[package]:
                    pytest.fail(f"{path.relative_to(ROOT)} imports {name}: against the layering")


def test_only_ui_imports_qt() -> None:
    offenders = [
        str(path.relative_to(ROOT))
        for path in [*PKG.rglob("*.py"), *(ROOT / "recap_server").rglob("*.py")]
        if "ui" not in path.relative_to(PKG if PKG in path.parents else ROOT).parts[:1]
        and any(n.startswith("PySide6") for n in _imports(path))
    ]
    assert offenders == []


def test_server_uses_only_crypto_and_domain() -> None:
    for path in (ROOT / "recap_server").rglob("*.py"):
        for name in _imports(path):
            if name.startswith("recap_desktop."):
                assert name.split(".")[1] in {"crypto", "domain", "protocol", *LEAVES}, (
                    f"{path}: {name}"
                )


def test_core_runs_without_qt_loaded() -> None:
    """Transitively too: importing the CLI and every service must not pull Qt in."""
    code = (
        "import sys, recap_desktop.cli, recap_desktop.services.verify, recap_desktop.services.demo;"
        "bad = [m for m in sys.modules if m.startswith(('PySide6', 'recap_desktop.ui'))];"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_no_sql_outside_storage() -> None:
    """The UI, services and CLI call the store's methods; SQL lives in storage/ only."""
    keywords = ("SELECT ", "INSERT ", "UPDATE ", "DELETE FROM", "CREATE TABLE")
    for path in PKG.rglob("*.py"):
        rel = path.relative_to(PKG)
        if rel.parts[0] == "storage":
            continue
        source = path.read_text(encoding="utf-8")
        for word in keywords:
            assert word not in source, f"{rel} contains SQL ({word.strip()})"


@pytest.mark.parametrize("leaf", sorted(LEAVES))
def test_leaves_import_nothing_of_the_project(leaf: str) -> None:
    assert not [n for n in _imports(PKG / f"{leaf}.py") if n.startswith("recap_")]
