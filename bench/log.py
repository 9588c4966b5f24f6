"""What the transparency log (docs/PROTOCOL.md §10) costs per record, at a log of national
size, and how fast an auditor replays a whole log.

The server's and the laptop's extra work for one push of 500 records is measured on a log of
``size`` entries in the server's own tables (``recap_server.log``), spread over partitions of
~150 entries as a national log's 7,000 districts are: the nodes appended to the log's tree and
to each partition's, the partitions tree, the head's signature and the proofs the answer
carries; then the laptop's checks of that answer and of a pull's completeness. The log is
built once and cached (``RECAP_BENCH_CACHE``); each measurement runs inside a transaction that
is rolled back, so the cached log never grows.

The audit rate is ``recap audit`` against the real server on loopback, after the sync rows
pushed a store into it.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
import statistics
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

from bench import stores
from recap_desktop.crypto.keys import SigningKey
from recap_desktop.domain.election import ElectionView
from recap_desktop.protocol import log as protocol
from recap_desktop.protocol.trust import Certificate, Trust
from recap_server import log as server_log
from recap_server.log import Summary

BATCH = 500
PER_PARTITION = 150
_RECEIVED = "2026-02-14T10:00:00Z"


def _digest(index: int) -> str:
    return hashlib.sha256(index.to_bytes(8, "big")).hexdigest()


def _leaf(index: int, partitions: int) -> tuple[str, bytes]:
    name = f"32.{index % partitions // 100:02d}.{index % partitions % 100:02d}"
    return name, protocol.leaf_hash(_digest(index), index, name, _RECEIVED)


def cached_log(size: int) -> Path:
    """A server database holding only the log's tables, for ``size`` entries."""
    root = stores.cache_root_made()
    target = root / f"log-{size}-p{PER_PARTITION}.db"
    if target.exists():
        return target
    staging = target.with_suffix(".building")
    staging.unlink(missing_ok=True)
    conn = sqlite3.connect(staging, isolation_level=None)
    for statement in server_log.SCHEMA:
        conn.execute(statement)
    partitions = max(1, size // PER_PARTITION)
    done = 0
    while done < size:
        chunk = min(20_000, size - done)
        conn.execute("BEGIN")
        server_log.append(conn, done, [_leaf(i, partitions) for i in range(done, done + chunk)])
        conn.execute("COMMIT")
        done += chunk
    conn.close()
    staging.rename(target)
    return target


def receipt_costs(size: int, repeats: int = 5) -> dict[str, float]:
    """Server and laptop CPU (µs per record) and bytes per record that the log adds to a push
    of 500 records and to a pull of 500, at a log of ``size`` entries."""
    path = cached_log(size)
    conn = sqlite3.connect(path, isolation_level=None)
    partitions = max(1, size // PER_PARTITION)
    server = SigningKey.generate()
    summary = Summary(server_log.partition_states(conn))
    trust = _trust(server)
    known = size - 3 * BATCH  # the laptop's newest head: a few pushes ago
    known_head = protocol.parse_head(
        protocol.sign_head(
            server, "bench", known, server_log.root(conn, known), b"\0" * 32, 0, _now()
        ),
        trust,
    )
    server_us, client_us, push_bytes, pull_bytes = [], [], [], []
    for _ in range(repeats):
        # One laptop's batch: its district's records, one partition.
        district = _leaf(size, partitions)[0]
        leaves = [
            (district, protocol.leaf_hash(_digest(i), i, district, _RECEIVED))
            for i in range(size, size + BATCH)
        ]
        conn.execute("BEGIN")
        started = time.process_time()
        appended = server_log.append(conn, size, leaves)
        grown = summary.grown(appended.partitions)
        head = protocol.sign_head(
            server, "bench", appended.size, appended.root, grown.root, grown.count, _now()
        )
        consistency = server_log.consistency(conn, known, appended.size)
        answer = {
            "head": head.to_json(),
            "proofs": {
                "append": {"size": size, "frontier": [h.hex() for h in appended.frontier]},
                "held": {},
                "consistency": [h.hex() for h in consistency],
            },
        }
        body = json.dumps(answer, separators=(",", ":"))
        server_us.append((time.process_time() - started) * 1e6 / BATCH)
        push_bytes.append(len(body) / BATCH)
        # The laptop: the head, the consistency proof, the records' leaves and the append.
        started = time.process_time()
        parsed = protocol.parse_head(json.loads(body)["head"], trust)
        protocol.check_extends(
            known_head, parsed, protocol.hashes(answer["proofs"]["consistency"], "c")
        )
        frontier = protocol.hashes(answer["proofs"]["append"]["frontier"], "f")
        mine = [
            protocol.leaf_hash(_digest(i), i, name, _RECEIVED)
            for i, (name, _) in zip(range(size, size + BATCH), leaves, strict=True)
        ]
        protocol.check_append(parsed, size, frontier, mine)
        client_us.append((time.process_time() - started) * 1e6 / BATCH)
        # A pull's last page: a district's range proved in the partitions tree.
        name = leaves[0][0]
        proofs = [grown.prove(lo, hi) for lo, hi in protocol.needed_ranges(name)]
        pull_bytes.append(len(json.dumps({"head": head.to_json(), "partitions": proofs})) / BATCH)
        conn.execute("ROLLBACK")
    conn.close()
    return {
        "server_us": statistics.median(server_us),
        "client_us": statistics.median(client_us),
        "push_bytes": statistics.median(push_bytes),
        "pull_bytes": statistics.median(pull_bytes),
        "partitions": float(partitions),
    }


def audit_rate(url: str, fingerprint: str, scratch: Path) -> tuple[float, int, float, bool]:
    """(records per second, records, seconds, whether it passed) of ``recap audit``."""
    from recap_desktop.services.audit import audit

    folder = scratch / "audit"
    shutil.rmtree(folder, ignore_errors=True)
    started = time.perf_counter()
    report = audit(url, fingerprint, folder=folder)
    seconds = time.perf_counter() - started
    shutil.rmtree(folder, ignore_errors=True)
    return report.records / seconds, report.records, seconds, report.ok


def _trust(server: SigningKey) -> Trust:
    from recap_desktop.crypto import authority

    auth = SigningKey.generate()
    cert = authority.certificate(
        auth,
        election="bench",
        officer_id="server",
        name="bench server",
        role="server",
        jurisdiction="",
        public_key=server.public_key,
        valid_from="2020-01-01T00:00:00Z",
        valid_until="2099-12-31T23:59:59Z",
        issued="2020-01-01T00:00:00Z",
    )
    certificate = Certificate.from_record(cert)

    return Trust(
        auth.public_key,
        election=cast(ElectionView, _Election("bench")),
        certificates={certificate.key_id: (certificate,)},
    )


@dataclass(frozen=True)
class _Election:
    """What a head's check asks of the election: its id."""

    id: str
    contests: dict[str, Any] = field(default_factory=dict)

    def station(self, code: str) -> None:
        return None


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)
