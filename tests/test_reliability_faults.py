"""Trial 3: disk full, read-only file and I/O errors give a clear catalogue message, leave
nothing half-written, and the retry succeeds once the cause is gone."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from recap_desktop.crypto.keys import SigningKey
from recap_desktop.services import RecapError, Workspace
from recap_desktop.services.sheets import enter_sheet
from recap_desktop.storage import StorageError
from reliability.common import check_store, make_demo
from reliability.faults import _cli, _fsize_limit, _steps, faults_trial, readonly_setup


def _can_unshare() -> bool:
    if shutil.which("unshare") is None:
        return False
    probe = subprocess.run(["unshare", "--user", "--map-root-user", "--mount", "true"])
    return probe.returncode == 0


def test_small_fault_trial(tmp_path: Path) -> None:
    result = faults_trial(1, tmp_path)
    assert result.failures == []
    counts = result.counts
    assert counts["disk full (max_page_count), services: retry on the same connection saved"]
    assert counts["I/O error (write fails with EFBIG): CLI exit 2 with message store.io"]
    if _can_unshare():
        assert counts["disk full (a real full filesystem), CLI: retry after freeing space saved"]
    if os.geteuid() == 0 and shutil.which("setpriv"):
        assert counts["read-only database file: retry after chmod saved"]


def test_a_full_disk_is_a_typed_error_with_its_message(
    demo_ws: Workspace, demo_key: SigningKey
) -> None:
    """Found by the trial: the CLI printed SQLite's English text inside the generic message;
    the cause now picks the catalogue entry (store.full, store.readonly, store.io), and the
    services raise it as the RecapError the window and the CLI both show."""
    from recap_desktop.services.sheets import template

    stations = sorted(demo_ws.store.package.election().stations)  # type: ignore[union-attr]
    pages = demo_ws.store.db.execute("PRAGMA page_count").fetchone()[0]
    demo_ws.store.db.execute(f"PRAGMA max_page_count = {pages + 2}")
    saved = 0
    with pytest.raises(RecapError) as caught:
        for station in stations:
            zeros = template(demo_ws, station, "ppwp")
            enter_sheet(demo_ws, demo_key, station, "ppwp", zeros, warnings_reason="latihan")
            saved += 1
    assert caught.value.key == "store.full"
    assert isinstance(caught.value.__cause__, StorageError)
    assert "disk is full" in caught.value.message("en")
    assert demo_ws.store.records.count("sheet") == saved < len(stations)


def test_an_io_error_in_the_cli_says_so_and_the_retry_saves(tmp_path: Path) -> None:
    demo = make_demo(tmp_path / "d")
    step = _steps(demo, tmp_path, 1)[0]
    failed = _cli(demo.data_dir, step, preexec=_fsize_limit(36 * 1024))
    assert failed.returncode == 2
    assert "input/output error" in failed.stderr
    retry = _cli(demo.data_dir, step)
    assert retry.returncode == 0, retry.stderr
    assert check_store(demo.data_dir, {retry.stdout.strip()}) == []
    assert json.loads(Path(step["values"]).read_text())


@pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("setpriv") is None,
    reason="needs root to run the program as an unprivileged user (setpriv)",
)
def test_a_read_only_store_saves_again_once_it_is_writable(tmp_path: Path) -> None:
    """Found by the trial: the failed attempt left a read-only -shm behind (SQLite copies the
    database's mode), so the save kept failing after the file was made writable again."""
    demo = make_demo(tmp_path / "d")
    base, copy, step = readonly_setup(demo, _steps(demo, tmp_path, 1)[0])
    try:
        failed = _cli(copy.data_dir, step, user=True)
        assert failed.returncode == 2 and "read-only" in failed.stderr
        os.chmod(copy.db, 0o644)
        retry = _cli(copy.data_dir, step, user=True)
        assert retry.returncode == 0, retry.stderr
        assert check_store(copy.data_dir, {retry.stdout.strip()}) == []
    finally:
        shutil.rmtree(base)
