"""``python -m bench.health_probe URL``: ``GET /v1/health`` every 100 ms on one kept-alive
connection, from a process of its own, printing ``<start (monotonic)> <ms> <status>`` a line
each until killed (status 0: no answer). Asked as a laptop asks it (``known``: the size of
the head it saw last, so the answer carries the consistency proof), the answer read whole.
The national run's probe (bench/national.py): a laptop is a machine of its own, and the load
generator's event loop, busy with hundreds of requests in flight, adds its own lag to
whatever it times itself."""

from __future__ import annotations

import gzip
import http.client
import json
import sys
import time
import zlib
from urllib.parse import urlsplit

INTERVAL = 0.1  # seconds between two probes' starts
TIMEOUT = 30.0


def main(argv: list[str] | None = None) -> int:
    url = urlsplit((argv if argv is not None else sys.argv[1:])[0])
    conn: http.client.HTTPConnection | None = None
    known = 0
    while True:
        start = time.monotonic()
        status = 0
        try:
            if conn is None:
                conn = http.client.HTTPConnection(url.hostname or "", url.port, timeout=TIMEOUT)
            path = f"/v1/health?known={known}" if known else "/v1/health"
            conn.request("GET", path, headers={"Accept-Encoding": "gzip"})
            answer = conn.getresponse()
            body = answer.read()
            status = answer.status
            if answer.getheader("Content-Encoding") == "gzip":
                body = gzip.decompress(body)
            head = json.loads(body).get("head") if status == 200 else None
            known = int(head["payload"]["size"]) if head else known
        except (
            OSError,
            http.client.HTTPException,
            ValueError,
            zlib.error,
            LookupError,
            TypeError,
            AttributeError,
        ):
            status = 0  # no answer, or one that is not health's
            if conn is not None:
                conn.close()
            conn = None  # a new connection for the next probe
        took = (time.monotonic() - start) * 1000
        print(f"{start:.4f} {took:.2f} {status}", flush=True)
        time.sleep(max(0.0, INTERVAL - (time.monotonic() - start)))


if __name__ == "__main__":
    sys.exit(main())
