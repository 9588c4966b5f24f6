"""The officer's desk: GUI stalls while a key unlocks, a sheet is signed and a review is
signed, and the cost of a sheet typed with the keyboard (key presses, program milliseconds).

Run in a child interpreter on the offscreen platform (``python -m bench.desk DIR``): a
supervisor's DEMO folder with an operator's sheets; the real MainWindow; a 5 ms timer on the
GUI thread whose largest gap between ticks is the stall, while (1) the key is unsealed
(Argon2id, 64 MiB) with a passphrase given at once, (2) sheets are found with Ctrl+F, typed
with Enter and signed with Ctrl+S through ``tests/desk.Officer``, key events only, and (3) a
sheet is approved. The typing is instant, so each sheet's milliseconds are the program's own.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import time
from itertools import pairwise
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SHEETS = 5


def measure(scratch: Path, timeout: float = 600) -> tuple[dict[str, Any] | None, str]:
    """The child's figures, or None and why."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "RECAP_LANG": "en"}
    folder = scratch / "desk"
    try:
        done = subprocess.run(
            [sys.executable, "-m", "bench.desk", str(folder)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return None, f"no answer in {timeout:.0f} s"
    lines = [line for line in done.stdout.splitlines() if line.startswith("DESK ")]
    if done.returncode != 0 or not lines:
        return None, (done.stderr.strip().splitlines() or ["no output"])[-1][:200]
    return json.loads(lines[-1][5:]), ""


class _Driver:
    """What tests/desk.Officer needs of pytest-qt's qtbot, from QTest alone."""

    def keyClick(self, widget: Any, key: Any, modifiers: Any = None) -> None:
        from PySide6.QtCore import Qt
        from PySide6.QtTest import QTest

        QTest.keyClick(widget, key, modifiers or Qt.KeyboardModifier.NoModifier)

    def keyClicks(self, widget: Any, text: str) -> None:
        from PySide6.QtTest import QTest

        QTest.keyClicks(widget, text)

    def waitUntil(self, check: Any, timeout: int = 60_000) -> None:
        from PySide6.QtWidgets import QApplication

        end = time.monotonic() + timeout / 1000
        while not check():
            if time.monotonic() > end:
                raise TimeoutError("the window did not get there")
            QApplication.processEvents()
            time.sleep(0.001)


def _run(folder: Path) -> dict[str, Any]:
    from PySide6.QtCore import QSettings, QTimer
    from PySide6.QtWidgets import QApplication

    from recap_desktop.crypto.keys import SigningKey
    from recap_desktop.domain.chasil_demo import random_sheet
    from recap_desktop.services import Workspace
    from recap_desktop.services import demo as demo_service
    from recap_desktop.services import identity as identity_service
    from recap_desktop.services.election import current_election
    from recap_desktop.ui import i18n
    from recap_desktop.ui.keyholder import KeyHolder
    from recap_desktop.ui.main_window import MainWindow
    from recap_desktop.ui.settings import Settings
    from tests.desk import Officer

    app = QApplication.instance() or QApplication([])
    ws = Workspace(folder)
    demo_service.init_demo(ws, officer_id="sup-1", role="supervisor")
    operator = SigningKey.generate()
    ident = identity_service.Identity(
        key_id=operator.key_id,
        public_key=operator.public_key,
        name="Operator Satu",
        officer_id="op-1",
        role="operator",
        demo=True,
        certificate=None,
    )
    demo_service.certify(ws, ident, role="operator", jurisdiction="32")
    demo_service.populate(ws, operator, stations=2)
    i18n.install("en")
    settings = Settings(QSettings(str(folder.parent / "settings.ini"), QSettings.Format.IniFormat))
    keys = KeyHolder(ws, 15, ask=lambda parent, hint: identity_service.DEMO_PASSPHRASE)
    window = MainWindow(ws, settings, keys=keys, verify_on_open=False)
    window.resize(1100, 600)
    window.show()
    window.activateWindow()
    driver = _Driver()
    driver.waitUntil(lambda: window.election is not None)

    ticks: list[float] = []
    timer = QTimer()
    timer.setInterval(5)
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))

    def watched(step: Any) -> float:
        ticks.clear()
        timer.start()
        step()
        driver.waitUntil(lambda: len(ticks) >= 3)
        timer.stop()
        return max(b - a for a, b in pairwise(ticks)) * 1000

    gaps: dict[str, float] = {}
    gaps["unlock"] = watched(lambda: keys.key(window))

    # A supervisor reviews; sheets are an operator's to sign: they are typed in a second
    # folder, an operator's, below.
    view = window.supervisor
    window.supervisor.start_verification()
    driver.waitUntil(lambda: bool(view.model.rows), timeout=120_000)
    sheet = next(r for r in view.model.rows if r.type == "sheet")
    view.ask = lambda parent, title, required: ""
    view.select_record(sheet.hash)

    def review() -> None:
        view.review_selected("approve")
        driver.waitUntil(lambda: view.reviewing is None)

    gaps["review"] = watched(review)
    window.close()
    ws.close()

    op_folder = folder.parent / "operator"
    op = Workspace(op_folder)
    demo_service.init_demo(op)
    keys = KeyHolder(op, 15, ask=lambda parent, hint: identity_service.DEMO_PASSPHRASE)
    window = MainWindow(op, settings, keys=keys, verify_on_open=False)
    window.resize(1100, 600)
    window.show()
    window.activateWindow()
    driver.waitUntil(lambda: window.election is not None)
    keys.key(window)
    officer = Officer(driver, window)
    election = current_election(op)
    contest = election.contests["ppwp"]
    codes = sorted(c for c in election.stations if c.startswith("32.01.01."))[:SHEETS]
    save_gaps, costs = [], []
    for n, code in enumerate(codes):
        values = random_sheet(contest, election.stations[code].registered, random.Random(n))
        start_keys, start = officer.keys, time.perf_counter()
        officer.open_station(code)
        officer.type_sheet(values)
        # The stall is watched over the save alone: QTest's typing holds the event loop
        # for its own burst of keys, which no person types.
        save_gaps.append(watched(officer.save))
        costs.append((officer.keys - start_keys, (time.perf_counter() - start) * 1000))
    gaps["save"] = max(save_gaps)
    window.close()
    op.close()
    app.processEvents()
    keys_per_sheet = sum(k for k, _ in costs) / len(costs)
    ms_per_sheet = sum(ms for _, ms in costs) / len(costs)
    return {
        "gaps": gaps,
        "keys_per_sheet": keys_per_sheet,
        "ms_per_sheet": ms_per_sheet,
        "sheets": len(codes),
    }


if __name__ == "__main__":
    folder = Path(sys.argv[1])
    figures = _run(folder)
    print("DESK " + json.dumps(figures), flush=True)
