"""``python -m bench.authority_pull [N]``: what a pull from cursor 0 costs a laptop when the
server holds N certificates (7,000 by default, the national shape's: one officer per district,
each in its district's partition, PROTOCOL §10.2), fresh and then holding what it was sent
(§9.5: pages name certificates by hash; a laptop fetches those it lacks). The laptop's own
district holds one of them: its pull names that one, its own and the server's, not the nation's.

The real server on loopback (the tests' ``LiveServer``, SQLite), a demo laptop, the real
sync engine; bytes are the decoded JSON the laptop read. A figure of docs/PERFORMANCE.md
("Authority records by hash"); not part of ``python -m bench``.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import requests

from recap_desktop.crypto.keys import SigningKey
from recap_desktop.services import sync as sync_service
from tests.hostile import certificate
from tests.sync_support import DISTRICT, Laptop, LiveServer, make_laptop


def _sync(laptop: Laptop, url: str) -> str:
    seen = {"pages": 0, "page_bytes": 0, "named": 0, "fetches": 0, "fetch_bytes": 0}

    def hook(response: requests.Response, *args: Any, **kwargs: Any) -> None:
        path = response.request.path_url
        if path.startswith("/v1/pull"):
            seen["pages"] += 1
            seen["page_bytes"] += len(response.content)
            seen["named"] += sum("authority" in e for e in response.json()["entries"])
        elif path.startswith("/v1/authority/records"):
            seen["fetches"] += 1
            seen["fetch_bytes"] += len(response.content)

    engine = sync_service.make_engine(laptop.ws, url, attempts=1)
    engine.client.session.hooks["response"].append(hook)
    start, cpu = time.perf_counter(), time.process_time()
    try:
        result = engine.sync()
    finally:
        engine.client.close()
    took, cpu = time.perf_counter() - start, time.process_time() - cpu
    return (
        f"{result.outcome}, {result.pulled} records pulled, {seen['pages']} pages of"
        f" {seen['page_bytes']:,} bytes naming {seen['named']:,} authority records,"
        f" {seen['fetches']} fetches of {seen['fetch_bytes']:,} bytes, {took:.2f} s"
        f" ({cpu:.2f} s CPU, laptop and server together)"
    )


def _server_alone(url: str) -> str:
    """The server's side of a fresh laptop's first pull, with no laptop at work beside it:
    every page from 0 (500 entries, as the client asks) and a fetch of every certificate
    named (a fresh laptop lacks all but its own), timed as this process's CPU (the server
    runs in it; the requests themselves cost little beside)."""
    cpu, since, requests_made, named = time.process_time(), 0, 0, 0
    with requests.Session() as session:
        while True:
            params: dict[str, str | int] = {"jurisdiction": DISTRICT, "since": since, "limit": 500}
            page = session.get(f"{url}/v1/pull", params=params, timeout=60).json()
            hashes = [e["authority"] for e in page["entries"] if "authority" in e]
            named += len(hashes)
            requests_made += 1
            for start in range(0, len(hashes), 1000):
                body = {"hashes": hashes[start : start + 1000]}
                session.post(
                    f"{url}/v1/authority/records", json=body, timeout=60
                ).raise_for_status()
                requests_made += 1
            since = page["next"]
            if not page["more"]:
                break
    cpu = time.process_time() - cpu
    return f"{requests_made} requests naming {named:,} authority records, {cpu * 1000:.0f} ms CPU"


def _district(i: int) -> str:
    """The i-th of the other districts: provinces 40 onwards, 20 regencies of 20 each."""
    return f"{40 + i // 400}.{(i // 20) % 20 + 1:02d}.{i % 20 + 1:02d}"


def main(argv: list[str]) -> int:
    count = int(argv[0]) if argv else 7000
    folder = Path(tempfile.mkdtemp(prefix="recap-authority-pull-"))
    server = LiveServer(folder / "server")
    try:
        keys = [SigningKey.from_seed(i.to_bytes(4, "big") * 8) for i in range(count)]
        places = [DISTRICT] + [_district(i) for i in range(count - 1)]
        certificates = [certificate(k, "operator", p) for k, p in zip(keys, places, strict=True)]
        for start in range(0, count, 1000):
            server.ledger.push([c.to_json() for c in certificates[start : start + 1000]])
        laptop = make_laptop(folder / "laptop", "op-a")
        print(f"the server's side of a first pull, alone: {_server_alone(server.url)}")
        print(f"fresh laptop, {count:,} certificates on the server: {_sync(laptop, server.url)}")
        laptop.ws.store.outbox.set_setting(f"log cursor {server.url} {DISTRICT}", "0")
        print(f"the same laptop from cursor 0: {_sync(laptop, server.url)}")
        laptop.ws.close()
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
