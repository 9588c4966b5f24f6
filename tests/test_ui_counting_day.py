"""A whole counting day through the real windows, keyboard only, in one scripted day.

At the officer's desk: twenty polling stations' sheets found with Ctrl+F, typed with Enter
(three with a mistake the form catches live and the officer fixes), signed with Ctrl+S after
the real passphrase dialog; one corrected with Ctrl+E and a reason typed into its dialog; a
21st sheet double-entered with Ctrl+Shift+D, one digit mistyped the second time and caught; a
22nd with a photo of the paper attached by Ctrl+Shift+P through Qt's file dialog; then the
day's records exported as a USB bundle from the File menu (Alt+F). A second operator, in
his own laptop's window, types different numbers for one of the day's stations, signs them
and exports his bundle the same way. At the supervisor's desk (another window, on the
supervisor's own data folder): both bundles imported from the File menu, Ctrl+B to the
board, Enter on the dispute, the right version chosen and the other rejected with a reason,
in one signed step.

Every key goes to whatever widget has the focus, or to the open menu (tests/desk.py); no
widget method is called to drive the windows. What remains outside the keyboard, and why:
- the second operator's and the supervisor's identities are made and certified by the demo
  authority in setup (``demo.init_demo``, what ``recap init --demo`` does); everything they
  then do (his sheet, his bundle, her imports and decision) is typed in their windows;
- the offscreen platform has no window manager: ``activateWindow`` stands in for it when a
  window or a dialog opens or closes.
The results are checked where a user relies on them: the signed records in the stores and
the supervisor's totals. Offscreen in CI; under ``xvfb-run`` by hand.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import pytest

from recap_desktop.domain.chasil_demo import random_sheet
from recap_desktop.protocol.photos import describe
from recap_desktop.services import Workspace
from recap_desktop.services import demo as demo_service
from recap_desktop.services import identity as identity_service
from recap_desktop.services import sheets as sheet_service
from recap_desktop.services.election import current_election
from recap_desktop.services.recap import recap_region
from recap_desktop.services.verify import verify_store
from recap_desktop.ui import i18n
from recap_desktop.ui.keyholder import KeyHolder
from recap_desktop.ui.main_window import MainWindow
from recap_desktop.ui.qt import QApplication, QSettings, Qt, QThreadPool
from recap_desktop.ui.settings import Settings
from recap_desktop.ui.supervisor_desk import DisputeDialog
from tests.desk import CTRL, Officer
from tests.photo_support import png

DISTRICT = "32.01.01"
SHEETS = 20
# Three sheets with a slip of the finger on a line that a rule checks: caught as typed.
MISTAKES = {2: {"total": +10}, 9: {"voted_total": +1}, 15: {"valid": -3}}


def open_desk(qtbot, ws: Workspace, settings_file: Path) -> MainWindow:
    """The real main window on ``ws``, with the real passphrase dialog."""
    i18n.install("en")
    settings = Settings(QSettings(str(settings_file), QSettings.Format.IniFormat))
    keys = KeyHolder(ws, settings.idle_minutes)
    win = MainWindow(ws, settings, keys=keys, verify_on_open=False)
    qtbot.addWidget(win)
    win.resize(1100, 600)
    win.show()
    qtbot.waitExposed(win)
    win.activateWindow()
    qtbot.waitUntil(lambda: win.election is not None)
    return win


@pytest.fixture
def window(qtbot, demo_ws: Workspace, tmp_path: Path) -> Iterator[MainWindow]:
    win = open_desk(qtbot, demo_ws, tmp_path / "settings.ini")
    yield win
    win.close()
    QThreadPool.globalInstance().waitForDone()  # the photo's reading ends inside this test


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


def export_by_menu(officer: Officer, out: Path) -> str:
    """File > Export a USB bundle (Alt+F, Down to it, Enter), the path typed into the file
    dialog; returns what the window then says."""
    told: list[str] = []
    officer.answer_file_dialog(str(out))
    officer.read_next_box(told)
    officer.menu(Qt.Key.Key_F, officer.window.export_bundle_action)
    officer.qtbot.waitUntil(lambda: bool(told))  # type: ignore[attr-defined]
    return told[0]


def second_officer_bundle(qtbot, tmp_path: Path, station: str, values: dict[str, int]) -> Path:
    """Budi Santoso's laptop: his own identity made and certified by the demo authority in
    setup (what ``recap init --demo`` does), then his window: the station's sheet as he read
    it typed with Enter, signed with Ctrl+S, and his USB bundle exported from the File menu."""
    ws = Workspace(tmp_path / "op-2")
    demo_service.init_demo(ws, officer_id="op-2", name="Budi Santoso")
    win = open_desk(qtbot, ws, tmp_path / "op-2-settings.ini")
    try:
        budi = Officer(qtbot, win)
        budi.answer_dialog(identity_service.DEMO_PASSPHRASE)
        budi.count_sheet(station, values)
        status = ws.store.sheets.status(station, "ppwp")
        assert status is not None and status["state"] == "signed", win.form.banner.text()
        out = tmp_path / "op-2-bundle.json"
        told = export_by_menu(budi, out)
        assert "written to the bundle" in told and out.exists(), told
    finally:
        win.close()
        ws.close()
    return out


def test_a_counting_day_typed_with_the_keyboard_alone(
    qtbot, window: MainWindow, demo_ws: Workspace, tmp_path: Path
) -> None:
    officer = Officer(qtbot, window)
    papers = counting_day(officer, demo_ws)

    assert len(officer.sheets) == SHEETS
    assert sum(s.mistakes_caught for s in officer.sheets) == len(MISTAKES)
    for station, values in papers.items():  # what was signed is what the papers say
        status = demo_ws.store.sheets.status(station, "ppwp")
        assert status is not None and status["state"] == "signed", station
        assert demo_ws.store.records.get(status["current"]).payload["values"] == values

    clean = [s for n, s in enumerate(officer.sheets) if n not in MISTAKES]
    keys = sum(s.keys for s in clean) / len(clean)
    # Ctrl+F, the code, Enter, each field's digits and Enter, Ctrl+S: nothing more.
    assert keys <= 3 + len(clean[0].station) + 17 * 5

    # The fifth paper was misread after all: corrected with a reason, from the keyboard.
    stations = day_stations(demo_ws, SHEETS + 2)
    fifth = stations[4]
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
    papers[fifth] = fixed

    # The 21st sheet by double entry: typed twice blind, one digit off the second time.
    double = stations[SHEETS]
    papers[double] = paper(demo_ws, double, seed=SHEETS)
    assert officer.double_entry(double, papers[double], slip="v_p02"), "the slip was not shown"
    status = demo_ws.store.sheets.status(double, "ppwp")
    assert status is not None and status["state"] == "signed", window.form.banner.text()
    record = demo_ws.store.records.get(status["current"])
    assert record.payload["values"] == papers[double]  # the mistyped digit never signed
    assert record.payload["double_entry"] == {"second": None}

    # The 22nd with a photo of the paper, attached through the file dialog before signing.
    photographed = stations[SHEETS + 1]
    papers[photographed] = paper(demo_ws, photographed, seed=SHEETS + 1)
    page = tmp_path / "c-hasil.png"
    page.write_bytes(png(400, 300, seed=22))
    officer.open_station(photographed)
    officer.type_sheet(papers[photographed])
    officer.attach_photo(str(page))
    officer.save()
    status = demo_ws.store.sheets.status(photographed, "ppwp")
    assert status is not None and status["state"] == "signed", window.form.banner.text()
    record = demo_ws.store.records.get(status["current"])
    assert record.payload["values"] == papers[photographed]
    assert record.payload["photos"] == [describe(page.read_bytes()).to_json()]
    assert verify_store(demo_ws).ok

    # The day's records leave on a USB stick: File > Export a USB bundle, its path typed.
    mine = tmp_path / "op-1-bundle.json"
    told = export_by_menu(officer, mine)
    assert "written to the bundle" in told and mine.exists(), told

    # Another operator read the first station's paper with two candidates swapped.
    disputed = stations[0]
    theirs = dict(papers[disputed])
    theirs["v_p01"], theirs["v_p02"] = theirs["v_p02"], theirs["v_p01"]
    assert theirs != papers[disputed]
    others = second_officer_bundle(qtbot, tmp_path, disputed, theirs)

    # The supervisor's desk, on the supervisor's own folder: both bundles in by the File menu.
    boss_ws = Workspace(tmp_path / "boss")
    demo_service.init_demo(
        boss_ws, officer_id="pengawas-1", role="supervisor", jurisdiction=DISTRICT
    )
    boss = open_desk(qtbot, boss_ws, tmp_path / "boss-settings.ini")
    try:
        supervisor = Officer(qtbot, boss)
        for bundle in (mine, others):
            said: list[str] = []
            supervisor.answer_file_dialog(str(bundle))
            supervisor.read_next_box(said)
            supervisor.menu(Qt.Key.Key_F, boss.import_bundle_action)
            qtbot.waitUntil(lambda said=said: bool(said))
            assert "refused" not in said[0] and "new record" in said[0], said
        assert boss_ws.store.sheets.status(disputed, "ppwp")["state"] == "disputed"

        # Ctrl+B: the board; Down to the one dispute, Enter: the versions side by side.
        tree = boss.desk.tree
        first = "1 dispute: officers signed different numbers"  # the import's reload is in
        qtbot.waitUntil(lambda: tree.topLevelItem(0) and tree.topLevelItem(0).text(0) == first)
        supervisor.press(Qt.Key.Key_B, CTRL)
        qtbot.waitUntil(lambda: QApplication.focusWidget() is boss.desk.tree)
        supervisor.press(Qt.Key.Key_Down)
        assert tree.currentItem().text(0) == disputed
        supervisor.press(Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: isinstance(QApplication.activeModalWidget(), DisputeDialog))
        dialog = QApplication.activeModalWidget()
        assert isinstance(dialog, DisputeDialog)
        qtbot.waitUntil(lambda: QApplication.focusWidget() is dialog.choice)
        # The paper says what the first officer typed: Down until that version is chosen.
        versions = dialog.dispute.versions
        [right] = [v for v in versions if v.values == papers[disputed]]
        [wrong] = [v for v in versions if v is not right]
        assert (right.officer, wrong.officer) == ("Petugas Demo", "Budi Santoso")
        for _ in range(versions.index(right)):
            supervisor.press(Qt.Key.Key_Down)
        supervisor.press(Qt.Key.Key_Tab)
        assert QApplication.focusWidget() is dialog.reason
        supervisor.type("paper C.Hasil checked: 01 and 02 swapped by op-2")
        supervisor.answer_dialog(identity_service.DEMO_PASSPHRASE)  # the supervisor's key
        supervisor.press(Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: not dialog.isVisible())

        status = boss_ws.store.sheets.status(disputed, "ppwp")
        assert status["state"] == "approved" and status["current"] == right.hash
        reviews = {r["sheet"]: r for r in boss_ws.store.sheets.reviews(disputed, "ppwp")}
        assert reviews[right.hash]["decision"] == "approve"
        assert reviews[wrong.hash]["decision"] == "reject"
        assert reviews[wrong.hash]["reason"] == "paper C.Hasil checked: 01 and 02 swapped by op-2"
        me = identity_service.show_identity(boss_ws).key_id
        assert {r["signer"] for r in reviews.values()} == {me}  # the supervisor's own key
        assert verify_store(boss_ws).ok  # every signature checks, reviews included

        # The district's totals count every sheet of the day, the dispute as decided.
        [totals] = recap_region(boss_ws, DISTRICT, "ppwp")
        assert totals.counted == len(papers)
        for fid in ("v_p01", "v_p02", "valid", "total"):
            assert totals.sums[fid] == sum(p[fid] for p in papers.values()), fid
    finally:
        boss.close()
        boss_ws.close()
