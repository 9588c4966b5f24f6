"""``python -m bench.authority_pull [N]``: what a pull from cursor 0 costs a laptop when the
server holds N certificates (7,000 by default, the national shape's), fresh and then holding
them all (PROTOCOL §9.5: pages name certificates by hash; a laptop fetches those it lacks).

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
    seen = {"pages": 0, "page_bytes": 0, "fetches": 0, "fetch_bytes": 0}

    def hook(response: requests.Response, *args: Any, **kwargs: Any) -> None:
        path = response.request.path_url
        if path.startswith("/v1/pull"):
            seen["pages"] += 1
            seen["page_bytes"] += len(response.content)
        elif path.startswith("/v1/authority/records"):
            seen["fetches"] += 1
            seen["fetch_bytes"] += len(response.content)

    engine = sync_service.make_engine(laptop.ws, url, attempts=1)
    engine.client.session.hooks["response"].append(hook)
    start = time.perf_counter()
    try:
        result = engine.sync()
    finally:
        engine.client.close()
    took = time.perf_counter() - start
    return (
        f"{result.outcome}, {result.pulled} records pulled, {seen['pages']} pages of"
        f" {seen['page_bytes']:,} bytes, {seen['fetches']} fetches of {seen['fetch_bytes']:,}"
        f" bytes, {took:.2f} s"
    )


def main(argv: list[str]) -> int:
    count = int(argv[0]) if argv else 7000
    folder = Path(tempfile.mkdtemp(prefix="recap-authority-pull-"))
    server = LiveServer(folder / "server")
    try:
        keys = [SigningKey.from_seed(i.to_bytes(4, "big") * 8) for i in range(count)]
        certificates = [certificate(k, "operator", DISTRICT) for k in keys]
        for start in range(0, count, 1000):
            server.ledger.push([c.to_json() for c in certificates[start : start + 1000]])
        laptop = make_laptop(folder / "laptop", "op-a")
        print(f"fresh laptop, {count:,} certificates on the server: {_sync(laptop, server.url)}")
        laptop.ws.store.outbox.set_setting(f"log cursor {server.url} {DISTRICT}", "0")
        print(f"the same laptop from cursor 0, holding them: {_sync(laptop, server.url)}")
        laptop.ws.close()
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
