"""Shared fixtures: every test gets its own data folder and real SQLite file, as a user would."""

from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

from recap_desktop.cli import main as cli_main
from recap_desktop.crypto.keys import SigningKey
from recap_desktop.services import Workspace
from recap_desktop.services import demo as demo_service
from recap_desktop.services import identity as identity_service

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Qt's per-user settings (QSettings: the window's own, and Qt's file dialog, which keeps its
# last folder and history in QtProject.conf) go to a folder of this run's, not to the
# user's: no test reads what an earlier run or the user left, nor writes to theirs.
os.environ["XDG_CONFIG_HOME"] = tempfile.mkdtemp(prefix="recap-tests-config-")
atexit.register(shutil.rmtree, os.environ["XDG_CONFIG_HOME"], True)

# A shared 2-core CI machine makes any per-example deadline a coin toss: properties are
# about results, never about time.
settings.register_profile(
    "recap", deadline=None, suppress_health_check=[HealthCheck.too_slow], print_blob=True
)
settings.load_profile("recap")
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


# -- shared demo data folders (core tests) ----------------------------------------------------
# Argon2 at 64 MiB costs a few tenths of a second per keystore, so the demo folder is made once
# per session and copied for each test that changes it.

TEMPLATE_STATIONS = 3


@dataclass(frozen=True)
class DemoTemplate:
    path: Path
    key: SigningKey


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> DemoTemplate:
    """`demo init` and `demo populate --stations 3`: a package, a certificate, six sheets."""
    path = tmp_path_factory.mktemp("demo-template") / "data"
    workspace = Workspace(path)
    try:
        demo_service.init_demo(workspace)
        key = identity_service.unlock(workspace, identity_service.DEMO_PASSPHRASE)
        demo_service.populate(workspace, key, stations=TEMPLATE_STATIONS)
    finally:
        workspace.close()
    return DemoTemplate(path, key)


@pytest.fixture
def populated_dir(demo_template: DemoTemplate, data_dir: Path) -> Path:
    """This test's own copy of the populated demo folder (the `recap` fixture's data folder)."""
    shutil.copytree(demo_template.path, data_dir)
    return data_dir


@pytest.fixture
def populated_ws(populated_dir: Path) -> Iterator[Workspace]:
    workspace = Workspace(populated_dir)
    yield workspace
    workspace.close()


@pytest.fixture
def populated_key(demo_template: DemoTemplate) -> SigningKey:
    """The demo operator's key of the populated folder, unlocked once per session."""
    return demo_template.key


# -- the server's tests on PostgreSQL (tests/pg_support.py) -------------------------------------
# Modules that start or use a server: the PostgreSQL pass runs them, and only them.
_SERVER_MARKS = (
    "sync_support",
    "pg_support",
    "open_ledger",
    "open_storage",
    "schemafuzz",
    '"recap_server"',
)
_PG_SKIPPED: list[str] = []


def _uses_server(item: pytest.Item) -> bool:
    path = Path(str(item.fspath))
    text = path.read_text(encoding="utf-8") if path.suffix == ".py" else ""
    return path.name.startswith(("test_server", "test_sync", "test_audit")) or (
        any(mark in text for mark in _SERVER_MARKS)
        and path.name not in ("test_layering.py", "test_packaging.py")
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    from tests import pg_support

    url = pg_support.test_database()
    if url is None:  # the SQLite pass: what only PostgreSQL has is its pass's, not skipped here
        elsewhere = [i for i in items if i.get_closest_marker("postgres_only")]
        config.hook.pytest_deselected(items=elsewhere)
        items[:] = [i for i in items if i not in elsewhere]
        return
    keep = [i for i in items if _uses_server(i)]
    config.hook.pytest_deselected(items=[i for i in items if i not in keep])
    items[:] = keep
    why = pg_support.unreachable(url)
    if why is None:
        return
    if os.environ.get(pg_support.REQUIRE_ENV) == "1":
        raise pytest.UsageError(
            f"PostgreSQL is required ({pg_support.REQUIRE_ENV}=1) but {url} cannot be"
            f" reached: {why}"
        )
    # Skipped as a whole, said once (pytest_terminal_summary), not once per test.
    _PG_SKIPPED.append(f"{len(items)} server tests, no PostgreSQL at {url} ({why})")
    config.hook.pytest_deselected(items=list(items))
    items[:] = []


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    """A crash prints the stack of the thread that crashed, alone: CI shows a part of long
    output, and with every thread's stack (pytest's default) the crashing one was cut."""
    import faulthandler

    if faulthandler.is_enabled():  # onto a copy of stderr made now, as pytest's own is
        faulthandler.enable(file=os.dup(sys.stderr.fileno()), all_threads=False)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if _PG_SKIPPED:
        terminalreporter.write_line(
            f"PostgreSQL pass skipped: {_PG_SKIPPED[0]}; start PostgreSQL there, or set"
            " RECAP_TEST_DATABASE to one that runs"
        )


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if _PG_SKIPPED and exitstatus == pytest.ExitCode.NO_TESTS_COLLECTED:
        session.exitstatus = pytest.ExitCode.OK  # nothing to run is not a failure here


@pytest.fixture(autouse=True)
def _cycles_collected_on_the_gui_thread(request: pytest.FixtureRequest) -> Iterator[None]:
    """A window's test collects cycles on the GUI thread only, as the program does (main()
    installs the same collector): set up before pytest-qt's fixtures and torn down after them,
    so every window the test made is collected here, on this thread."""
    if not {"qtbot", "qapp"} & set(request.fixturenames):
        yield
        return
    request.getfixturevalue("qapp")
    from recap_desktop.ui.collector import GuiThreadCollector

    collector = GuiThreadCollector()
    try:
        yield
    finally:
        collector.stop()


@pytest.fixture(autouse=True)
def _fresh_postgres_schemas() -> Iterator[None]:
    """Each test's servers get their own schemas on the PostgreSQL pass, dropped after."""
    yield
    from tests import pg_support

    pg_support.drop_schemas()
