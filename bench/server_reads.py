"""What the server's reads cost at a log of national size (docs/PERFORMANCE.md, issue 14):
an empty pull, a province's totals and /v1/stats, each beside the query the server ran before
(its baseline, measured in the same run on the same database).

The database is the server's own (``SqliteStorage``: its migrations, indexes and projections),
filled directly with ``size`` sheet records: one per station and contest, 150 per district
partition as a national log's 7,000 districts hold; the district measured finished early (its
entries lie in the first tenth of the log), as a quiet district does while the nation counts
on. Built once and cached (``RECAP_BENCH_CACHE``). Reads only: nothing is signed.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench import stores
from recap_desktop.domain.status import COUNTED, DISPUTED
from recap_desktop.protocol.log import needed_ranges
from recap_server.storage import SqliteStorage

PER_PARTITION = 150
QUIET = "32.00.00"  # the district measured
_RECEIVED = "2026-02-14T10:00:00Z"
_FIELDS = ("suara_1", "suara_2", "suara_3", "sah", "tidak_sah")


def _partition(index: int, partitions: int, size: int) -> str:
    """Batches of 50 from one district after another; the quiet one only early on."""
    slot = (index // 50) % partitions
    if index >= size // 10 and slot == 0:
        slot = 1 + (index // 50) % max(1, partitions - 1)
    return f"32.{slot // 100:02d}.{slot % 100:02d}"


def cached_server(size: int) -> Path:
    root = stores.cache_root_made()
    target = root / f"server-reads-{size}-v5.db"
    if target.exists():
        return target
    staging = target.with_suffix(".building")
    for leftover in staging.parent.glob(staging.name + "*"):
        leftover.unlink()
    SqliteStorage(staging).close()  # the schema, by the server's own migrations
    conn = sqlite3.connect(staging, isolation_level=None)
    partitions = max(2, size // PER_PARTITION)
    totals: dict[tuple[str, str], dict[str, int]] = {}
    counts = {"records": size, "sheets": size, "disputes": 0}
    done = 0
    while done < size:
        rows, sheets, status = [], [], []
        for i in range(done, min(size, done + 20_000)):
            digest = hashlib.sha256(i.to_bytes(8, "big")).hexdigest()
            district = _partition(i, partitions, size)
            station = f"{district}.{(i // 2) % 10:04d}.{i // 2:07d}"
            contest = ("ppwp", "dpr")[i % 2]
            values = {f: (i * 7 + n) % 300 for n, f in enumerate(_FIELDS)}
            payload = json.dumps(
                {"type": "sheet", "station": station, "contest": contest, "values": values}
            )
            rows.append(
                (digest, "sheet", f"k{i % 997}", i, station, payload, "s", _RECEIVED, i, district)
            )
            sheets.append((digest, station, contest, f"k{i % 997}", i, json.dumps(values)))
            state = DISPUTED if i % 97 == 0 else "signed"
            status.append((station, contest, state, digest))
            counts["disputes"] += state == DISPUTED
            parts = station.split(".")
            for depth in range(1, len(parts)):
                region = ".".join(parts[:depth])
                for key, n in [(f"s:{state}", 1)] + (
                    [("counted", 1), *((f"f:{f}", v) for f, v in values.items())]
                    if state in COUNTED
                    else []
                ):
                    tally = totals.setdefault((region, contest), {})
                    tally[key] = tally.get(key, 0) + n
        conn.execute("BEGIN")
        conn.executemany(
            "INSERT INTO records (hash, type, signer, seq, station, payload, sig, received, idx,"
            " partition) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        conn.executemany(
            'INSERT INTO sheets (hash, station, contest, signer, seq, "values")'
            " VALUES (?, ?, ?, ?, ?, ?)",
            sheets,
        )
        conn.executemany(
            "INSERT INTO status (station, contest, state, current) VALUES (?, ?, ?, ?)", status
        )
        conn.execute("COMMIT")
        done += len(rows)
    conn.execute("BEGIN")
    conn.executemany(
        "INSERT INTO totals (region, contest, tally) VALUES (?, ?, ?)",
        [(*k, json.dumps(tally, sort_keys=True)) for k, tally in totals.items()],
    )
    conn.executemany("INSERT INTO counters (name, n) VALUES (?, ?)", list(counts.items()))
    conn.executemany(
        "INSERT INTO partitions (partition, size, root) VALUES (?, ?, ?)",
        [
            (str(p), int(n), b"\0" * 32)
            for p, n in conn.execute("SELECT partition, COUNT(*) FROM records GROUP BY partition")
        ],
    )
    conn.execute("COMMIT")
    conn.close()
    staging.rename(target)
    return target


def _median_ms(action: Callable[[], Any], repeats: int) -> float:
    action()  # warm the page cache as a running server's is
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        action()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def read_costs(size: int, repeats: int = 15) -> dict[str, float]:
    """Median milliseconds of each read, and of its baseline (the query before issue 14)."""
    path = cached_server(size)
    storage = SqliteStorage(path)
    raw = sqlite3.connect(path)
    try:
        ranges = needed_ranges(QUIET)
        last = storage._query("SELECT MAX(idx) FROM records WHERE partition = ?", [QUIET])[0][0]
        old_cursor = int(last) + 1  # where the old server left a quiet district's laptop

        def old_pull() -> list[Any]:
            either = " OR ".join("(partition >= ? AND partition < ?)" for _ in ranges)
            return raw.execute(
                "SELECT idx, hash, signer, payload, sig, received, partition FROM records"
                f" WHERE idx >= ? AND idx < ? AND ({either}) ORDER BY idx LIMIT ?",
                [old_cursor, size, *[b for pair in ranges for b in pair], 500],
            ).fetchall()

        def old_totals() -> tuple[dict[str, int], int, dict[str, int]]:
            sums: dict[str, int] = {}
            counted, states = 0, dict[str, int]()
            for state, values in raw.execute(
                'SELECT s.state, h."values" FROM status s LEFT JOIN sheets h ON h.hash = s.current'
                " WHERE s.contest = ? AND (s.station = ? OR (s.station >= ? AND s.station < ?))",
                ["ppwp", "32", "32.", "32/"],
            ):
                states[state] = states.get(state, 0) + 1
                if state in COUNTED and values is not None:
                    counted += 1
                    for field, value in json.loads(values).items():
                        sums[field] = sums.get(field, 0) + int(value)
            return sums, counted, states

        def old_stats() -> list[Any]:
            out = [raw.execute("SELECT COUNT(*) FROM records").fetchone()]
            for kind in ("sheet", "review", "certificate", "election", "revocations"):
                out.append(raw.execute("SELECT COUNT(*) FROM records WHERE type = ?", [kind]))
            out.append(raw.execute("SELECT COUNT(*) FROM status WHERE state = 'disputed'"))
            return out

        assert storage.totals("32", "ppwp") == old_totals(), "the projection is not the scan"
        return {
            "pull_empty_ms": _median_ms(lambda: storage.pull_raw(ranges, size, 500, size), repeats),
            "pull_old_cursor_ms": _median_ms(
                lambda: storage.pull_raw(ranges, old_cursor, 500, size), repeats
            ),
            "baseline_pull_scan_ms": _median_ms(old_pull, max(3, repeats // 3)),
            "totals_ms": _median_ms(lambda: storage.totals("32", "ppwp"), repeats),
            "baseline_totals_scan_ms": _median_ms(old_totals, 3),
            "stats_ms": _median_ms(storage.stats, repeats),
            "baseline_stats_scan_ms": _median_ms(old_stats, 3),
            "quiet_entries_after": size - old_cursor,
        }
    finally:
        raw.close()
        storage.close()


def results(size: int) -> list[Any]:
    from bench.report import Result

    costs = read_costs(size)
    at = f"{size:,} records"
    return [
        Result.plain(
            "baseline.pull_scan",
            costs["baseline_pull_scan_ms"],
            "ms",
            "lower",
            note=f"the pull before, from a quiet district's cursor"
            f" ({costs['quiet_entries_after']:,.0f} entries after it), {at}",
        ),
        Result.absolute(
            "pull_empty_ms",
            costs["pull_empty_ms"],
            "ms",
            "lower",
            5.0,
            note=f"a district's empty pull at {at}: the cursor at the head, one seek per partition",
        ),
        Result.plain(
            "pull_old_cursor_ms",
            costs["pull_old_cursor_ms"],
            "ms",
            "lower",
            note=f"the same pull from the old cursor (seeks only), {at}",
        ),
        Result.plain(
            "baseline.totals_scan",
            costs["baseline_totals_scan_ms"],
            "ms",
            "lower",
            note=f"a province's totals by scanning its stations, {at}",
        ),
        Result.against(
            "totals_projection",
            costs["totals_ms"],
            "ms",
            "lower",
            costs["baseline_totals_scan_ms"],
            0.01,
            note=f"the same totals from the projection (totals), {at}",
        ),
        Result.plain(
            "baseline.stats_scan",
            costs["baseline_stats_scan_ms"],
            "ms",
            "lower",
            note=f"/v1/stats by COUNT(*), {at}",
        ),
        Result.against(
            "stats_counters",
            costs["stats_ms"],
            "ms",
            "lower",
            costs["baseline_stats_scan_ms"],
            0.01,
            note=f"/v1/stats from counters, {at}",
        ),
    ]
