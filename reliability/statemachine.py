"""A hypothesis state machine over two laptops and the server: an operator's laptop enters and
corrects sheets, a supervisor's laptop approves them; either syncs, is killed with SIGKILL in
the middle of a sync (a subprocess `recap sync` with the RECAP_SYNC_TEST_KILL hook), is
restarted; the server goes down and comes back on the same data folder.

After every step: the server's records are a subset of the union of the laptops' records;
every receipt a laptop keeps verifies with the server key; every laptop's store verifies
(chains, signatures, mandates); the server's chains link. At the end of each program the
server comes up and both laptops sync twice: then lost 0, duplicated 0, outboxes empty, and
laptops and server hold the same records.

Each program starts with one sheet entered and synced through to the supervisor. Size is the
number of programs (hypothesis examples), each up to 12 steps.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from recap_desktop.services import Workspace
from recap_desktop.services import sync as sync_service
from recap_desktop.services.sheets import enter_sheet, review_sheet
from recap_desktop.services.verify import verify_store
from recap_desktop.services.workspace import RecapError
from recap_desktop.sync import testpoints
from recap_desktop.sync.backoff import Backoff
from reliability.common import TrialResult
from reliability.synclab import (
    LiveServer,
    check_converged,
    laptop_hashes,
    receipts_verify,
    server_chains,
    server_hashes,
    server_key,
)
from tests.sync_support import Laptop, district_stations, enter, make_laptop

STATIONS = 6  # of the district: small programs reach corrections and approvals
KILL_POINTS = sorted(testpoints.POINTS)
ROOT = Path(__file__).resolve().parents[1]


class Failed(AssertionError):
    pass


def killed_sync(data_dir: Path, url: str, point: str) -> int:
    """`recap sync` in a subprocess, killed with SIGKILL at ``point`` (if reached)."""
    env = {**os.environ, testpoints.ENV: point}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "recap_desktop",
            "--data-dir",
            str(data_dir),
            "sync",
            "--json",
            "--server",
            url,
            "--attempts",
            "1",
        ],
        capture_output=True,
        cwd=ROOT,
        env=env,
        timeout=300,
    )
    return done.returncode


def build_machine(result: TrialResult, base: Path) -> Any:
    from hypothesis import strategies as st
    from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

    class SyncMachine(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            result.count("programs")
            self.work = Path(tempfile.mkdtemp(dir=base))
            self.server: LiveServer | None = LiveServer(self.work / "server")
            self.url = self.server.url
            self.laptops = [
                make_laptop(self.work / "op", "op-sm"),
                make_laptop(self.work / "sup", "sup-sm", role="supervisor"),
            ]
            self.stations = district_stations(self.laptops[0].ws)[:STATIONS]
            self.heads: dict[str, str] = {}
            self.key = server_key(self.server)
            # Each program starts with one sheet on the operator's laptop, synced through to
            # the supervisor's, so approvals are possible from the first step.
            self.heads[self.stations[0]] = enter(self.laptops[0], self.stations[0], seed=0)
            for n in (0, 1):
                sync_service.sync_once(self.laptops[n].ws, self.url, attempts=1)

        # -- the operator ---------------------------------------------------------------------
        @rule(i=st.integers(0, STATIONS - 1), seed=st.integers(0, 1000))
        def enter(self, i: int, seed: int) -> None:
            station = self.stations[i]
            op = self.laptops[0]
            if station in self.heads:
                values = op.ws.store.records.get(self.heads[station])
                assert values is not None
                changed = dict(values.payload["values"])
                self.heads[station] = enter_sheet(
                    op.ws,
                    op.key,
                    station,
                    "ppwp",
                    changed,
                    supersedes=self.heads[station],
                    reason=f"corrected ({seed})",
                ).hash
                result.count("steps: correct")
            else:
                self.heads[station] = enter(op, station, seed=seed)
                result.count("steps: enter")

        # -- the supervisor -------------------------------------------------------------------
        def supervisor_has_sheets(self) -> bool:
            return any(True for _ in self.laptops[1].ws.store.records.rows(["sheet"]))

        @precondition(supervisor_has_sheets)
        @rule(i=st.integers(0, 50))
        def approve(self, i: int) -> None:
            sup = self.laptops[1]
            sheets = [r.record for r in sup.ws.store.records.rows(["sheet"]) if r.record]
            sheet = sheets[i % len(sheets)]
            try:
                review_sheet(sup.ws, sup.key, sheet.hash, "approve", None)
                result.count("steps: approve")
            except RecapError as exc:
                result.count(f"steps: approve refused ({exc.key})")

        # -- sync, crash, restart -------------------------------------------------------------
        @rule(n=st.integers(0, 1))
        def sync(self, n: int) -> None:
            laptop = self.laptops[n]
            engine = sync_service.make_engine(
                laptop.ws,
                self.url,
                connect_timeout=2,
                read_timeout=30,
                attempts=1,
                backoff=Backoff(base=0.01, cap=0.01),
                batch_count=3,
                page_size=4,
            )
            try:
                outcome = engine.sync().outcome
            finally:
                engine.client.close()
            result.count(f"steps: sync ({'server up' if self.server else 'server down'})")
            expected = "done" if self.server else "unreachable"
            if outcome != expected:
                raise Failed(f"sync with the server {'up' if self.server else 'down'}: {outcome}")

        @precondition(lambda self: self.server is not None)
        @rule(n=st.integers(0, 1), point=st.sampled_from(KILL_POINTS))
        def crash(self, n: int, point: str) -> None:
            laptop = self.laptops[n]
            laptop.ws.close()
            code = killed_sync(laptop.data_dir, self.url, point)
            result.count(
                "steps: crash (SIGKILL mid-sync)"
                if code == -signal.SIGKILL
                else "steps: crash (point not reached, sync ended)"
            )
            self.laptops[n] = Laptop(Workspace(laptop.data_dir), laptop.key)

        @rule(n=st.integers(0, 1))
        def restart(self, n: int) -> None:
            laptop = self.laptops[n]
            laptop.ws.close()
            self.laptops[n] = Laptop(Workspace(laptop.data_dir), laptop.key)
            result.count("steps: restart")

        @precondition(lambda self: self.server is not None)
        @rule()
        def server_down(self) -> None:
            assert self.server is not None
            self.server.stop()
            self.server = None
            result.count("steps: server down")

        @precondition(lambda self: self.server is None)
        @rule()
        def server_up(self) -> None:
            self.server = LiveServer(self.work / "server")
            self.url = self.server.url
            result.count("steps: server up")

        # -- invariants -----------------------------------------------------------------------
        @invariant()
        def server_within_laptops(self) -> None:
            if self.server is None:
                return
            union: set[str] = set()
            for laptop in self.laptops:
                union |= set(laptop_hashes(laptop))
            extra = set(server_hashes(self.server)) - union
            if extra:
                raise Failed(f"the server holds {len(extra)} records no laptop has")
            server_chains(self.server, result, complete=False)
            result.count("invariant checks")

        @invariant()
        def laptops_verify(self) -> None:
            for n, laptop in enumerate(self.laptops):
                before = len(result.failures)
                receipts_verify(laptop, self.key, result, f"laptop {n}")
                report = verify_store(laptop.ws)
                if not report.ok:
                    raise Failed(f"laptop {n} does not verify: {report.errors[:2]}")
                if len(result.failures) != before:
                    raise Failed(result.failures[-1])

        def teardown(self) -> None:
            try:
                if self.server is None:
                    self.server_up()
                assert self.server is not None
                for _ in range(2):
                    for n in (0, 1):
                        self.sync(n)
                before = len(result.failures)
                check_converged(self.server, self.laptops, result, "end of a program")
                if len(result.failures) != before:
                    raise Failed(result.failures[-1])
                result.count("programs converged")
            finally:
                for laptop in self.laptops:
                    laptop.ws.close()
                if self.server is not None:
                    self.server.stop()
                shutil.rmtree(self.work, ignore_errors=True)

    return SyncMachine


def state_machine_trial(size: int, work: Path, seed: int = 5) -> TrialResult:
    from hypothesis import HealthCheck, settings
    from hypothesis.stateful import run_state_machine_as_test

    result = TrialResult("state-machine", size, 1000)
    machine = build_machine(result, work)
    try:
        run_state_machine_as_test(
            machine,
            settings=settings(
                max_examples=size,
                stateful_step_count=12,
                deadline=None,
                database=None,
                suppress_health_check=list(HealthCheck),
            ),
        )
    except Exception as exc:  # the shrunk program is printed by hypothesis
        result.fail(f"{type(exc).__name__}: {str(exc)[:500]}")
    result.notes.append(
        "2 laptops (an operator, a supervisor) and the server; crash = `recap sync` in a "
        f"subprocess killed by SIGKILL at one of {', '.join(KILL_POINTS)}"
    )
    return result
