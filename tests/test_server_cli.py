"""`recap-server --demo` as a process, and `recap demo init` laptops that sync with no set-up."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import requests

from tests.pg_support import database_for


def test_demo_server_process_and_demo_laptop(tmp_path: Path) -> None:
    env = {**os.environ, "RECAP_LANG": "en"}
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "recap_server",
            "--data-dir",
            str(tmp_path / "srv"),
            "--demo",
            "--port",
            "0",
            *(["--database", db] if (db := database_for(tmp_path / "srv")) else []),
        ],
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert server.stderr is not None
        url = None
        for line in server.stderr:  # uvicorn says where it listens once it does
            found = re.search(r"Uvicorn running on (http://127\.0\.0\.1:\d+)", line)
            if found:
                url = found.group(1)
                break
        assert url is not None, "the server did not start"
        laptop = ["--data-dir", str(tmp_path / "laptop")]
        recap = [sys.executable, "-m", "recap_desktop", *laptop]
        assert (
            subprocess.run([*recap, "demo", "init"], env=env, capture_output=True).returncode == 0
        )
        populate = subprocess.run([*recap, "demo", "populate", "--stations", "2"], env=env)
        assert populate.returncode == 0
        synced = subprocess.run(
            [*recap, "sync", "--server", url], env=env, capture_output=True, text=True
        )
        assert synced.returncode == 0, synced.stdout + synced.stderr
        assert "Unsent: 0" in synced.stdout
        stats = requests.get(url + "/v1/stats", timeout=10).json()
        # The package, the server's certificate and the officer's, 4 sheets.
        assert stats["records"] == 7 and stats["disputes"] == 0
    finally:
        server.terminate()
        server.wait(timeout=30)
    sealed = json.loads((tmp_path / "srv" / "server.key").read_bytes())
    assert sealed["format"] == "recap-keystore" and sealed["kdf"]["name"] == "argon2id"
