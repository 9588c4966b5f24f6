"""``python -m bench.health_probe URL``: ``GET /v1/health`` every 100 ms on one kept-alive
connection, from a process of its own, printing ``<start (monotonic)> <ms> <status>`` a line
each until killed (status 0: no answer). The national run's probe (bench/national.py): a
laptop is a machine of its own, and the load generator's event loop, busy with hundreds of
requests in flight, adds its own lag to whatever it times itself."""

from __future__ import annotations

import http.client
import sys
import time
from urllib.parse import urlsplit

INTERVAL = 0.1  # seconds between two probes' starts
TIMEOUT = 30.0


def main(argv: list[str] | None = None) -> int:
    url = urlsplit((argv if argv is not None else sys.argv[1:])[0])
    conn: http.client.HTTPConnection | None = None
    while True:
        start = time.monotonic()
        status = 0
        try:
            if conn is None:
                conn = http.client.HTTPConnection(url.hostname or "", url.port, timeout=TIMEOUT)
            conn.request("GET", "/v1/health", headers={"Accept-Encoding": "gzip"})
            answer = conn.getresponse()
            answer.read()
            status = answer.status
        except (OSError, http.client.HTTPException):
            if conn is not None:
                conn.close()
            conn = None  # a new connection for the next probe
        took = (time.monotonic() - start) * 1000
        print(f"{start:.4f} {took:.2f} {status}", flush=True)
        time.sleep(max(0.0, INTERVAL - (time.monotonic() - start)))


if __name__ == "__main__":
    sys.exit(main())
