"""Shared fixtures: every test gets its own data folder and real SQLite file, as a user would."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from recap_desktop.cli import main as cli_main
from recap_desktop.crypto.keys import SigningKey
from recap_desktop.services import Workspace
from recap_desktop.services import demo as demo_service
from recap_desktop.services import identity as identity_service

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["RECAP_LANG"] = "en"

SHARED = Path(__file__).resolve().parents[2] / "shared"
VECTORS = SHARED / "vectors"


@dataclass
class CliResult:
    code: int
    out: str
    err: str


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def recap(data_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch):
    """Run the `recap` command in-process against this test's data folder."""
    monkeypatch.delenv("RECAP_PASSPHRASE", raising=False)

    def run(*args: str) -> CliResult:
        capsys.readouterr()
        code = cli_main(["--data-dir", str(data_dir), *args])
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return run


@pytest.fixture
def ws(data_dir: Path) -> Iterator[Workspace]:
    workspace = Workspace(data_dir)
    yield workspace
    workspace.close()


@pytest.fixture
def demo_ws(ws: Workspace) -> Workspace:
    """A workspace with the demo election and a certified operator."""
    demo_service.init_demo(ws)
    return ws


@pytest.fixture
def demo_key(demo_ws: Workspace) -> SigningKey:
    return identity_service.unlock(demo_ws, identity_service.DEMO_PASSPHRASE)
