"""The benchmark machinery runs end to end at a tiny size and writes the issue's JSON shape.

Times are never asserted: this proves the benchmarks work, not how fast anything is.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
KEYS = {"name", "value", "unit", "baseline", "ratio", "better", "target", "meets", "note"}
TARGETS = {
    "save_sheet_p99",
    "save_sheet_flat",
    "verify_store",
    "recap_region",
    "cold_start",
    "window_rss_mb",
    "gui_stall_ms",
    "sync_push",
    "sync_pull",
    "first_contact_cpu_small",
    "first_contact_cpu_large",
}


def _fresh_bytecode(source: Path) -> bool:
    """Whether ``source`` has bytecode the interpreter takes instead of compiling it again:
    the header's magic number, source time and size as the loader checks them."""
    cached = Path(importlib.util.cache_from_source(str(source)))
    if not cached.exists():
        return False
    header = cached.read_bytes()[:16]
    stat = source.stat()
    return (
        header[:4] == importlib.util.MAGIC_NUMBER
        and int.from_bytes(header[4:8], "little") == 0  # checked by time and size
        and int.from_bytes(header[8:12], "little") == int(stat.st_mtime) & 0xFFFFFFFF
        and int.from_bytes(header[12:16], "little") == stat.st_size & 0xFFFFFFFF
    )


def test_tiny_bench_run_writes_the_json_shape(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    # The bench compiles the program as installing it would, whatever starts the bench
    # (PYTHONDONTWRITEBYTECODE=1 on this project's machines): else every window, helper and
    # server it times compiles the source first. A module's bytecode of each package is
    # removed to see it, and the processes the bench starts may write none themselves.
    window = ROOT / "recap_desktop" / "ui" / "main_window.py"
    ledger = ROOT / "recap_server" / "ledger.py"
    for source in (window, ledger):
        Path(importlib.util.cache_from_source(str(source))).unlink(missing_ok=True)
    env = {**os.environ, "RECAP_BENCH_CACHE": str(tmp_path / "cache")}
    env["QT_QPA_PLATFORM"] = "offscreen"
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--tiny", "--json", str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert _fresh_bytecode(window) and _fresh_bytecode(ledger)
    assert all(_fresh_bytecode(path) for path in (ROOT / "recap_server").glob("*.py"))
    doc = json.loads(out.read_text())
    assert set(doc) == {"machine", "results"}
    assert doc["machine"]["cores"] >= 1
    by_name = {r["name"]: r for r in doc["results"]}
    assert TARGETS <= set(by_name)
    for row in doc["results"]:
        assert set(row) == KEYS, row
        assert row["better"] in ("higher", "lower")
        assert row["meets"] in (True, False, None)
        if row["value"] is None:  # not measured: says why, claims nothing
            assert row["meets"] is None and row["note"].startswith("not measured")
        if row["baseline"] is not None:
            assert row["value"] is not None and row["ratio"] is not None
    for name in (
        "save_sheet_p99",
        "save_sheet_flat",
        "verify_store",
        "recap_region",
        "sync_push",
        "sync_pull",
        "cold_start",  # the window's harness works: it saw main.py's window shown
    ):
        assert by_name[name]["value"] is not None and by_name[name]["baseline"] is not None
    for name in ("window_rss_mb", "gui_stall_ms"):
        assert by_name[name]["value"] is not None, by_name[name]["note"]
    assert "save_sheet_p99" in done.stdout  # the table
