"""Screenshots of each main screen, in Indonesian and English, from the real window.

Run under a virtual X server (``make screenshots`` does it):
``xvfb-run -s "-screen 0 1400x900x24" .venv/bin/python docs/screenshots/take.py``.
The data is the DEMO election with a few states worth seeing: a correction, a dispute, an
approval, a rejection, an approved sheet its officer changed since, one record edited behind
the program's back, and a station whose only sheet was signed by a key the authority then
revoked (it no longer counts).
"""

from __future__ import annotations

import random
import sqlite3
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from recap_desktop.crypto import authority
from recap_desktop.crypto.keys import SigningKey
from recap_desktop.domain.chasil_demo import random_sheet
from recap_desktop.domain.election import format_time
from recap_desktop.services import Workspace
from recap_desktop.services import admission as admission_service
from recap_desktop.services import demo as demo_service
from recap_desktop.services import identity as identity_service
from recap_desktop.services import sheets as sheet_service
from recap_desktop.services.election import current_election
from recap_desktop.storage.store import DB_NAME
from recap_desktop.ui import i18n
from recap_desktop.ui.keyholder import KeyHolder
from recap_desktop.ui.main_window import MainWindow
from recap_desktop.ui.qt import QApplication, QSettings, QWidget
from recap_desktop.ui.settings import Settings
from recap_desktop.ui.wizard import FirstRunWizard

OUT = Path(__file__).resolve().parent
STATION = "32.01.01.2003.005"  # not entered: the form is open for typing
REVOKED_AT = 21  # the station (by sorted code) whose only sheet a revoked key signed


def operator(ws: Workspace, name: str, officer_id: str) -> SigningKey:
    key = SigningKey.generate()
    ident = identity_service.Identity(
        key.key_id, key.public_key, name, officer_id, "operator", True, None
    )
    demo_service.certify(ws, ident, role="operator", jurisdiction="32")
    return key


def operator_folder(root: Path) -> Workspace:
    ws = Workspace(root / "operator")
    demo_service.init_demo(ws)
    key = identity_service.unlock(ws, identity_service.DEMO_PASSPHRASE)
    demo_service.populate(ws, key, stations=23)
    election = current_election(ws)
    code = sorted(election.stations)[1]
    first = sheet_service.sheet_history(ws, code, "ppwp")["current"]
    values = dict(ws.store.records.get(first).payload["values"])  # type: ignore[union-attr]
    values["disabled_voted"] = 0
    sheet_service.enter_sheet(
        ws, key, code, "ppwp", values, supersedes=first, reason="Baris B.2 salah baca / misread"
    )
    return ws


def supervisor_folder(root: Path) -> Workspace:
    ws = Workspace(root / "supervisor")
    demo_service.init_demo(ws, officer_id="pengawas-1", role="supervisor")
    sup = identity_service.unlock(ws, identity_service.DEMO_PASSPHRASE)
    a = operator(ws, "Siti Rahayu", "ptg-001")
    b = operator(ws, "Agus Setiawan", "ptg-002")
    demo_service.populate(ws, a, stations=20)
    election = current_election(ws)
    codes = sorted(election.stations)
    other = random_sheet(
        election.contests["ppwp"], election.stations[codes[2]].registered, random.Random(99)
    )
    sheet_service.enter_sheet(ws, b, codes[2], "ppwp", other)  # a dispute
    for code, decision, reason in (
        (codes[0], "approve", None),
        (codes[1], "reject", "Angka tidak sesuai formulir kertas / does not match the paper"),
    ):
        current = sheet_service.sheet_history(ws, code, "ppwp")["current"]
        sheet_service.review_sheet(ws, sup, current, decision, reason)
    # Approved, then changed by its officer: on the board until reviewed again.
    approved = sheet_service.sheet_history(ws, codes[3], "ppwp")["current"]
    sheet_service.review_sheet(ws, sup, approved, "approve", None)
    changed = dict(ws.store.records.get(approved).payload["values"])  # type: ignore[union-attr]
    changed["v_p01"], changed["v_p02"] = changed["v_p02"], changed["v_p01"]
    sheet_service.enter_sheet(
        ws, a, codes[3], "ppwp", changed, supersedes=approved, reason="Salah salin / copied wrong"
    )
    stolen = operator(ws, "Dewi Lestari", "ptg-003")  # her laptop is stolen after one sheet
    sheet_service.enter_sheet(
        ws,
        stolen,
        codes[REVOKED_AT],
        "ppwp",
        random_sheet(
            election.contests["ppwp"],
            election.stations[codes[REVOKED_AT]].registered,
            random.Random(7),
        ),
    )
    now = format_time(datetime.now(UTC))
    revocation = authority.revocations(
        demo_service.demo_authority(),
        election=demo_service.ELECTION_ID,
        version=1,
        issued=now,
        revoked=[{"key_id": stolen.key_id, "reason": "laptop dicuri / stolen", "time": now}],
    )
    assert not admission_service.admit_into(ws, [revocation], "import").refused
    victim = ws.store.sheets.versions(codes[5], "dpr-jabar-1")[0]["hash"]
    ws.close()
    db = sqlite3.connect(ws.data_dir / DB_NAME)
    db.execute("DROP TRIGGER records_no_update")
    (payload,) = db.execute("SELECT payload FROM records WHERE hash = ?", [victim]).fetchone()
    db.execute(
        "UPDATE records SET payload = ? WHERE hash = ?",
        [payload.replace('"valid":', '"valid":1', 1), victim],
    )
    db.commit()
    db.close()
    return Workspace(ws.data_dir)


def chair_folder(root: Path) -> Workspace:
    """A sub-district chair with every station's sheets, and one witness's objection open."""
    from recap_desktop.services import plenary as plenary_service

    ws = Workspace(root / "chair")
    demo_service.init_demo(ws, officer_id="ketua-ppk-1", role="chair")
    chair = identity_service.unlock(ws, identity_service.DEMO_PASSPHRASE)
    a = operator(ws, "Siti Rahayu", "ptg-001")
    demo_service.populate(ws, a, stations=30)
    for contest in ("ppwp", "dpr-jabar-1"):
        plenary_service.sign_dhasil(ws, chair, "32.01.01", contest, final=False)
    plenary_service.file_objection(
        ws,
        chair,
        place="32.01.01.2002.004",
        contest="ppwp",
        subject="Suara paslon 02 tertulis 41, saksi mencatat 42 / witness counted 42",
        witness_name="Budi Hartono",
        represents="02. Citra Lestari - Dimas Wibowo",
        paper="D.Kejadian Khusus No. 1",
    )
    return ws


def settle(app: QApplication, rounds: int = 30) -> None:
    for _ in range(rounds):
        app.processEvents()


def save(widget: QWidget, name: str) -> None:
    path = OUT / name
    widget.grab().save(str(path))
    print(path)


def window(ws: Workspace, settings: Settings, app: QApplication) -> MainWindow:
    keys = KeyHolder(ws, 15, ask=lambda parent, hint: identity_service.DEMO_PASSPHRASE)
    win = MainWindow(ws, settings, keys=keys, verify_on_open=False)
    win.resize(1360, 860)
    win.show()
    while win.election is None:
        app.processEvents()
    settle(app)
    return win


def plenary_shots(lang: str, root: Path, app: QApplication) -> None:
    i18n.install(lang)
    settings = Settings(QSettings(str(root / f"{lang}.ini"), QSettings.Format.IniFormat))
    settings.language = lang
    ws = chair_folder(root / lang)
    win = window(ws, settings, app)
    win.show_region("32.01.01")
    win.tabs.setCurrentIndex(3)
    settle(app)
    save(win, f"plenary-{lang}.png")
    win.tabs.setCurrentIndex(1)
    while win.recap.pending is not None:
        app.processEvents()
    settle(app)
    save(win, f"recap-chart-{lang}.png")
    win.close()
    ws.close()


def desk_shots(lang: str, root: Path, app: QApplication) -> None:
    """The supervisor's desk: the board of a district, and a dispute side by side."""
    i18n.install(lang)
    settings = Settings(QSettings(str(root / f"{lang}-desk.ini"), QSettings.Format.IniFormat))
    settings.language = lang
    ws = supervisor_folder(root / lang / "desk")
    win = window(ws, settings, app)
    handle = win.supervisor.start_verification()  # finds the edited record, sets it aside
    while handle.running:
        app.processEvents()
    settle(app)
    win.tabs.setCurrentWidget(win.desk)
    win.desk.show_region("32.01.01")
    settle(app)
    save(win, f"desk-board-{lang}.png")
    code = sorted(current_election(ws).stations)[2]
    dialog = win.desk.open_dispute(code, "ppwp")
    assert dialog is not None
    dialog.resize(820, 760)
    settle(app)
    save(dialog, f"desk-dispute-{lang}.png")
    dialog.close()
    win.close()
    ws.close()


def shots(lang: str, root: Path, app: QApplication) -> None:
    plenary_shots(lang, root, app)
    i18n.install(lang)
    settings = Settings(QSettings(str(root / f"{lang}.ini"), QSettings.Format.IniFormat))
    settings.language = lang

    ws = operator_folder(root / lang)
    win = window(ws, settings, app)
    win.regions.select_station(STATION)
    settle(app)
    form = win.form
    election = current_election(ws)
    values = random_sheet(
        election.contests["ppwp"], election.stations[STATION].registered, random.Random(4)
    )
    values["voted_total"] += 2  # a slip the form catches as it is typed
    for fid, value in values.items():
        if fid in ("valid", "invalid", "total"):
            continue
        form.edits[fid].setText(str(value))
    form.edits["disabled_voted"].setFocus()
    settle(app)
    save(win, f"sheet-{lang}.png")

    code = sorted(election.stations)[1]
    win.regions.select_station(code)
    settle(app)
    save(win, f"history-{lang}.png")

    win.show_region("32.01")
    win.tabs.setCurrentIndex(1)
    while win.recap.pending is not None:
        app.processEvents()
    settle(app)
    save(win, f"recap-{lang}.png")
    win.close()
    ws.close()

    ws = supervisor_folder(root / lang)
    win = window(ws, settings, app)
    win.tabs.setCurrentIndex(2)
    handle = win.supervisor.start_verification()
    while handle.running:
        app.processEvents()
    settle(app)
    win.supervisor.table.selectRow(0)
    settle(app)
    save(win, f"verification-{lang}.png")
    win.tabs.setCurrentIndex(0)
    win.regions.select_station(sorted(current_election(ws).stations)[REVOKED_AT])
    settle(app)
    save(win, f"revoked-{lang}.png")
    win.sync.update_sync_status(False, 41, None, "server 10.0.0.5 unreachable")
    settle(app)
    win.close()
    ws.close()

    wizard = FirstRunWizard(Workspace(root / lang / "fresh"))
    wizard.resize(720, 480)
    wizard.show()
    settle(app)
    save(wizard, f"first-run-{lang}.png")
    wizard.page(FirstRunWizard.CHOICE).real.setChecked(True)  # type: ignore[attr-defined]
    wizard.next()
    page = wizard.currentPage()
    page.name.setText("Siti Rahayu")  # type: ignore[attr-defined]
    page.officer_id.setText("ptg-001")  # type: ignore[attr-defined]
    page.passphrase.setText("kopi pagi di balai desa")  # type: ignore[attr-defined]
    page.repeat.setText("kopi pagi di balai desa")  # type: ignore[attr-defined]
    settle(app)
    save(wizard, f"identity-{lang}.png")
    wizard.close()


def entry_shots(lang: str, root: Path, app: QApplication) -> None:
    """The warnings dialog of an all-zero sheet, and a double entry's third look at the paper."""
    from recap_desktop.ui.warnings_dialog import WarningsDialog

    i18n.install(lang)
    settings = Settings(QSettings(str(root / f"{lang}-entry.ini"), QSettings.Format.IniFormat))
    settings.language = lang
    ws = Workspace(root / lang / "entry")
    demo_service.init_demo(ws)
    key = identity_service.unlock(ws, identity_service.DEMO_PASSPHRASE)
    demo_service.populate(ws, key, stations=24)  # 4 other stations of STATION's village
    win = window(ws, settings, app)
    win.regions.select_station(STATION)
    settle(app)
    form = win.form
    assert form.station is not None and form.contest is not None
    zeros = form.contest.form.template()
    for fid, edit in form.edits.items():
        edit.setText(str(zeros[fid]))
    fired = sheet_service.sheet_warnings(ws, form.station, form.contest, zeros)
    dialog = WarningsDialog(fired, win)
    dialog.reason.setText("TPS tidak dibuka: banjir (berita acara No. 7)")
    dialog.show()
    settle(app)
    save(dialog, f"warnings-{lang}.png")
    dialog.close()

    election = current_election(ws)
    values = random_sheet(
        election.contests["ppwp"], election.stations[STATION].registered, random.Random(4)
    )
    win.regions.select_station(STATION)
    settle(app)
    form.start_double_entry()
    double = form.double_dialog
    for fid, edit in double.first.edits.items():
        edit.setText(str(values[fid]))
    double._first_done()
    slip = {**values, "v_p02": values["v_p02"] + 10}
    for fid, edit in double.second.edits.items():
        edit.setText(str(slip[fid]))
    double._second_done()
    settle(app)
    save(double, f"double-entry-{lang}.png")
    double.reject()
    win.close()
    ws.close()


def paper_photo(values: dict[str, int], title: str, seed: int) -> bytes:
    """A JPEG that looks like a phone photo of a C.Hasil page: the form's lines, and the
    numbers written in by hand (slightly off the lines, as a pen writes them)."""
    from recap_desktop.ui.qt import (
        QBuffer,
        QColor,
        QFont,
        QImage,
        QIODevice,
        QPainter,
        QPen,
        QRect,
        Qt,
    )

    rng = random.Random(seed)
    image = QImage(1240, 1754, QImage.Format.Format_RGB32)
    image.fill(QColor(236, 232, 220))
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.fillRect(QRect(60, 50, 1120, 1650), QColor(250, 249, 244))
    painter.setPen(QPen(QColor(30, 30, 30), 3))
    painter.setFont(QFont("DejaVu Sans", 30, QFont.Weight.Bold))
    painter.drawText(QRect(60, 80, 1120, 60), Qt.AlignmentFlag.AlignCenter, title)
    painter.setFont(QFont("DejaVu Sans", 18))
    painter.drawText(
        QRect(60, 140, 1120, 40),
        Qt.AlignmentFlag.AlignCenter,
        f"TPS {STATION} · Pemilu Presiden dan Wakil Presiden 2024",
    )
    y = 220
    for number, (fid, value) in enumerate(values.items(), 1):
        painter.setPen(QPen(QColor(120, 120, 120), 1))
        painter.drawRect(QRect(100, y, 1040, 60))
        painter.drawLine(880, y, 880, y + 60)
        painter.setPen(QPen(QColor(40, 40, 40), 1))
        painter.setFont(QFont("DejaVu Sans", 16))
        painter.drawText(QRect(120, y, 740, 60), Qt.AlignmentFlag.AlignVCenter, f"{number}. {fid}")
        painter.setPen(QPen(QColor(20, 40, 140), 2))
        painter.setFont(QFont("DejaVu Serif", 28, QFont.Weight.Normal, True))
        jitter = rng.randint(-6, 6)
        painter.drawText(QRect(900, y + jitter, 220, 60), Qt.AlignmentFlag.AlignCenter, str(value))
        y += 66
        if y > 1600:
            break
    painter.end()
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "JPEG", 85)
    return bytes(buffer.data().data())


def photo_shots(lang: str, root: Path, app: QApplication) -> None:
    """The photos of the paper beside the numbers: zoomed on the officer's desk; one photo
    missing and one altered on the supervisor's."""
    i18n.install(lang)
    settings = Settings(QSettings(str(root / f"{lang}.ini"), QSettings.Format.IniFormat))
    settings.language = lang
    ws = Workspace(root / lang / "photos-operator")
    demo_service.init_demo(ws)
    key = identity_service.unlock(ws, identity_service.DEMO_PASSPHRASE)
    election = current_election(ws)
    values = random_sheet(
        election.contests["ppwp"], election.stations[STATION].registered, random.Random(4)
    )
    pages = [paper_photo(values, "MODEL C.HASIL-PPWP", 1), paper_photo(values, "C.HASIL hal. 2", 2)]
    sheet_service.enter_sheet(ws, key, STATION, "ppwp", values, photos=pages)
    win = window(ws, settings, app)
    win.regions.select_station(STATION)
    settle(app)
    view = win.form.photos.view
    view.setFocus()
    for _ in range(3):
        view.zoom_by(1.25)
    view.centerOn(900, 300)
    settle(app)
    save(win, f"photos-{lang}.png")
    win.close()

    sup = Workspace(root / lang / "photos-supervisor")
    demo_service.init_demo(sup, officer_id="pengawas-1", role="supervisor")
    held = [r.record for r in ws.store.records.rows() if r.record and r.record.type != "election"]
    assert not admission_service.admit_into(sup, held, "import").refused
    ws.close()
    from recap_desktop.protocol.photos import describe

    first = describe(pages[0])  # the second page was never fetched: missing
    sup.store.photos.path(first.sha256).parent.mkdir(parents=True, exist_ok=True)
    sup.store.photos.path(first.sha256).write_bytes(pages[1])  # altered behind our back
    win = window(sup, settings, app)
    win.regions.select_station(STATION)
    settle(app)
    save(win, f"photos-supervisor-{lang}.png")
    win.close()
    sup.close()


def officer_shots(lang: str, root: Path, app: QApplication) -> None:
    """The officer's desk on a laptop's screen: a refused sheet with every broken rule listed
    and the broken field in view, the status bar in plain words and local time, F1's help."""
    i18n.install(lang)
    settings = Settings(QSettings(str(root / f"desk-{lang}.ini"), QSettings.Format.IniFormat))
    settings.language = lang
    ws = operator_folder(root / f"desk-{lang}")
    win = window(ws, settings, app)
    win.resize(1100, 620)
    win.regions.select_station(STATION)
    settle(app)
    form = win.form
    election = current_election(ws)
    values = random_sheet(
        election.contests["ppwp"], election.stations[STATION].registered, random.Random(4)
    )
    values["voted_total"] += 2  # two slips: the voters' sum and the ballots used
    values["total"] += 1
    for fid, value in values.items():
        form.edits[fid].setText(str(value))
    win.sync.update_sync_status(
        False,
        1,
        "2026-02-14T10:00:00Z",
        "HTTPConnectionPool(host='10.0.0.5', port=443): Max retries exceeded",
        None,
        "connection",
    )
    form.save()  # refused: every broken rule in the list, the first broken field in view
    settle(app)
    save(win, f"sheet-refused-{lang}.png")
    win.show_help()
    settle(app)
    for dialog in win.findChildren(QWidget):
        if dialog.isWindow() and dialog.isVisible() and dialog is not win:
            save(dialog, f"help-{lang}.png")
            dialog.close()
    win.close()
    ws.close()


def main() -> int:
    app = QApplication(sys.argv[:1])
    only_plenary = "--plenary" in sys.argv[1:]  # the recapitulation's screens alone
    only_entry = "--entry" in sys.argv[1:]  # the warnings dialog and double entry alone
    only_photos = "--photos" in sys.argv[1:]  # the photos of the paper alone
    only_desk = "--desk" in sys.argv[1:]  # the supervisor's desk alone
    only_officer = "--officer" in sys.argv[1:]  # the officer's desk alone
    with tempfile.TemporaryDirectory() as tmp:
        for lang in ("id", "en"):
            if only_plenary:
                plenary_shots(lang, Path(tmp), app)
            elif only_entry:
                entry_shots(lang, Path(tmp), app)
            elif only_photos:
                photo_shots(lang, Path(tmp), app)
            elif only_desk:
                desk_shots(lang, Path(tmp), app)
            elif only_officer:
                officer_shots(lang, Path(tmp), app)
            else:
                shots(lang, Path(tmp), app)
                desk_shots(lang, Path(tmp), app)
                entry_shots(lang, Path(tmp), app)
                photo_shots(lang, Path(tmp), app)
                officer_shots(lang, Path(tmp), app)
    return 0


if __name__ == "__main__":
    sys.exit(main())
