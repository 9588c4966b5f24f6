"""What every trial shares: its result, a prepared demo data folder, and the checks of a store.

Trials use real SQLite files, real processes and real signatures; nothing here is mocked.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from recap_desktop.crypto.keys import SigningKey
from recap_desktop.services import Workspace
from recap_desktop.services import demo as demo_service
from recap_desktop.services import identity as identity_service
from recap_desktop.services.verify import verify_store
from recap_desktop.storage.store import DB_NAME

PASSED, FAILED, NOT_RUN = "passed", "FAILED", "not run"


@dataclass
class TrialResult:
    """One row of docs/RELIABILITY.md."""

    name: str
    size: int
    full_size: int | str
    counts: dict[str, int] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    status: str = PASSED
    seconds: float = 0.0

    def fail(self, message: str) -> None:
        self.failures.append(message)

    def count(self, key: str, by: int = 1) -> None:
        self.counts[key] = self.counts.get(key, 0) + by

    @property
    def ok(self) -> bool:
        return self.status == PASSED and not self.failures

    @property
    def outcome(self) -> str:
        return FAILED if self.failures else self.status

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "size": self.size,
            "full_size": self.full_size,
            "counts": self.counts,
            "failures": self.failures[:50],
            "failure_count": len(self.failures),
            "notes": self.notes,
            "status": self.outcome,
            "seconds": round(self.seconds, 1),
        }


@dataclass(frozen=True)
class Trial:
    name: str
    title: str
    checked: str
    full_size: int | str
    small_size: int
    run: Callable[[int, Path, int], TrialResult] | None
    needs_server: bool = False

    def command(self, size: int | None = None) -> str:
        base = f"python -m reliability --trial {self.name}"
        if size is None:
            return base + " --full"
        return base + f" --size {size}"


@dataclass
class Demo:
    """A data folder with the demo election and a certified operator, and its unlocked key."""

    data_dir: Path
    seed: bytes

    @property
    def key(self) -> SigningKey:
        return SigningKey.from_seed(self.seed)

    @property
    def db(self) -> Path:
        return self.data_dir / DB_NAME

    def copy(self, dest: Path) -> Demo:
        if dest.exists():
            shutil.rmtree(dest)
        shutil.copytree(self.data_dir, dest)
        return Demo(dest, self.seed)


_TEMPLATES: dict[tuple[str, int], Demo] = {}


def make_demo(dest: Path, *, role: str = "operator", stations: int = 60) -> Demo:
    """A fresh demo data folder at ``dest``. The first one per role pays Argon2id; later ones
    are copies of it, so trials spend their time on the trial."""
    template = _TEMPLATES.get((role, stations))
    if template is None or not template.data_dir.exists():
        tdir = dest.parent / f"_template-{role}-{stations}"
        if tdir.exists():
            shutil.rmtree(tdir)
        ws = Workspace(tdir)
        try:
            demo_service.init_demo(ws, role=role, officer_id=f"demo-{role}-1", stations=stations)
            key = identity_service.unlock(ws, identity_service.DEMO_PASSPHRASE)
        finally:
            ws.close()
        template = Demo(tdir, key.seed())
        _TEMPLATES[(role, stations)] = template
    return template.copy(dest)


def integrity(db: Path) -> str:
    conn = sqlite3.connect(db)
    try:
        return str(conn.execute("PRAGMA integrity_check").fetchone()[0])
    finally:
        conn.close()


def check_store(data_dir: Path, expected: set[str] | frozenset[str] = frozenset()) -> list[str]:
    """Everything a store must hold after any crash; an empty list when all holds.

    integrity_check ok; each expected hash present; every row parses (no half record);
    the projections equal a rebuild from the records; verify_store finds no error.
    """
    problems: list[str] = []
    check = integrity(data_dir / DB_NAME)
    if check != "ok":
        return [f"integrity_check: {check}"]
    ws = Workspace(data_dir)
    try:
        store = ws.store
        held = {r[0] for r in store.db.execute("SELECT hash FROM records")}
        lost = sorted(expected - held)
        if lost:
            problems.append(f"{len(lost)} saves reported done are missing, e.g. {lost[0]}")
        broken = [row for row in store.records.rows() if row.record is None]
        if broken:
            problems.append(f"{len(broken)} half or unreadable records, e.g. {broken[0].error}")
        before = store.projections.dump()
        # Rebuild inside a savepoint rolled back after: the check changes nothing.
        store.db.execute("SAVEPOINT check_rebuild")
        try:
            _rebuild_in_place(store)
            after = store.projections.dump()
        finally:
            store.db.execute("ROLLBACK TO check_rebuild")
            store.db.execute("RELEASE check_rebuild")
        if before != after:
            differ = [t for t in before if before[t] != after[t]]
            problems.append(f"projections differ from a rebuild in {', '.join(differ)}")
        report = verify_store(ws)
        if not report.ok:
            first = report.errors[0]
            problems.append(
                f"verify: {len(report.errors)} errors, e.g. {first.kind} {first.record} "
                f"{first.detail}"
            )
    finally:
        ws.close()
    return problems


def _rebuild_in_place(store: Any) -> None:
    from recap_desktop.storage.schema import PROJECTIONS

    for table in PROJECTIONS:
        store.db.execute(f"DELETE FROM {table}")
    for row in store.records.rows():
        if row.record is not None:
            store.projections.project(row.record)


def timed(fn: Callable[[], TrialResult]) -> TrialResult:
    start = time.monotonic()
    result = fn()
    result.seconds = time.monotonic() - start
    return result


def dumps(value: Any) -> str:
    return json.dumps(value, indent=2, sort_keys=True)
