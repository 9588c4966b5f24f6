"""The core's hot paths: save a sheet, verify a store, add up a region."""

from __future__ import annotations

import os
import random
import resource
import shutil
import statistics
import time
from pathlib import Path

from bench import baselines, stores
from bench.report import percentile
from recap_desktop.domain.chasil_demo import random_sheet
from recap_desktop.services import Workspace
from recap_desktop.services import recap as recap_service
from recap_desktop.services import sheets as sheet_service
from recap_desktop.services import verify as verify_service
from recap_desktop.services.election import current_election
from recap_desktop.storage.store import DB_NAME


class Saver:
    """enter_sheet (validate + sign + append + project, one fsynced transaction) into a
    private copy of ``store``, one empty station's sheet at a time."""

    def __init__(self, store: stores.BuiltStore, scratch: Path, count: int) -> None:
        self.copy = scratch / f"save-{store.records}"
        if self.copy.exists():
            shutil.rmtree(self.copy)
        self.copy.mkdir(parents=True)
        shutil.copyfile(store.path / DB_NAME, self.copy / DB_NAME)
        for item in store.path.iterdir():
            if not item.name.startswith(DB_NAME):
                shutil.copy2(item, self.copy / item.name)
        self.ws = Workspace(self.copy)
        self.key = stores.unlock(store, self.ws)
        self.election = current_election(self.ws)  # parsed once, as in a running window
        entered = {s for (s, _c) in self.ws.store.sheets.states_within(None)}
        free = [s for code, s in sorted(self.election.stations.items()) if code not in entered]
        self.jobs = [(s, c) for s in free for c in s.contests][:count]
        if len(self.jobs) < count:
            raise RuntimeError(f"only {len(self.jobs)} empty sheets left in the store")
        self.jobs.reverse()
        self.rng = random.Random(11)

    def once(self) -> float:
        """Milliseconds for one enter_sheet."""
        station, contest_id = self.jobs.pop()
        contest = self.election.contests[contest_id]
        values = random_sheet(contest, station.registered, self.rng)
        start = time.perf_counter()
        # A random sheet may fire a warning bound (about 1 in 200 for the village rule): the
        # officer's reason is given, as at a real desk; it is kept only when one fires.
        sheet_service.enter_sheet(
            self.ws, self.key, station.code, contest_id, values, warnings_reason="bench"
        )
        return (time.perf_counter() - start) * 1000

    def close(self) -> None:
        self.ws.close()
        shutil.rmtree(self.copy, ignore_errors=True)


WARM_UP = 5


def save_rounds(
    big: stores.BuiltStore, small: stores.BuiltStore, scratch: Path, count: int
) -> tuple[list[float], list[float], list[float]]:
    """(bare sign + commit, save on ``big``, save on ``small``) in milliseconds, taken in
    interleaved rounds so that all three meet the same disk: this machine's fsync latency
    moves with what its other jobs write, from a fraction of a millisecond to tens."""
    bare = baselines.BareCommit(scratch / "bare")
    savers = [Saver(big, scratch, count + WARM_UP), Saver(small, scratch, count + WARM_UP)]
    # Gigabytes just copied are still dirty in the page cache; left to the kernel's
    # writeback they would queue in front of every fsync the saves make.
    settle_disk()
    out: tuple[list[float], list[float], list[float]] = ([], [], [])
    try:
        for i in range(count + WARM_UP):
            figures = (bare.once(), savers[0].once(), savers[1].once())
            if i >= WARM_UP:  # the first rounds warm the page cache and make the WAL
                for samples, ms in zip(out, figures, strict=True):
                    samples.append(ms)
    finally:
        bare.close()
        for saver in savers:
            saver.close()
    return out


def settle_disk() -> None:
    """Flush every dirty page before a latency measurement that fsyncs."""
    os.sync()
    time.sleep(1)


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
        ws.store.records.count()  # open (and migrate) outside the timing
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
        entered = {s for (s, _c) in ws.store.sheets.states_within(None)}
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
