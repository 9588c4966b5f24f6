"""The wheel as a new user gets it: built, installed in a fresh virtual environment outside
the checkout, and every command run from the installed package (issue 15).

One slow test (about two minutes, most of it pip installing PySide6 from its cache): build
the wheel once, install it with the server extra, then `recap demo init`, `demo populate`,
`verify`, `recap-server --demo`, `recap sync`, and the window offscreen through the real
`recap-desktop` script. The checkout is never on the path: the files must come from the wheel.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
VERSION = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]

# Runs the installed `recap-desktop` script with QApplication.exec patched: once the main
# window shows, it reports what it sees and quits.
WINDOW_PROBE = """
import json, runpy, sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

_exec = QApplication.exec

def _exec_and_probe(*args, **kwargs):
    app = QApplication.instance()
    def probe():
        from recap_desktop import resources
        from recap_desktop.ui.i18n import tr
        from recap_desktop.ui.main_window import MainWindow
        windows = [w for w in app.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible()]
        if not windows or windows[0].election is None:
            QTimer.singleShot(50, probe)
            return
        window = windows[0]
        about = window.about_box()
        print(json.dumps({
            "title": window.windowTitle(),
            "about": about.text(),
            "save": tr("Save and sign"),
            "icon": not app.windowIcon().isNull(),
            "resources": str(resources.path("translations")),
        }), flush=True)
        app.quit()
    QTimer.singleShot(0, probe)
    return _exec()

QApplication.exec = _exec_and_probe
sys.argv = sys.argv[1:]
runpy.run_path(sys.argv[0], run_name="__main__")
"""


def run(cmd: list[str], cwd: Path, env: dict[str, str], timeout: float = 300) -> str:
    done = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"{cmd}: {done.returncode}\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.mark.slow
def test_installed_wheel_runs_every_command_outside_the_checkout(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env.update(RECAP_LANG="en", QT_QPA_PLATFORM="offscreen", HOME=str(tmp_path / "home"))
    env.pop("RECAP_DATA_DIR", None)
    env.pop("RECAP_PASSPHRASE", None)

    # The wheel, with its resources and without the sources it must not need.
    wheels = tmp_path / "wheels"
    run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheels), str(ROOT)],
        tmp_path,
        env,
    )
    (wheel,) = wheels.glob("recap_desktop-*.whl")
    assert wheel.name.startswith(f"recap_desktop-{VERSION}-")
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in (
        "recap_desktop/_resources/demo/election.json",
        "recap_desktop/_resources/demo/demo_authority_seed.hex",
        "recap_desktop/_resources/translations/recap_id.qm",
        "recap_desktop/_resources/translations/recap_en.qm",
        "recap_desktop/_resources/icons/recap-desktop-256.png",
    ):
        assert needed in names
    assert not [n for n in names if n.endswith((".ts", "update.py", "render.py"))]

    # A fresh environment in the test's folder; pip (this one's, with its cache) fills it.
    venv = tmp_path / "venv"
    run([sys.executable, "-m", "venv", "--without-pip", str(venv)], tmp_path, env)
    python, bin_ = venv / "bin" / "python", venv / "bin"
    run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "-q", f"{wheel}[server]"],
        tmp_path,
        env,
        timeout=600,
    )
    where = run(
        [str(python), "-c", "import recap_desktop; print(recap_desktop.__file__)"], tmp_path, env
    )
    assert where.startswith(str(venv)) and str(ROOT) not in where

    for command in ("recap", "recap-server", "recap-desktop"):
        assert run([str(bin_ / command), "--version"], tmp_path, env).strip() == (
            f"{command} {VERSION}"
        )

    laptop = ["--data-dir", str(tmp_path / "laptop")]
    run([str(bin_ / "recap"), *laptop, "demo", "init"], tmp_path, env)
    run([str(bin_ / "recap"), *laptop, "demo", "populate", "--stations", "2"], tmp_path, env)
    assert run([str(bin_ / "recap"), *laptop, "verify"], tmp_path, env).startswith("Verified: 6 ")

    server = subprocess.Popen(
        [str(bin_ / "recap-server"), "--data-dir", str(tmp_path / "srv"), "--demo", "--port", "0"],
        cwd=tmp_path,
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stderr is not None
        url = None
        for line in server.stderr:  # uvicorn says where it listens once it does
            found = re.search(r"Uvicorn running on (http://127\.0\.0\.1:\d+)", line)
            if found:
                url = found.group(1)
                break
        assert url is not None, "the installed server did not start"
        synced = run([str(bin_ / "recap"), *laptop, "sync", "--server", url], tmp_path, env)
        assert "Unsent: 0" in synced
    finally:
        server.terminate()
        server.wait(timeout=30)

    shown = run(
        [str(python), "-c", WINDOW_PROBE, str(bin_ / "recap-desktop"), *laptop, "--lang", "id"],
        tmp_path,
        env,
        timeout=120,
    )
    seen = json.loads(shown.strip().splitlines()[-1])
    assert seen["title"].startswith("Recap Desktop")
    assert seen["about"] == f"Recap Desktop {VERSION}"
    assert seen["save"] == "Simpan dan tanda tangani"  # the Indonesian .qm, from the wheel
    assert seen["icon"]
    assert seen["resources"].startswith(str(venv))
