"""A verification worker process imports only crypto, domain and protocol: what it runs must
not pull in the store's or the keystore's libraries (their import was most of a worker's
start-up)."""

from __future__ import annotations

import subprocess
import sys


def test_the_worker_module_imports_neither_services_nor_storage() -> None:
    code = (
        "import sys, recap_desktop.protocol.rowcheck\n"
        "heavy = [m for m in sys.modules if m.startswith(('recap_desktop.services',"
        " 'recap_desktop.storage', 'sqlite_utils'))]\n"
        "print(heavy)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == "[]"
