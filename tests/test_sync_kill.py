"""The client process killed (SIGKILL) at points of a sync; the next sync completes cleanly."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from recap_desktop.services import demo as demo_service
from recap_desktop.sync import testpoints
from tests.sync_support import (
    LiveServer,
    laptop_hashes,
    live_server,
    make_laptop,
    server_hashes,
)

__all__ = ["live_server"]


def make_store(data_dir: Path):  # type: ignore[no-untyped-def]
    from recap_desktop.storage import Store

    return Store.in_dir(data_dir)


def recap_sync(
    data_dir: Path, url: str, kill_at: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != testpoints.ENV}
    if kill_at is not None:
        env[testpoints.ENV] = kill_at
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "recap_desktop",
            "--data-dir",
            str(data_dir),
            "sync",
            "--json",
            "--server",
            url,
            "--attempts",
            "1",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


@pytest.mark.parametrize("point", ["before_send", "after_server_commit", "after_server_commit#2"])
def test_killed_while_pushing(live_server: LiveServer, tmp_path: Path, point: str) -> None:
    a = make_laptop(tmp_path / "a", "op-a")
    demo_service.populate(a.ws, a.key, stations=5)
    base = set(server_hashes(live_server))  # its package and its own certificate
    # The laptop learns the server's certificate at its first contact, and sends it on too.
    expected = set(laptop_hashes(a)) | base
    a.ws.close()

    killed = recap_sync(a.data_dir, live_server.url, kill_at=point)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    committed = set(server_hashes(live_server))
    authority = 3  # the package, the server's certificate and the officer's
    if point == "before_send":
        assert committed == base
    elif point == "after_server_commit":
        # The first batch (the authority's records) is committed; its receipt never got stored.
        # What the server held before (its package and certificate) was asked by hash first
        # and marked sent from that answer's receipt (PROTOCOL §9.9).
        assert len(committed) == authority and committed <= expected
        a_store = make_store(a.data_dir)
        assert a_store.outbox.unsent_count() == len(expected) - len(base)
        a_store.close()
    else:
        # Killed after the sheets' batch was committed: the server has it all, the laptop
        # holds a receipt for the first batch only.
        assert committed == expected
        a_store = make_store(a.data_dir)
        assert a_store.outbox.unsent_count() == len(expected) - authority
        a_store.close()

    done = recap_sync(a.data_dir, live_server.url)
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(done.stdout)
    assert report["unsent"] == 0
    if point == "after_server_commit":
        # The officer's certificate, committed before the kill, is found held by hash.
        held_now = authority - len(base)
        assert report["held"] == held_now and report["sent"] == len(expected) - authority
    if point == "after_server_commit#2":
        assert report["held"] == len(expected) - authority and report["sent"] == 0
    held = server_hashes(live_server)
    assert len(held) == len(set(held)) and set(held) == expected


def test_killed_during_pull(live_server: LiveServer, tmp_path: Path) -> None:
    a = make_laptop(tmp_path / "a", "op-a")
    b = make_laptop(tmp_path / "b", "op-b")
    demo_service.populate(a.ws, a.key, stations=4)
    a.ws.close()
    b.ws.close()
    assert recap_sync(a.data_dir, live_server.url).returncode == 0

    killed = recap_sync(b.data_dir, live_server.url, kill_at="during_pull")
    assert killed.returncode == -signal.SIGKILL
    done = recap_sync(b.data_dir, live_server.url)
    assert done.returncode == 0, done.stdout + done.stderr
    assert json.loads(done.stdout)["pulled"] == 9  # A's certificate and 8 sheets
    mine = laptop_hashes(b)
    assert len(mine) == len(set(mine))
    assert sorted(mine) == sorted(server_hashes(live_server))
