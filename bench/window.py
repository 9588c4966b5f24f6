"""The window's figures: cold start, peak memory and GUI stalls while syncing.

They need the window (recap_desktop.ui, started by main.py) and, for stalls, the sync server.
Until those exist they are reported as not measured, never guessed.

Cold start runs ``main.py --data-dir DIR`` under a small harness (``_HARNESS``) that wraps
``QApplication.exec``: once the event loop is running with a visible top-level window and has
gone idle (a zero-delay timer fires after the show and the first paint events), the harness
prints READY with the peak resident memory so far. That is "interactive": the window is shown
and answers input. Work the window hands to background threads may still be going on.
"""

from __future__ import annotations

import importlib.util
import shutil
import socket
import sys
import threading
from pathlib import Path

from bench import stores
from bench.baselines import seconds_until_ready

ROOT = Path(__file__).resolve().parents[1]

_HARNESS = """
import importlib.machinery, runpy, sys, time

settle = float(sys.argv.pop(1))  # seconds to stay up after READY, then print PEAK
stall = float(sys.argv.pop(1))  # seconds of 10 ms ticks after READY, then print STALL

def _peak_mb():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return -1.0

def _watch(QApplication):
    from PySide6.QtCore import QTimer

    _exec = QApplication.exec

    def _exec_and_watch(*args, **kwargs):
        app = QApplication.instance()
        ticks = []
        def check():
            shown = [w for w in app.topLevelWidgets() if w.isVisible() and w.isWindow()]
            if not shown:
                QTimer.singleShot(10, check)
                return
            print(f"READY {_peak_mb():.1f}", flush=True)
            if stall > 0:
                timer = QTimer(app)
                timer.setInterval(10)
                timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
                timer.start()
                QTimer.singleShot(int(stall * 1000), report_stall)
            elif settle > 0:
                QTimer.singleShot(int(settle * 1000), report)
            else:
                app.quit()
        def report():
            print(f"PEAK {_peak_mb():.1f}", flush=True)
            app.quit()
        def report_stall():
            gaps = [(b - a, a - ticks[0]) for a, b in zip(ticks, ticks[1:])]
            gap, at = max(gaps) if gaps else (-0.001, 0.0)
            later = max((g for g, t in gaps if t >= 2.0), default=-0.001)
            print(f"STALL {gap * 1000:.1f} {len(ticks)} {at:.2f} {later * 1000:.1f}", flush=True)
            app.quit()
        QTimer.singleShot(0, check)
        return _exec()  # a static method: whether called on the class or an instance

    QApplication.exec = _exec_and_watch

# QApplication.exec is wrapped once the program itself has imported QtWidgets, in its own
# order: PySide reads the source of every module imported after it (its __feature__ check),
# so a harness that imported Qt first made the program's imports of msgspec, cryptography
# and sqlite-utils, which the program makes before Qt, cost ~35 ms more than in the program.
class _WhenQtWidgets:
    def find_spec(self, name, path, target=None):
        if name != "PySide6.QtWidgets":
            return None
        sys.meta_path.remove(self)
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        load = spec.loader.exec_module
        def exec_module(module):
            load(module)
            _watch(module.QApplication)
        spec.loader.exec_module = exec_module
        return spec

sys.meta_path.insert(0, _WhenQtWidgets())
sys.argv = sys.argv[1:]
runpy.run_path(sys.argv[0], run_name="__main__")
"""


def window_missing() -> str | None:
    """Why the window cannot be measured, or None when it can."""
    spec = importlib.util.find_spec("recap_desktop.ui")
    if spec is None or spec.origin is None:  # absent, or an empty namespace folder
        return "needs the window (recap_desktop.ui is not built yet)"
    app = importlib.util.find_spec("recap_desktop.ui.app")
    sources = [ROOT / "main.py"] + ([Path(app.origin)] if app and app.origin else [])
    if not any("--data-dir" in path.read_text() for path in sources):
        return "needs the window (main.py does not open one with --data-dir yet)"
    return None


def cold_start(store: stores.BuiltStore, timeout: float = 300) -> tuple[float | None, str]:
    """Seconds from process start to an interactive window on ``store``, or None and why."""
    args = [sys.executable, "-c", _HARNESS, "0", "0", str(ROOT / "main.py"), "--data-dir"]
    seconds, line = seconds_until_ready([*args, str(store.path)], timeout)
    if seconds is None:
        return None, f"main.py showed no window within {timeout:.0f} s: {line[-200:]}"
    return seconds, line


def peak_rss_mb(store: stores.BuiltStore, settle: float = 10, timeout: float = 300) -> float | None:
    """Peak resident memory of the window on ``store``, ``settle`` seconds after it is shown."""
    import subprocess

    from bench.baselines import window_env

    args = [sys.executable, "-c", _HARNESS, str(settle), "0", str(ROOT / "main.py"), "--data-dir"]
    out = subprocess.run(
        [*args, str(store.path)],
        env=window_env(),
        capture_output=True,
        text=True,
        timeout=timeout + settle,
        check=False,
    )
    for line in out.stdout.splitlines():
        if line.startswith("PEAK"):
            return float(line.split()[1])
    return None


class HangingServer:
    """A loopback HTTP server that holds every request for ``hang`` seconds, then answers
    503: the central server under attack. Counts the requests it was sent."""

    def __init__(self, hang: float = 5.0) -> None:
        self.hang = hang
        self.requests = 0
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=self._hold, args=(conn,), daemon=True).start()

    def _hold(self, conn: socket.socket) -> None:
        with conn:
            try:
                conn.settimeout(self.hang + 5)
                if conn.recv(65536):
                    self.requests += 1
                if self._stop.wait(self.hang):
                    return
                conn.sendall(
                    b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n"
                    b"Connection: close\r\n\r\n"
                )
            except OSError:
                pass

    def close(self) -> None:
        self._stop.set()
        self.sock.close()


def gui_stall(
    store: stores.BuiltStore,
    scratch: Path,
    seconds: float = 12,
    timeout: float = 300,
    sync: bool = True,
) -> tuple[float | None, str]:
    """The longest gap (ms) between 10 ms GUI timer ticks while the window's sync worker
    talks to a server that hangs every request for 5 s; None and why if it cannot tell.
    With ``sync`` False no server is set: the same window's stalls without any sync."""
    import subprocess

    from bench.baselines import window_env
    from recap_desktop.services import sync as sync_service
    from recap_desktop.storage.store import DB_NAME, Store

    copy = scratch / f"stall-{store.records}"
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(store.path, copy)
    server = HangingServer()
    try:
        if sync:
            with Store(copy / DB_NAME) as held:
                sync_service.set_server_url(held, server.url)
        args = [sys.executable, "-c", _HARNESS, "0", str(seconds), str(ROOT / "main.py")]
        out = subprocess.run(
            [*args, "--data-dir", str(copy)],
            env=window_env(),
            capture_output=True,
            text=True,
            timeout=timeout + seconds,
            check=False,
        )
    finally:
        server.close()
        shutil.rmtree(copy, ignore_errors=True)
    for line in out.stdout.splitlines():
        if line.startswith("STALL"):
            _, gap, ticks, at, later = line.split()
            if sync and server.requests == 0:
                return None, "the window sent the hanging server no request"
            return float(gap), (
                f"{ticks} ticks, {server.requests} requests held 5 s each; longest gap"
                f" {float(at):.2f} s after the first tick; from 2 s on {float(later):.1f} ms"
            )
    return None, f"no window: {(out.stdout + out.stderr)[-200:]}"
