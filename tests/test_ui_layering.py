"""Only recap_desktop.ui imports Qt; inside ui/, only qt.py imports PySide6 directly."""

from __future__ import annotations

import pkgutil
import subprocess
import sys
from pathlib import Path

import recap_desktop

ROOT = Path(recap_desktop.__file__).resolve().parent


def test_the_core_never_imports_qt_or_the_window() -> None:
    core = [
        m.name
        for m in pkgutil.walk_packages([str(ROOT)], "recap_desktop.")
        if not m.name.startswith("recap_desktop.ui") and not m.name.endswith("__main__")
    ]
    code = (
        "import importlib, sys\n"
        f"for name in {core!r}: importlib.import_module(name)\n"
        "bad = [m for m in sys.modules if m.startswith(('PySide6', 'recap_desktop.ui'))]\n"
        "print(bad)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# Every window module, the sync engine's Qt adapter included, goes through qt.py.
OWN_QT_IMPORTS = {"qt.py"}


def test_one_qt_import_point() -> None:
    for path in (ROOT / "ui").glob("*.py"):
        if path.name not in OWN_QT_IMPORTS:
            text = path.read_text()
            assert "import PySide6" not in text and "from PySide6" not in text, path.name


def test_the_window_never_holds_the_store() -> None:
    """The UI asks services (DESIGN: the UI never writes SQL nor holds the store): no window
    module names the Workspace's store or imports the storage package."""
    import re

    reach = re.compile(r"\.store\b|recap_desktop\.storage|from recap_desktop import storage")
    found = [
        f"{path.name}:{n}: {line.strip()}"
        for path in sorted((ROOT / "ui").glob("*.py"))
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if reach.search(line.split("#", 1)[0])
    ]
    assert found == []
