"""Start the window: language, data folder, first run (DEMO or real), then the main window."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from recap_desktop import resources
from recap_desktop.services import RecapError, Workspace
from recap_desktop.services.workspace import default_data_dir, demo_folder
from recap_desktop.ui import i18n
from recap_desktop.ui.collector import GuiThreadCollector
from recap_desktop.ui.dialogs import warn
from recap_desktop.ui.i18n import tr
from recap_desktop.ui.qt import QApplication, QCursor, QIcon, QSize, Qt
from recap_desktop.ui.settings import Settings
from recap_desktop.version import add_version_option

# The desktop file, the AppStream metainfo and the icon are named after this id
# (packaging/linux/); Wayland matches the window to its desktop entry by it.
APP_ID = "id.recap.RecapDesktop"
ICON_SIZES = (32, 48, 64, 128, 256)


def app_icon() -> QIcon:
    """The ballot-box icon, from the PNGs rendered out of resources/icons/recap-desktop.svg.

    PNGs, not the SVG: Qt reads PNG without a plug-in, so the bundle needs no QtSvg.
    """
    icon = QIcon()
    for size in ICON_SIZES:
        icon.addFile(str(resources.path("icons", f"recap-desktop-{size}.png")), QSize(size, size))
    return icon


def demo_data_dir() -> Path:
    """The DEMO election lives apart from a real officer's data: never mixed by accident."""
    return demo_folder(default_data_dir())


def needs_setup(ws: Workspace) -> bool:
    from recap_desktop.services import election as election_service

    return not ws.keystore_path.exists() or not election_service.has_election(ws)


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="recap-desktop", description="Recap Desktop window")
    add_version_option(parser)
    parser.add_argument(
        "--demo",
        action="store_true",
        help="use the DEMO data folder and set the DEMO election up if it is empty",
    )
    parser.add_argument("--data-dir", type=Path, help="data folder (default: $RECAP_DATA_DIR)")
    parser.add_argument("--lang", choices=("id", "en"), help="language (default: settings)")
    return parser.parse_args(argv)


def set_up(app: QApplication, ws: Workspace, demo: bool) -> Workspace | int:
    """First run: the DEMO election (``--demo`` on an empty folder) or the wizard. The folder
    to open when it is ready (the DEMO's own folder if the wizard chose the DEMO), else the
    exit code."""
    try:
        if demo and not ws.keystore_path.exists():
            from recap_desktop.services import demo as demo_service

            app.setOverrideCursor(QCursor(Qt.CursorShape.WaitCursor))
            try:
                demo_service.init_demo(ws)
            finally:
                app.restoreOverrideCursor()
            return ws
        from recap_desktop.ui.wizard import FirstRunWizard

        wizard = FirstRunWizard(ws)
        try:
            if not wizard.exec() or needs_setup(wizard.chosen):
                return 1
            return wizard.chosen
        finally:
            # Its pages are Python cycles, and what the start made is frozen out of the
            # collector (``_run``): Qt frees the dialog and its widgets, not the next full
            # collection at exit.
            wizard.deleteLater()
    except RecapError as exc:
        warn(None, tr("Recap Desktop"), exc.message(i18n.current()))
        return 2


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setOrganizationName("recap")
    app.setApplicationName("recap-desktop")
    app.setDesktopFileName(APP_ID)
    app.setWindowIcon(app_icon())
    collector = GuiThreadCollector(app)  # Qt objects in cycles die on the GUI thread only
    try:
        return _run(app, args, collector)
    finally:
        collector.stop()


def _run(app: QApplication, args: argparse.Namespace, collector: GuiThreadCollector) -> int:
    settings = Settings()
    i18n.install(args.lang or settings.language or i18n.system_language())
    data_dir = args.data_dir or (demo_data_dir() if args.demo else default_data_dir())
    ws = Workspace(data_dir)
    if not ws.keystore_path.exists():
        ready = set_up(app, ws, args.demo)
        if isinstance(ready, int):
            return ready
        ws = ready
    # With a key, the store is first opened by the window's worker thread once the window
    # shows (importing and opening it is a good part of the start-up); whether the folder
    # still needs the wizard (no election yet) is learnt there too.
    from recap_desktop.ui.main_window import MainWindow
    from recap_desktop.ui.sync_worker import SyncWorker

    worker = SyncWorker(ws.data_dir)
    try:
        window = MainWindow(ws, settings, sync_worker=worker)
    except RecapError as exc:  # a damaged keystore
        warn(None, tr("Recap Desktop"), exc.message(i18n.current()))
        return 2

    def opened(error: BaseException | None) -> bool:
        """After the window's first opening of the store: start syncing, or set up."""
        if isinstance(error, RecapError) and error.key == "election.missing":
            window.hide()
            ready = set_up(app, ws, args.demo)
            if isinstance(ready, int):
                app.exit(ready)
            elif ready is not ws:  # the DEMO, in its own folder: start again on it
                warn(
                    None,
                    tr("Recap Desktop"),
                    tr("The DEMO is ready: start Recap Desktop again with --demo."),
                )
                app.exit(0)
            else:
                window.on_open = opened  # the opening after the wizard starts the sync
                window.show()
                window.load_election()
            return True
        if isinstance(error, RecapError) and error.key.startswith(("store.", "usage.")):
            window.hide()
            warn(None, tr("Recap Desktop"), error.message(i18n.current()))  # cannot open
            app.exit(2)
            return True
        # The sync worker opens the store second, after any migration of it is done.
        worker.start()
        collector.freeze()  # the election just read lives as long as the window
        return False

    window.on_open = opened
    # What the start made (modules, classes, the window's widgets) lives as long as the
    # window: out of every collection from now on. Else the collector's first tick, just
    # after the window shows, walked all of it (~30 ms of young objects that were none).
    collector.freeze()
    window.show()
    code = app.exec()
    window.tasks.shutdown()  # quit without closing the window: stop what runs in the background
    worker.stop()
    ws.close()
    return code
