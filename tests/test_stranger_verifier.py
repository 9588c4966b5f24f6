"""Runs the stranger's JavaScript verifier (tests/stranger/) over the published vectors.

The verifier was written from docs/PROTOCOL.md alone; this test imports nothing of the project.
"""

import pathlib
import shutil
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
VERIFIER = ROOT / "tests" / "stranger" / "verifier.mjs"


def test_stranger_verifier_matches_every_vector():
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not on PATH: the stranger's verifier is JavaScript (Node.js 20)")
    result = subprocess.run(
        [node, str(VERIFIER)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ALL MATCH" in result.stdout, result.stdout
