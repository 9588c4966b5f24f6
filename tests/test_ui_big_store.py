"""The window on a store of 100,000 signed sheets: it opens, and stays usable while verifying.

The store is built once per session (about 40 seconds); the test then checks behaviour, not
times: the tree and a sheet load while the verification reports progress in the background,
the event loop keeps turning meanwhile, and cancel stops it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from recap_desktop.services import Workspace
from recap_desktop.services import demo as demo_service
from recap_desktop.services import identity as identity_service
from recap_desktop.ui.qt import QTimer
from tests.test_ui_window import Asker, open_window, settings  # noqa: F401  (fixture)

STATIONS = 50_000  # two contests each: 100,000 sheets


@pytest.fixture(scope="session")
def big_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data_dir = tmp_path_factory.mktemp("big") / "data"
    ws = Workspace(data_dir)
    demo_service.init_demo(ws, stations=STATIONS)
    key = identity_service.unlock(ws, identity_service.DEMO_PASSPHRASE)
    demo_service.populate(ws, key, batch=5000)
    assert ws.store.records.count("sheet") == 2 * STATIONS
    ws.close()
    return data_dir


@pytest.mark.slow
def test_window_opens_on_100000_records_while_verifying(
    qtbot,
    big_store: Path,
    settings,  # noqa: F811
) -> None:
    ws = Workspace(big_store)
    window = open_window(qtbot, ws, settings, Asker())
    view = window.supervisor
    handle = view.running
    assert handle is not None, "the whole store is being verified in the background"
    assert window.cancel_button.isVisible() and window.task_bar.isVisible()

    ticks: list[int] = []
    timer = QTimer()
    timer.timeout.connect(lambda: ticks.append(1))
    timer.start(0)
    last = max(code for chunk in ws.store.places.station_contest_lists() for code, _, _ in chunk)
    window.regions.select_station(last)
    assert window.station_code == last
    assert window.form.mode == "view" and window.form.edits["valid"].text() != ""
    assert window.history.rowCount() == 1
    for _ in range(2):
        with qtbot.waitSignal(handle.progressed, timeout=60_000):
            pass
    assert ticks, "the event loop turned while the store was being verified"
    timer.stop()
    assert view.running is handle

    with qtbot.waitSignal(handle.ended, timeout=60_000):
        window.cancel_button.click()
    assert view.summary.text() == "Verification cancelled."
    assert not window.cancel_button.isVisible()
    window.close()
    ws.close()
