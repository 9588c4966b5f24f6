"""The core's hot paths: save a sheet, verify a store, add up a region."""

from __future__ import annotations

import random
import resource
import shutil
import statistics
import time
from pathlib import Path

from bench import stores
from bench.report import percentile
from recap_desktop.domain.chasil_demo import random_sheet
from recap_desktop.services import Workspace
from recap_desktop.services import recap as recap_service
from recap_desktop.services import sheets as sheet_service
from recap_desktop.services import verify as verify_service
from recap_desktop.services.election import current_election
from recap_desktop.storage.store import DB_NAME


def save_sheet_ms(store: stores.BuiltStore, scratch: Path, count: int) -> list[float]:
    """enter_sheet (validate + sign + append + project, one fsynced transaction) on a private
    copy of ``store``, for ``count`` stations left empty; milliseconds per save."""
    copy = scratch / f"save-{store.records}"
    if copy.exists():
        shutil.rmtree(copy)
    copy.mkdir(parents=True)
    shutil.copyfile(store.path / DB_NAME, copy / DB_NAME)
    for item in store.path.iterdir():
        if not item.name.startswith(DB_NAME):
            shutil.copy2(item, copy / item.name)
    ws = Workspace(copy)
    try:
        key = stores.unlock(store, ws)
        election = current_election(ws)  # parsed once, as in a running window
        entered = {s for (s, _c) in ws.store.states_within(None)}
        free = [s for code, s in sorted(election.stations.items()) if code not in entered]
        rng = random.Random(11)
        samples = []
        jobs = [(s, c) for s in free for c in s.contests][: count + 5]
        if len(jobs) < count + 5:
            raise RuntimeError(f"only {len(jobs)} empty sheets left in the store")
        for station, contest_id in jobs:
            values = random_sheet(election.contests[contest_id], station.registered, rng)
            start = time.perf_counter()
            sheet_service.enter_sheet(ws, key, station.code, contest_id, values)
            samples.append((time.perf_counter() - start) * 1000)
    finally:
        ws.close()
        shutil.rmtree(copy, ignore_errors=True)
    return samples[5:]  # the first saves warm the page cache


def _cpu_seconds() -> float:
    me, children = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return me.ru_utime + me.ru_stime + children.ru_utime + children.ru_stime


def verify_store_rate(store: stores.BuiltStore) -> tuple[float, float, int, float]:
    """(records per second, seconds, records, CPU seconds of this process and its workers)
    for services.verify.verify_store."""
    ws = Workspace(store.path)
    try:
        ws.store.count()  # open (and migrate) outside the timing
        cpu = _cpu_seconds()
        start = time.perf_counter()
        report = verify_service.verify_store(ws)
        seconds = time.perf_counter() - start
        cpu = _cpu_seconds() - cpu
    finally:
        ws.close()
    if not report.ok:
        raise RuntimeError(f"the bench store does not verify: {report.errors[:3]}")
    return report.records / seconds, seconds, report.records, cpu


def region_of(store: stores.BuiltStore, stations: int = 1000) -> str:
    """A district whose ``stations`` polling stations all have sheets."""
    ws = Workspace(store.path)
    try:
        election = current_election(ws)
        entered = {s for (s, _c) in ws.store.states_within(None)}
        counts: dict[str, int] = {}
        full: dict[str, bool] = {}
        for code in election.stations:
            district = ".".join(code.split(".")[:3])
            counts[district] = counts.get(district, 0) + 1
            full[district] = full.get(district, True) and code in entered
    finally:
        ws.close()
    for district, n in sorted(counts.items()):
        if n == stations and full[district]:
            return district
    raise RuntimeError(f"no district of {stations} fully entered stations in the store")


def recap_region_ms(store: stores.BuiltStore, region: str, repeats: int) -> list[float]:
    """services.recap.recap_region for every contest of ``region``, election already loaded."""
    ws = Workspace(store.path)
    try:
        first = recap_service.recap_region(ws, region)
        if len(first) != 2 or any(t.counted != t.expected for t in first):
            raise RuntimeError(f"{region} is not a fully counted two-contest region")
        samples = []
        for _ in range(repeats):
            start = time.perf_counter()
            recap_service.recap_region(ws, region)
            samples.append((time.perf_counter() - start) * 1000)
    finally:
        ws.close()
    return samples


def p99(samples: list[float]) -> float:
    return percentile(samples, 99)


def median(samples: list[float]) -> float:
    return statistics.median(samples)
