"""The main window: region tree on the left; sheet, recap and verification on the right.

It opens at once on any store: the window is built from the keystore alone, and the store is
first opened on a worker thread once the event loop runs, where the election's outline (name
and contest forms, not its stations) and the officer's certificate are read; the tree loads
branch by branch from the store's projections, and the whole store is verified in the
background after opening.
"""

from __future__ import annotations

import json
import platform
from collections.abc import Callable
from pathlib import Path
from typing import Any

from recap_desktop.domain.election import ElectionOutline, text
from recap_desktop.domain.recap import RECAP_LEVELS
from recap_desktop.messages import local_time, misbehaviour_name, network_error, problem_name
from recap_desktop.messages import tr as message
from recap_desktop.services import RecapError, Workspace
from recap_desktop.services import election as election_service
from recap_desktop.services import identity as identity_service
from recap_desktop.services import regions as region_service
from recap_desktop.services import sheets as sheet_service
from recap_desktop.ui import i18n
from recap_desktop.ui.desk import HelpDialog, ReceiptsDialog
from recap_desktop.ui.dialogs import ask_int, ask_text, warn
from recap_desktop.ui.history import HistoryPanel
from recap_desktop.ui.i18n import tr
from recap_desktop.ui.keyholder import KeyHolder
from recap_desktop.ui.plenary_view import PlenaryView
from recap_desktop.ui.qt import (
    QAction,
    QActionGroup,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QKeySequence,
    QLabel,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSplitter,
    Qt,
    QTabWidget,
    QTimer,
    QVBoxLayout,
    QWidget,
    plain_tip,
    qVersion,
)
from recap_desktop.ui.recap_view import RecapView
from recap_desktop.ui.region_tree import RegionPanel
from recap_desktop.ui.settings import Settings
from recap_desktop.ui.sheet_form import SheetForm
from recap_desktop.ui.supervisor import SupervisorView
from recap_desktop.ui.supervisor_desk import SupervisorDesk
from recap_desktop.ui.sync_status import SyncState, SyncStatus
from recap_desktop.ui.sync_worker import SyncWorker
from recap_desktop.ui.tasks import SHOW_PROGRESS_AFTER_MS, TaskHandle, TaskRunner
from recap_desktop.version import version

# How long the pages of a background pull must stop coming before the window reloads.
PULLED_RELOAD_MS = 1500


class MainWindow(QMainWindow):
    def __init__(
        self,
        ws: Workspace,
        settings: Settings,
        sync: SyncStatus | None = None,
        *,
        verify_on_open: bool = True,
        keys: KeyHolder | None = None,
        sync_worker: SyncWorker | None = None,
    ) -> None:
        super().__init__()
        self.ws = ws
        self.settings = settings
        self.sync = sync or SyncStatus()
        # The worker owns its thread and store connection; the window only pokes it and
        # listens to its status, so it never waits on the network.
        self.sync_worker = sync_worker
        if sync_worker is not None:
            sync_worker.status_changed.connect(self.sync.show_engine_status)
            sync_worker.status_changed.connect(self._engine_status)
        # What a background pull brought in is shown without the officer asking: states, the
        # board, the open sheet's history, once the pages stop coming (a fresh laptop pulls
        # hundreds of pages: one reload, not one per page).
        self._pulled_seen = 0
        self._pulled_reload = QTimer(self)
        self._pulled_reload.setSingleShot(True)
        self._pulled_reload.setInterval(PULLED_RELOAD_MS)
        self._pulled_reload.timeout.connect(self._show_pulled)
        # The keystore tells who the officer is; which certificate they hold is in the store,
        # read with the election on the worker thread (the store is not opened before the
        # window shows). Until then the status bar says nothing about certification.
        self.identity = identity_service.keystore_identity(ws)
        self.identity_known = False
        # Called after each opening of the election until one succeeds, with None or the
        # error; returns True when it dealt with the error (the app: first-run wizard).
        self.on_open: Callable[[BaseException | None], bool] | None = None
        self.opened = False
        self.election: ElectionOutline | None = None
        self.station_code: str | None = None
        self.verify_on_open = verify_on_open
        self.tasks = TaskRunner(ws.data_dir)
        self.keys = keys or KeyHolder(ws, settings.idle_minutes)
        if self.keys.tasks is None:
            self.keys.tasks = self.tasks  # the key unseals on the runner's thread
        self.resize(1280, 800)

        self.regions = RegionPanel(ws, self.tasks)
        self.regions.station_chosen.connect(self.show_station)
        self.regions.region_chosen.connect(self.show_region)

        sheet_page = QWidget()
        sheet_layout = QVBoxLayout(sheet_page)
        chooser = QHBoxLayout()
        self.contest_label = QLabel()
        self.contest = QComboBox()
        self.contest.currentIndexChanged.connect(self._contest_changed)
        chooser.addWidget(self.contest_label)
        chooser.addWidget(self.contest, 1)
        sheet_layout.addLayout(chooser)
        self.form = SheetForm(ws, self.keys, tasks=self.tasks)
        self.form.saved.connect(self._saved)
        self.history = HistoryPanel()
        self.history_label = QLabel()
        sheet_split = QSplitter(Qt.Orientation.Vertical)
        sheet_split.addWidget(self.form)
        history_box = QWidget()
        hb = QVBoxLayout(history_box)
        hb.setContentsMargins(0, 0, 0, 0)
        hb.addWidget(self.history_label)
        hb.addWidget(self.history)
        sheet_split.addWidget(history_box)
        sheet_split.setSizes([560, 160])
        sheet_layout.addWidget(sheet_split, 1)

        self.recap = RecapView(self.tasks)
        self.plenary = PlenaryView(ws, self.keys, tasks=self.tasks)
        self.plenary.signed.connect(self._plenary_signed)
        self.plenary.changed.connect(self._sync_now)
        self.supervisor = SupervisorView(ws, self.tasks, self.keys.key, self.identity.role)
        self.supervisor.reviewed.connect(self._reviewed)
        self.supervisor.verified.connect(self._verified)
        cert = self.identity.certificate
        self.desk = SupervisorDesk(
            ws,
            self.tasks,
            self.keys.key,
            self.identity.role,
            str(cert["jurisdiction"]) if cert else None,
        )
        self.desk.resolved.connect(self._reviewed)
        self.supervisor.compare.connect(self._compare)

        self.tabs = QTabWidget()
        self.tabs.addTab(sheet_page, "")
        self.tabs.addTab(self.recap, "")
        self.tabs.addTab(self.supervisor, "")
        self.tabs.addTab(self.plenary, "")
        self.tabs.addTab(self.desk, "")
        split = QSplitter()
        split.addWidget(self.regions)
        split.addWidget(self.tabs)
        split.setSizes([340, 940])
        central = QWidget()
        central_layout = QVBoxLayout(central)
        central_layout.setContentsMargins(4, 4, 4, 0)
        self.demo_banner = QLabel()
        self.demo_banner.setWordWrap(True)
        self.demo_banner.setStyleSheet(
            "background: #ffeb3b; color: #000; font-weight: bold; padding: 4px 8px;"
        )
        central_layout.addWidget(self.demo_banner)
        central_layout.addWidget(split, 1)
        self.setCentralWidget(central)
        self.who = QLabel()
        self.key_state = QLabel()
        self.sync_label = QLabel()
        self.task_label = QLabel()
        self.task_bar = QProgressBar()
        self.task_bar.setMaximumWidth(160)
        self.cancel_button = QPushButton()
        self.cancel_button.clicked.connect(self._cancel_task)
        bar = self.statusBar()
        bar.addWidget(self.who)
        bar.addWidget(self.key_state)
        bar.addPermanentWidget(self.task_label)
        bar.addPermanentWidget(self.task_bar)
        bar.addPermanentWidget(self.cancel_button)
        bar.addPermanentWidget(self.sync_label)
        self.current_task: TaskHandle | None = None
        self.last_told = ""  # the last result said in a box (a bundle's import or export)
        self._task_idle()
        self.tasks.started.connect(self._task_started)
        self.sync.changed.connect(self._sync_changed)
        self.keys.locked_changed.connect(self._key_changed)

        self._make_actions()
        self.retranslate()
        self.regions.show_loading()
        QTimer.singleShot(0, self, self.load_election)  # once the event loop runs: after the show

    # -- menus and texts ------------------------------------------------------------------

    def _make_actions(self) -> None:
        self.save_action = QAction(self)
        self.save_action.setShortcut(QKeySequence.StandardKey.Save)
        self.save_action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        self.save_action.triggered.connect(self._save_shortcut)
        self.addAction(self.save_action)
        self.correct_action = QAction(self)
        self.correct_action.setShortcut(QKeySequence("Ctrl+E"))
        self.correct_action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        self.correct_action.triggered.connect(self._correct_shortcut)
        self.addAction(self.correct_action)
        self.import_election_action = QAction(self)
        self.import_election_action.triggered.connect(self._import_election)
        self.import_cert_action = QAction(self)
        self.import_cert_action.triggered.connect(self._import_certificate)
        self.export_request_action = QAction(self)
        self.export_request_action.triggered.connect(self._export_request)
        self.export_bundle_action = QAction(self)
        self.export_bundle_action.triggered.connect(self._export_bundle)
        self.import_bundle_action = QAction(self)
        self.import_bundle_action.triggered.connect(self._import_bundle)
        self.receipts_action = QAction(self)
        self.receipts_action.triggered.connect(self.show_receipts)
        self.help_action = QAction(self)
        self.help_action.setShortcut(QKeySequence(QKeySequence.StandardKey.HelpContents))
        self.help_action.setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)
        self.help_action.triggered.connect(self.show_help)
        self.addAction(self.help_action)
        self.quit_action = QAction(self)
        self.quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        self.quit_action.triggered.connect(self.close)
        self.verify_action = QAction(self)
        self.verify_action.triggered.connect(self.supervisor.start_verification)
        self.rebuild_action = QAction(self)
        self.rebuild_action.triggered.connect(self._rebuild)
        self.refresh_action = QAction(self)
        self.refresh_action.setShortcut(QKeySequence.StandardKey.Refresh)
        self.refresh_action.triggered.connect(self.regions.refresh_all)
        self.lock_action = QAction(self)
        self.lock_action.setShortcut(QKeySequence("Ctrl+L"))
        self.lock_action.triggered.connect(self.keys.lock)
        self.double_entry_action = QAction(self)
        self.double_entry_action.setShortcut(QKeySequence("Ctrl+Shift+D"))
        self.double_entry_action.triggered.connect(lambda: self.form.start_double_entry())
        self.addAction(self.double_entry_action)
        self.find_action = QAction(self)
        self.find_action.setShortcut(QKeySequence.StandardKey.Find)
        self.find_action.triggered.connect(self._focus_search)
        self.idle_action = QAction(self)
        self.idle_action.triggered.connect(self._ask_idle)
        self.sync_now_action = QAction(self)
        self.sync_now_action.setShortcut(QKeySequence("F9"))
        self.sync_now_action.triggered.connect(self._sync_now)
        self.sync_now_action.setEnabled(self.sync_worker is not None)
        self.server_action = QAction(self)
        self.server_action.triggered.connect(self._ask_server)
        self.desk_action = QAction(self)
        self.desk_action.setShortcut(QKeySequence("Ctrl+B"))
        self.desk_action.triggered.connect(self._open_desk)
        self.lang_group = QActionGroup(self)
        self.lang_actions: dict[str | None, QAction] = {}
        for lang in (None, "id", "en"):
            action = QAction(self)
            action.setCheckable(True)
            action.setChecked(self.settings.language == lang)
            action.triggered.connect(lambda _=False, lang=lang: self.set_language(lang))
            self.lang_group.addAction(action)
            self.lang_actions[lang] = action
        menu = self.menuBar()
        self.file_menu = menu.addMenu("")
        for a in (self.import_election_action, self.import_cert_action, self.export_request_action):
            self.file_menu.addAction(a)
        self.file_menu.addSeparator()
        self.file_menu.addAction(self.import_bundle_action)
        self.file_menu.addAction(self.export_bundle_action)
        self.file_menu.addSeparator()
        self.file_menu.addAction(self.quit_action)
        self.sheet_menu = menu.addMenu("")
        self.sheet_menu.addAction(self.save_action)
        self.sheet_menu.addAction(self.correct_action)
        self.sheet_menu.addAction(self.double_entry_action)
        self.sheet_menu.addAction(self.find_action)
        self.sheet_menu.addAction(self.lock_action)
        self.sheet_menu.addAction(self.refresh_action)
        self.tools_menu = menu.addMenu("")
        self.tools_menu.addAction(self.sync_now_action)
        self.tools_menu.addAction(self.receipts_action)
        self.tools_menu.addAction(self.verify_action)
        self.tools_menu.addAction(self.rebuild_action)
        self.tools_menu.addAction(self.desk_action)
        self.settings_menu = menu.addMenu("")
        self.language_menu = self.settings_menu.addMenu("")
        for a in self.lang_actions.values():
            self.language_menu.addAction(a)
        self.settings_menu.addAction(self.idle_action)
        self.settings_menu.addAction(self.server_action)
        self.about_action = QAction(self)
        self.about_action.setMenuRole(QAction.MenuRole.AboutRole)
        self.about_action.triggered.connect(self._show_about)
        self.help_menu = menu.addMenu("")
        self.help_menu.addAction(self.help_action)
        self.help_menu.addAction(self.about_action)

    def retranslate(self) -> None:
        """Every visible text again, after the language changed."""
        lang = i18n.current()
        title = tr("Recap Desktop")
        if self.election is not None:
            title += " — " + text(self.election.name, lang)
        self.setWindowTitle(title)
        self.tabs.setTabText(0, tr("Sheet (C.Hasil)"))
        self.tabs.setTabText(1, tr("Recap"))
        self.tabs.setTabText(2, tr("Verification"))
        self.tabs.setTabText(3, tr("Plenary (D.Hasil)"))
        self.tabs.setTabText(4, tr("Supervisor's desk"))
        self.contest_label.setText(tr("Contest:"))
        self.history_label.setText(tr("History of this sheet"))
        self.save_action.setText(tr("Save and sign"))
        self.correct_action.setText(tr("Correct this sheet…"))
        self.import_election_action.setText(tr("Import election package…"))
        self.import_cert_action.setText(tr("Import certificate…"))
        self.export_request_action.setText(tr("Export certificate request…"))
        self.import_bundle_action.setText(tr("Import a USB bundle…"))
        self.export_bundle_action.setText(tr("Export a USB bundle…"))
        self.receipts_action.setText(tr("Receipts from the server…"))
        self.help_action.setText(tr("Help"))
        self.quit_action.setText(tr("Quit"))
        self.verify_action.setText(tr("Verify every record"))
        self.rebuild_action.setText(tr("Rebuild tables from the records"))
        self.desk_action.setText(tr("Supervisor's desk: open problems"))
        self.refresh_action.setText(tr("Refresh states"))
        self.lock_action.setText(tr("Lock the key now"))
        self.double_entry_action.setText(tr("Double entry: type this sheet twice…"))
        self.find_action.setText(tr("Find a polling station"))
        self.idle_action.setText(tr("Lock the key after idle time…"))
        self.sync_now_action.setText(tr("Sync now"))
        self.server_action.setText(tr("Central server address…"))
        self.lang_actions[None].setText(tr("As the system"))
        self.lang_actions["id"].setText("Bahasa Indonesia")
        self.lang_actions["en"].setText("English")
        self.file_menu.setTitle(tr("&File"))
        self.sheet_menu.setTitle(tr("&Sheet"))
        self.tools_menu.setTitle(tr("&Tools"))
        self.settings_menu.setTitle(tr("S&ettings"))
        self.language_menu.setTitle(tr("Language"))
        self.help_menu.setTitle(tr("&Help"))
        self.about_action.setText(tr("About Recap Desktop"))
        self.cancel_button.setText(tr("Cancel"))
        if self.identity.demo:
            self.demo_banner.setText(
                tr(
                    "DEMO election: not a real election. Names and numbers are invented; "
                    "the DEMO passphrase is %1. Data folder: %2"
                )
                .replace("%1", identity_service.DEMO_PASSPHRASE)
                .replace("%2", str(self.ws.data_dir))
            )
            self.demo_banner.show()
        else:
            self.demo_banner.hide()
        status = self.identity.status if self.identity_known else None
        certified = {
            "awaiting_certificate": " · " + tr("key not yet certified: sheets do not count yet"),
            "revoked": " · " + tr("KEY REVOKED: it cannot sign"),
            "certificate_expired": " · " + tr("certificate ended: it cannot sign"),
        }.get(status or "", "")
        self.who.setText(
            f"{self.identity.name} ({self.identity.officer_id}, "
            f"{i18n.role_label(self.identity.role)}){certified}"
        )
        self._key_changed(self.keys.locked)
        self._sync_changed(self.sync.state)
        self.regions.retranslate()
        self.form.retranslate()
        self.history.retranslate()
        self.recap.retranslate()
        self.supervisor.retranslate()
        self.plenary.retranslate()
        self.desk.retranslate()
        if self.election is not None and self.station_code is not None:
            self._fill_contests(self.station_code)

    def set_language(self, lang: str | None) -> None:
        self.settings.language = lang
        i18n.install(lang or i18n.system_language())
        self.retranslate()

    def about_box(self) -> QMessageBox:
        """Help > About: the version of the installed package (pyproject's, the only copy)."""
        box = QMessageBox(
            QMessageBox.Icon.NoIcon,
            tr("About Recap Desktop"),
            tr("Recap Desktop %1").replace("%1", version()),
            QMessageBox.StandardButton.NoButton,
            self,
        )
        box.setIconPixmap(self.windowIcon().pixmap(64, 64))
        box.setInformativeText(
            tr(
                "Offline-first recapitulation of hand-counted election results: every sheet "
                "is signed with the officer's key, kept on this laptop, and synced whenever "
                "the central server can be reached."
            )
            + "\n\n"
            + tr("Qt %1, Python %2. Data folder: %3")
            .replace("%1", qVersion())
            .replace("%2", platform.python_version())
            .replace("%3", str(self.ws.data_dir))
        )
        box.addButton(tr("OK"), QMessageBox.ButtonRole.AcceptRole)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        return box

    def _show_about(self) -> None:
        self.about_box().open()

    def _ask_idle(self) -> None:
        minutes = ask_int(
            self,
            tr("Lock the key after idle time"),
            tr("Minutes without a key press or click before the key locks:"),
            self.settings.idle_minutes,
            1,
            240,
        )
        if minutes is not None:
            self.settings.idle_minutes = minutes
            self.keys.set_idle_minutes(minutes)

    def _engine_status(self, status: object) -> None:
        pulled = int(getattr(status, "pulled", 0) or 0)
        # A new engine (after an error) counts from 0 again: any change with something
        # pulled is news.
        if pulled and pulled != self._pulled_seen:
            self._pulled_reload.start()
        self._pulled_seen = pulled

    def _show_pulled(self) -> None:
        """Reload what the window shows from the store after a background pull. The form
        is left alone: the officer may be typing in it (its history panel says what came)."""
        if not self.opened:
            return
        self.regions.refresh_all()
        self.desk.reload()
        if self.recap.region:
            self.recap.show_region(*self._recap_region())
        if self.station_code is not None and self.contest.currentData() is not None:
            try:
                self.history.show_history(
                    sheet_service.sheet_history(
                        self.ws, self.station_code, str(self.contest.currentData())
                    )
                )
            except RecapError as exc:
                self._error(exc)

    def _sync_now(self) -> None:
        if self.sync_worker is not None:
            self.sync_worker.sync_now()

    def _ask_server(self) -> None:
        """The server address lives in the data folder, where `recap sync` reads it too."""
        from recap_desktop.services import sync as sync_service  # HTTP stack: not at start-up

        url = ask_text(
            self,
            tr("Central server address"),
            tr(
                "Address of the central server, for example https://recap.example.go.id/ "
                "(leave empty to work offline only):"
            ),
            initial=sync_service.saved_address(self.ws) or "",
        )
        if url is None:
            return
        try:
            sync_service.save_address(self.ws, url.strip() or None)
        except RecapError as exc:
            warn(self, tr("Central server address"), exc.message(i18n.current()))
            return
        self._sync_now()

    # -- loading --------------------------------------------------------------------------

    def load_election(self) -> TaskHandle:
        """Read the election's outline on the quick thread (its stations stay in the store)."""
        self.regions.show_loading()

        def work(ws: Workspace, handle: TaskHandle) -> tuple[ElectionOutline, Any]:
            return region_service.outline(ws), identity_service.show_identity(ws)

        return self.tasks.run(
            tr("Opening the election"), work, self._election_loaded, self._open_failed
        )

    def _reload(self) -> None:
        self.load_election()

    def _election_loaded(self, loaded: tuple[ElectionOutline, Any]) -> None:
        self.election, self.identity = loaded
        self.identity_known = True
        self.regions.set_election(self.election)
        self.retranslate()
        if not self.opened:
            self.opened = True
            self._first_open(None)
        cert = self.identity.certificate
        if self.desk.region is None and cert:
            self.desk.region = str(cert["jurisdiction"])
        self.desk.reload()
        if self.verify_on_open:
            self.supervisor.start_verification()

    def _open_failed(self, exc: BaseException) -> None:
        if not self.opened and self._first_open(exc):
            return
        self._error(exc)

    def _first_open(self, exc: BaseException | None) -> bool:
        """Report the first opening of the store to ``on_open``, once: a later reload that
        fails is an error to show, never a reason to quit or to start the sync again."""
        callback, self.on_open = self.on_open, None
        return callback is not None and callback(exc)

    def _error(self, exc: BaseException) -> None:
        message = exc.message(i18n.current()) if isinstance(exc, RecapError) else str(exc)
        self.statusBar().showMessage(message, 15_000)
        warn(self, tr("Recap Desktop"), message)

    # -- sheet ----------------------------------------------------------------------------

    def show_station(self, station_code: str) -> None:
        self.station_code = station_code
        self._fill_contests(station_code)
        self.tabs.setCurrentIndex(0)

    def _fill_contests(self, station_code: str) -> None:
        if self.election is None:
            return
        station = region_service.station(self.ws, station_code)
        if station is None:
            return
        lang = i18n.current()
        current = self.contest.currentData()
        self.contest.blockSignals(True)
        self.contest.clear()
        for cid in station.contests:
            self.contest.addItem(text(self.election.contests[cid].name, lang), cid)
        found = self.contest.findData(current)
        self.contest.setCurrentIndex(max(0, found))
        self.contest.blockSignals(False)
        self._contest_changed()

    def _contest_changed(self) -> None:
        if self.election is None or self.station_code is None:
            return
        cid = self.contest.currentData()
        if cid is None:
            return
        self.open_sheet(self.station_code, str(cid))

    def open_sheet(self, station_code: str, contest_id: str) -> None:
        assert self.election is not None
        self.station_code = station_code
        index = self.contest.findData(contest_id)
        if index >= 0 and self.contest.currentIndex() != index:
            self.contest.blockSignals(True)
            self.contest.setCurrentIndex(index)
            self.contest.blockSignals(False)
        try:
            self.form.load(station_code, contest_id, self.identity.role)
            self.history.show_history(
                sheet_service.sheet_history(self.ws, station_code, contest_id)
            )
        except RecapError as exc:
            self._error(exc)

    def _focus_search(self) -> None:
        self.regions.search.setFocus()
        self.regions.search.selectAll()

    def _save_shortcut(self) -> None:
        """Ctrl+S saves the sheet only while the sheet is what the officer sees."""
        if self.tabs.currentIndex() == 0:
            self.form.save()

    def _correct_shortcut(self) -> None:
        """Ctrl+E: correct the signed sheet shown, without reaching for the mouse."""
        if self.tabs.currentIndex() == 0:
            self.form.start_correction()

    def _saved(self, record: Any) -> None:
        # The sheet is now read-only: the keyboard goes on to the next station (type its
        # code, Enter), never to nowhere.
        self.regions.search.setFocus(Qt.FocusReason.OtherFocusReason)
        self.regions.search.selectAll()
        station = str(record.payload["station"])
        self.history.show_history(
            sheet_service.sheet_history(self.ws, station, str(record.payload["contest"]))
        )
        self.regions.refresh_station(station)
        self._sync_now()

    def _reviewed(self, station: str) -> None:
        self.regions.refresh_station(station)
        self._sync_now()
        if station == self.station_code:
            self._contest_changed()

    def show_region(self, code: str) -> None:
        if self.election is None:
            return
        region = region_service.region(self.ws, code)
        if region is not None:
            self.recap.show_region(code, f"{region.name} ({code})")
            self.desk.show_region(code)
            if region.level in RECAP_LEVELS:
                lang = i18n.current()
                contests = [(c.id, text(c.name, lang)) for c in self.election.contests.values()]
                self.plenary.show_region(code, contests)

    def _open_desk(self) -> None:
        self.tabs.setCurrentWidget(self.desk)
        self.desk.tree.setFocus()

    def _compare(self, station: str, contest: str) -> None:
        self._open_desk()
        self.desk.open_dispute(station, contest)

    def _plenary_signed(self, record: Any) -> None:
        self.recap.show_region(*self._recap_region())
        self._sync_now()

    def _recap_region(self) -> tuple[str, str]:
        return self.recap.region or "", self.recap.region_name

    # -- status bar -----------------------------------------------------------------------

    def _key_changed(self, locked: bool) -> None:
        self.key_state.setText(tr("key locked") if locked else tr("key unlocked"))

    def _sync_changed(self, state: SyncState) -> None:
        if not state.configured:
            self.sync_label.setText(tr("Sync not configured: set the central server in Settings"))
            return
        parts = [
            tr("online") if state.online else tr("offline") if state.online is False else "…",
            tr("%n unsent", "", state.unsent),
            tr("last sync %1").replace(
                "%1", local_time(state.last_sync) if state.last_sync else tr("never")
            ),
        ]
        if state.error_kind == "server_misbehaved":
            # Said in plain words, whatever the engine's English detail (`recap log` has it).
            parts.append(
                tr(
                    "the server broke its own signed promises: nothing was marked sent on its"
                    " word; the evidence is kept in this folder. Tell the election authority"
                )
            )
        elif state.last_error:
            # In plain words by the kind of failure; the library's own text stays in the tip.
            parts.append(network_error(state.error_kind, i18n.current()))
        self.sync_label.setToolTip(plain_tip(state.last_error) if state.last_error else "")
        if state.clock_offset is not None:
            # Records still go up; the officer is told, never locked out (PROTOCOL §5.5).
            minutes = round(state.clock_offset / 60)
            parts.append(
                tr("this laptop's clock is %1 minutes off the server's: set it right").replace(
                    "%1", f"{minutes:+d}"
                )
            )
        self.sync_label.setText(" · ".join(parts))
        alarming = state.error_kind == "server_misbehaved"
        self.sync_label.setStyleSheet("color: #c62828; font-weight: bold" if alarming else "")

    def _task_started(self, handle: TaskHandle) -> None:
        self.current_task = handle
        self.task_label.setText(handle.label)
        self.task_bar.setRange(0, 0)
        self.task_bar.show()
        self.cancel_button.show()
        self.task_label.show()
        handle.progressed.connect(self._task_progress)
        handle.ended.connect(lambda h=handle: self._task_ended(h))

    def _task_progress(self, done: int, total: int) -> None:
        self.task_bar.setRange(0, max(1, total))
        self.task_bar.setValue(done)

    def _task_ended(self, handle: TaskHandle) -> None:
        if handle is self.current_task:
            self.current_task = None
            self._task_idle()

    def _task_idle(self) -> None:
        self.task_bar.hide()
        self.cancel_button.hide()
        self.task_label.hide()

    def _cancel_task(self) -> None:
        if self.current_task is not None:
            self.current_task.cancel()

    def _verified(self, report: Any) -> None:
        bad = self.supervisor.bad  # counted on the worker thread
        # The verification set aside what it found tampered: totals and states changed.
        self.desk.reload()
        if self.recap.region:
            self.recap.show_region(*self._recap_region())
        if bad:
            self.statusBar().showMessage(
                tr("%n record(s) with problems: see the Verification tab.", "", bad),
                30_000,
            )

    # -- files ----------------------------------------------------------------------------

    def _import_election(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, tr("Import election package"), "", "*.json")
        if not path:
            return

        def work(ws: Workspace, handle: TaskHandle) -> object:
            return election_service.import_election(ws, Path(path).read_bytes(), path)

        self.tasks.run(
            tr("Importing the election package"),
            work,
            lambda _r: self._reload(),
            self._error,
            slow=True,
        )

    def _import_certificate(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, tr("Import certificate"), "", "*.json")
        if not path:
            return

        def work(ws: Workspace, handle: TaskHandle) -> Any:
            try:
                data = Path(path).read_bytes()
            except OSError as exc:
                raise RecapError("file.unreadable", path=path, detail=exc.strerror or exc) from exc
            identity_service.import_certificates(ws, data, path)
            return identity_service.show_identity(ws)

        self.tasks.run(
            tr("Importing the certificate"),
            work,
            self._certificate_imported,
            self._error,
            show_after_ms=SHOW_PROGRESS_AFTER_MS,
        )

    def _certificate_imported(self, identity: Any) -> None:
        self.identity = identity
        self.identity_known = True
        self.retranslate()

    # -- USB bundles and receipts ---------------------------------------------------------

    def _export_bundle(self) -> None:
        """Every record to a file, for a colleague or the office without a network."""
        path, _ = QFileDialog.getSaveFileName(
            self, tr("Export a USB bundle"), "recap-bundle.json", "*.json"
        )
        if path:
            self.export_bundle(path)

    def export_bundle(self, path: str) -> TaskHandle:
        from recap_desktop.services import bundle as bundle_service

        def work(ws: Workspace, handle: TaskHandle) -> Any:
            return bundle_service.export_bundle(ws, Path(path))

        return self.tasks.run(
            tr("Writing the bundle"), work, self._bundle_written, self._error, slow=True
        )

    def _bundle_written(self, result: Any) -> None:
        lines = [tr("%n record(s) written to the bundle.", "", result.records)]
        if result.folder is not None:
            lines.append(tr("%n photo(s) written beside it, in:", "", result.photos))
            lines.append(str(result.folder))
        if result.not_held:
            lines.append(
                tr(
                    "%n photo(s) the sheets name are not held here and were not included.",
                    "",
                    result.not_held,
                )
            )
        self._tell(tr("Bundle written"), "\n".join(lines))

    def _import_bundle(self) -> None:
        """A bundle's records, admitted by the same rule as a pull: a bad one is refused."""
        path, _ = QFileDialog.getOpenFileName(self, tr("Import a USB bundle"), "", "*.json")
        if path:
            self.import_bundle(path)

    def import_bundle(self, path: str) -> TaskHandle:
        from recap_desktop.services import bundle as bundle_service

        def work(ws: Workspace, handle: TaskHandle) -> Any:
            try:
                data = Path(path).read_bytes()
            except OSError as exc:
                raise RecapError(
                    "bundle.unreadable", path=path, detail=exc.strerror or exc
                ) from exc
            folder = bundle_service.photos_folder(Path(path))
            return bundle_service.import_bundle(ws, data, path, folder)

        return self.tasks.run(
            tr("Importing the bundle"), work, self._bundle_imported, self._error, slow=True
        )

    def _bundle_imported(self, result: Any) -> None:
        lang = i18n.current()
        lines = [
            tr("%n new record(s) imported.", "", result.added),
            tr("%n record(s) held already.", "", result.already),
        ]
        if result.problems:
            lines.append(tr("%n record(s) refused:", "", len(result.problems)))
            lines += [
                f"  {(p.record or '-')[:16]}  {problem_name(p.kind, lang)}: {p.detail}"
                for p in result.problems[:20]
            ]
        if result.photos:
            lines.append(tr("%n photo(s) kept from the bundle.", "", result.photos))
        if result.photos_refused:
            lines.append(tr("%n photo(s) refused:", "", len(result.photos_refused)))
            lines += [
                "  "
                + message(
                    f"bundle.photo_refused.{r.kind}", lang, sha=r.sha256[:16], detail=r.detail
                )
                for r in result.photos_refused[:20]
            ]
        for kind, detail in result.misbehaviour:
            lines.append(misbehaviour_name(kind, lang) + ": " + detail)
        bad = bool(result.problems or result.photos_refused)
        self._tell(tr("Bundle imported"), "\n".join(lines), bad=bad)
        self.regions.refresh_all()
        self.desk.reload()  # a colleague's sheets may open a dispute: the board says so now
        if self.station_code is not None:
            self._contest_changed()

    def _tell(self, title: str, message: str, *, bad: bool = False) -> None:
        self.last_told = message
        self.statusBar().showMessage(message.split("\n")[0], 15_000)
        box = QMessageBox(
            QMessageBox.Icon.Warning if bad else QMessageBox.Icon.Information,
            title,
            message,
            QMessageBox.StandardButton.Ok,
            self,
        )
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()

    def show_receipts(self) -> ReceiptsDialog:
        """The server's signed receipts kept in this folder: proof of what it took, and when."""

        def work(ws: Workspace, handle: TaskHandle) -> list[dict[str, Any]]:
            from recap_desktop.services import log as log_service

            return log_service.receipts(ws)

        dialog = ReceiptsDialog(self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.tasks.run(tr("Reading the receipts"), work, dialog.show_receipts, self._error)
        dialog.open()
        return dialog

    def show_help(self) -> HelpDialog:
        """F1: how to count a day's sheets, in the window's language."""
        dialog = HelpDialog(self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    def _export_request(self) -> None:
        key = self.keys.key(self)
        if key is None:
            return
        path, _ = QFileDialog.getSaveFileName(
            self, tr("Export certificate request"), "certificate-request.json", "*.json"
        )
        if path:
            Path(path).write_text(
                json.dumps(identity_service.certificate_request(self.ws, key), indent=2) + "\n",
                encoding="utf-8",
            )

    def _rebuild(self) -> None:
        def work(ws: Workspace, handle: TaskHandle) -> int:
            from recap_desktop.services import verify as verify_service

            return verify_service.rebuild_tables(ws)

        self.tasks.run(
            tr("Rebuilding tables from the records"),
            work,
            lambda _n: self.regions.refresh_all(),
            self._error,
            slow=True,
        )

    def closeEvent(self, event: Any) -> None:
        if self.sync_worker is not None:
            self.sync_worker.stop()
        self.tasks.shutdown()
        self.keys.lock()
        super().closeEvent(event)
