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
import sys
from pathlib import Path

from bench import stores
from bench.baselines import seconds_until_ready

ROOT = Path(__file__).resolve().parents[1]

_HARNESS = """
import runpy, sys, time
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

_exec = QApplication.exec
settle = float(sys.argv.pop(1))

def _peak_mb():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return -1.0

def _exec_and_watch(*args, **kwargs):
    app = QApplication.instance()
    def check():
        shown = [w for w in app.topLevelWidgets() if w.isVisible() and w.isWindow()]
        if not shown:
            QTimer.singleShot(10, check)
            return
        print(f"READY {_peak_mb():.1f}", flush=True)
        if settle > 0:
            QTimer.singleShot(int(settle * 1000), report)
        else:
            app.quit()
    def report():
        print(f"PEAK {_peak_mb():.1f}", flush=True)
        app.quit()
    QTimer.singleShot(0, check)
    return _exec(*args, **kwargs)

QApplication.exec = _exec_and_watch
sys.argv = sys.argv[1:]
runpy.run_path(sys.argv[0], run_name="__main__")
"""


def window_missing() -> str | None:
    """Why the window cannot be measured, or None when it can."""
    spec = importlib.util.find_spec("recap_desktop.ui")
    if spec is None or spec.origin is None:  # absent, or an empty namespace folder
        return "needs the window (recap_desktop.ui is not built yet)"
    if "--data-dir" not in (ROOT / "main.py").read_text():
        return "needs the window (main.py does not open one with --data-dir yet)"
    return None


def cold_start(store: stores.BuiltStore, timeout: float = 300) -> tuple[float | None, str]:
    """Seconds from process start to an interactive window on ``store``, or None and why."""
    args = [sys.executable, "-c", _HARNESS, "0", str(ROOT / "main.py"), "--data-dir"]
    seconds, line = seconds_until_ready([*args, str(store.path)], timeout)
    if seconds is None:
        return None, f"main.py showed no window within {timeout:.0f} s: {line[-200:]}"
    return seconds, line


def peak_rss_mb(store: stores.BuiltStore, settle: float = 10, timeout: float = 300) -> float | None:
    """Peak resident memory of the window on ``store``, ``settle`` seconds after it is shown."""
    import subprocess

    from bench.baselines import window_env

    args = [sys.executable, "-c", _HARNESS, str(settle), str(ROOT / "main.py"), "--data-dir"]
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
