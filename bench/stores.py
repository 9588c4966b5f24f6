"""Synthetic stores of a given number of records, built once and cached by size.

A store of ``n`` records is the demo election with enough polling stations, its certificate
and ``n - 2`` signed sheets (two contests per station). ``SPARE`` stations are left empty so
that a benchmark can save new sheets into a copy of it. Building a million records takes
minutes, so the result is kept under the cache folder and reused by later runs.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from recap_desktop.crypto.keys import SigningKey
from recap_desktop.services import Workspace
from recap_desktop.services import demo as demo_service
from recap_desktop.services import identity as identity_service
from recap_desktop.storage.errors import StorageError
from recap_desktop.storage.store import DB_NAME, Store

SPARE = 1000
SEED = 7
# Bump when what a cached store holds changes (schema, demo layout, populate).
FORMAT = 1


def cache_root() -> Path:
    env = os.environ.get("RECAP_BENCH_CACHE")
    return Path(env) if env else Path(platformdirs.user_cache_dir("recap-desktop-bench"))


def cache_root_made() -> Path:
    root = cache_root()
    root.mkdir(parents=True, exist_ok=True)
    return root


@dataclass(frozen=True)
class BuiltStore:
    path: Path  # the data folder (recap.db, identity.key)
    records: int
    stations: int  # stations with sheets
    build_seconds: float | None  # None when it came from the cache

    def workspace(self) -> Workspace:
        return Workspace(self.path)


def _stations_for(records: int) -> int:
    if records < 4 or records % 2:
        raise ValueError("a bench store holds an even number of records, at least 4")
    return (records - 2) // 2


def build(records: int, folder: Path) -> float:
    """Make a store of exactly ``records`` records in ``folder``; returns seconds taken."""
    stations = _stations_for(records)
    start = time.perf_counter()
    ws = Workspace(folder)
    try:
        demo_service.init_demo(ws, stations=stations + SPARE)
        key = identity_service.unlock(ws, identity_service.DEMO_PASSPHRASE)
        demo_service.populate(ws, key, stations=stations, seed=SEED, batch=5000)
        held = ws.store.records.count()
        if held != records:
            raise RuntimeError(f"built {held} records, wanted {records}")
        ws.store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        ws.close()
    return time.perf_counter() - start


def cached(records: int, *, rebuild: bool = False, log: bool = True) -> BuiltStore:
    """The cached store of ``records`` records, building it first if it is not there."""
    root = cache_root()
    target = root / f"store-{records}-s{SEED}-f{FORMAT}"
    if target.exists() and not rebuild:
        try:
            _upgrade(target, log)
            return BuiltStore(target, records, _stations_for(records), None)
        except StorageError as e:
            # A cache left by a development build no release ever had may not upgrade; the
            # cache is not anyone's data, so it is built again, and the reason is shown. (The
            # upgrade paths users take are the store tests' business, not the benchmark's.)
            print(f"  the cached {target.name} does not open ({e}): building it again", flush=True)
    root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f"building-{records}-", dir=root))
    if log:
        print(f"  building a store of {records:,} records in {staging} ...", flush=True)
    seconds = build(records, staging)
    if target.exists():
        shutil.rmtree(target)
    staging.rename(target)
    if log:
        print(f"  built {records:,} records in {seconds:.1f} s", flush=True)
    return BuiltStore(target, records, _stations_for(records), seconds)


def _upgrade(folder: Path, log: bool) -> None:
    """Apply the program's pending migrations to a cached store (once), without the backup
    copy the store keeps before migrating: the cache can always be built again."""
    if log:
        print(f"  checking the schema of {folder.name} ...", flush=True)
    with Store.in_dir(folder) as store:
        store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    for backup in folder.glob(f"{DB_NAME}.schema*.bak"):
        backup.unlink()


def unlock(store: BuiltStore, ws: Workspace) -> SigningKey:
    return identity_service.unlock(ws, identity_service.DEMO_PASSPHRASE)
