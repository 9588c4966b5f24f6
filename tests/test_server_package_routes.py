"""The package routes, open to anyone, read each version once. They parsed every version
held on every request: with a 45 MB version 2, `/v1/election/versions` took 5 s to send
300 bytes and `/v1/health` waited 3.5 s behind four such requests. A version is immutable
by its hash, so its file is made once and its "issued" kept beside it."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import requests

from tests.sync_support import LiveServer


class Counting:
    """The server's storage, counting how often the packages are read from the database."""

    def __init__(self, storage: Any) -> None:
        self._storage = storage
        self.package_reads = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._storage, name)

    def authority_records(self, types: Any = None) -> list[Any]:
        if types is None or "election" in types:
            self.package_reads += 1
        return list(self._storage.authority_records(types))

    def record(self, hash_: str) -> Any:
        found = self._storage.record(hash_)
        if found is not None and found.type == "election":
            self.package_reads += 1
        return found


def test_each_package_version_is_read_once_whoever_asks_how_often(tmp_path: Path) -> None:
    made: list[Counting] = []

    def wrap(storage: Any) -> Counting:
        made.append(Counting(storage))
        return made[0]

    server = LiveServer(tmp_path / "server", storage=wrap)
    try:
        answers = []
        for _ in range(5):
            for path, gz in (
                ("/v1/election/versions", True),
                ("/v1/election", True),
                ("/v1/election", False),
                ("/v1/election/versions/1", True),
            ):
                headers = {"Accept-Encoding": "gzip" if gz else "identity"}
                answer = requests.get(server.url + path, headers=headers, timeout=30)
                assert answer.status_code == 200, (path, answer.text)
                answers.append((path, gz, answer.json()))
        assert made[0].package_reads == 1
        versions = answers[0][2]
        [listed] = versions["versions"]
        assert listed["version"] == versions["current"] == 1 and listed["issued"]
        whole = [a for p, _, a in answers if p != "/v1/election/versions"]
        assert all(a == whole[0] for a in whole)
        assert whole[0]["records"][0]["hash"] == listed["hash"]
        missing = requests.get(server.url + "/v1/election/versions/2", timeout=30)
        assert missing.status_code == 404 and "no package version 2" in missing.text
        assert made[0].package_reads == 1
        raw = requests.get(server.url + "/v1/election", stream=True, timeout=30).raw.read()
        assert json.loads(gzip.decompress(raw)) == whole[0]  # sent gzipped as made
    finally:
        server.stop()
