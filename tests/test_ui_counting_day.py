"""A whole counting day at the officer's desk, through the real window, keyboard only.

Twenty polling stations' sheets are found with Ctrl+F, typed with Enter (three with a
mistake the form catches live and the officer fixes), signed with Ctrl+S after the real
passphrase dialog, and one is corrected with Ctrl+E and a reason typed into its dialog.
Every key goes to whatever widget has the focus (tests/desk.py); the results are checked in
the store, as a supervisor or the server would read them. Offscreen in CI, Xvfb by hand.

Other desks add their steps to ``counting_day`` (a double-entered sheet, a photo attached,
a dispute resolved on the supervisor's desk) with ``Officer``'s ``press`` and ``type``.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import pytest

from recap_desktop.domain.chasil_demo import random_sheet
from recap_desktop.services import Workspace
from recap_desktop.services import identity as identity_service
from recap_desktop.services import sheets as sheet_service
from recap_desktop.services.election import current_election
from recap_desktop.services.verify import verify_store
from recap_desktop.ui import i18n
from recap_desktop.ui.keyholder import KeyHolder
from recap_desktop.ui.main_window import MainWindow
from recap_desktop.ui.qt import QSettings
from recap_desktop.ui.settings import Settings
from tests.desk import Officer

DISTRICT = "32.01.01"
SHEETS = 20
# Three sheets with a slip of the finger on a line that a rule checks: caught as typed.
MISTAKES = {2: {"total": +10}, 9: {"voted_total": +1}, 15: {"valid": -3}}


@pytest.fixture
def window(qtbot, demo_ws: Workspace, tmp_path: Path) -> Iterator[MainWindow]:
    i18n.install("en")
    settings = Settings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    keys = KeyHolder(demo_ws, settings.idle_minutes)  # the real passphrase dialog
    win = MainWindow(demo_ws, settings, keys=keys, verify_on_open=False)
    qtbot.addWidget(win)
    win.resize(1100, 600)
    win.show()
    qtbot.waitExposed(win)
    win.activateWindow()
    qtbot.waitUntil(lambda: win.election is not None)
    yield win
    win.close()


def day_stations(ws: Workspace, count: int = SHEETS) -> list[str]:
    election = current_election(ws)
    codes = sorted(c for c in election.stations if c.startswith(DISTRICT + "."))
    return codes[:count]


def paper(ws: Workspace, station: str, seed: int) -> dict[str, int]:
    """The numbers on a station's paper C.Hasil (consistent: every rule holds)."""
    election = current_election(ws)
    contest = election.contests["ppwp"]
    return random_sheet(contest, election.stations[station].registered, random.Random(seed))


def counting_day(officer: Officer, ws: Workspace) -> dict[str, dict[str, int]]:
    """The day's sheets, typed as the papers come; returns what each paper says."""
    papers: dict[str, dict[str, int]] = {}
    officer.answer_dialog(identity_service.DEMO_PASSPHRASE)  # asked once, at the first save
    for n, station in enumerate(day_stations(ws)):
        papers[station] = paper(ws, station, seed=n)
        slips = {f: papers[station][f] + d for f, d in MISTAKES.get(n, {}).items()}
        log = officer.count_sheet(station, papers[station], mistakes=slips)
        assert log.mistakes_caught == len(slips), f"{station}: a mistake was not caught live"
        assert officer.window.form.mode == "view", officer.window.form.banner.text()
    return papers


def test_a_counting_day_typed_with_the_keyboard_alone(
    qtbot, window: MainWindow, demo_ws: Workspace
) -> None:
    officer = Officer(qtbot, window)
    papers = counting_day(officer, demo_ws)

    assert len(officer.sheets) == SHEETS
    assert sum(s.mistakes_caught for s in officer.sheets) == len(MISTAKES)
    for station, values in papers.items():  # what was signed is what the papers say
        status = demo_ws.store.sheets.status(station, "ppwp")
        assert status is not None and status["state"] == "signed", station
        assert demo_ws.store.records.get(status["current"]).payload["values"] == values

    # The fifth paper was misread after all: corrected with a reason, from the keyboard.
    fifth = day_stations(demo_ws)[4]
    fixed = dict(papers[fifth])
    first = demo_ws.store.sheets.status(fifth, "ppwp")["current"]
    giver, taker = ("v_p01", "v_p02") if fixed["v_p01"] else ("v_p02", "v_p01")
    fixed[giver] -= 1  # one ballot counted for the wrong candidate
    fixed[taker] += 1
    officer.open_station_viewed(fifth)
    officer.press_correct()
    for fid in (giver, taker):
        officer.retype(fid, fixed[fid])
    officer.answer_dialog("One ballot was read for the wrong candidate", then=officer.TAB_TO_OK)
    officer.save()
    history = sheet_service.sheet_history(demo_ws, fifth, "ppwp")
    assert history["state"] == "corrected", window.form.banner.text()
    current = demo_ws.store.records.get(history["current"])
    assert current.payload["values"] == fixed
    assert current.payload["supersedes"] == first
    assert current.payload["reason"] == "One ballot was read for the wrong candidate"
    assert verify_store(demo_ws).ok

    clean = [s for n, s in enumerate(officer.sheets) if n not in MISTAKES]
    keys = sum(s.keys for s in clean) / len(clean)
    # Ctrl+F, the code, Enter, each field's digits and Enter, Ctrl+S: nothing more.
    assert keys <= 3 + len(clean[0].station) + 17 * 5
