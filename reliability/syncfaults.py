"""Sync under the fault proxy, sustained: laptops keep entering sheets and syncing through a
proxy that delays (up to 5 s), hangs, resets, drops, truncates answers and throttles them to
1 KB/s; when the faults stop, a final sync, then: lost 0, duplicated 0, everything once on the
server, outboxes empty, every receipt verifies, every store verifies.

Size is the number of seconds of faults (full size 600, 10 minutes).
"""

from __future__ import annotations

import random
import socket
import threading
from pathlib import Path

from recap_desktop.services import Workspace
from recap_desktop.services import sync as sync_service
from recap_desktop.services.workspace import RecapError
from recap_desktop.sync.backoff import Backoff
from recap_desktop.sync.engine import SyncEngine
from reliability.common import TrialResult
from reliability.synclab import LiveServer, check_converged
from tests.faultproxy import PASS, FaultProxy, _abort
from tests.sync_support import Laptop, district_stations, enter, make_laptop

FAULTS = ["delay", "hang", "reset", "drop_before", "drop_after", "cut", "slow"]
SLOW_BPS = 1024  # bytes per second of the "slow" fault


class ChaosProxy(FaultProxy):
    """tests/faultproxy.py with a random fault on a share of requests while ``active``, and one
    more fault, ``slow``: the answer trickles back at 1 KB/s."""

    def __init__(self, upstream_port: int, rng: random.Random, rate: float) -> None:
        self.rng = rng
        self.rate = rate
        self.active = True
        self.counts: dict[str, int] = {}
        super().__init__(upstream_port)

    def _next_fault(self, request: bytes) -> str:
        fault = super()._next_fault(request)
        with self._lock:
            if fault == PASS and self.active and self.rng.random() < self.rate:
                kind = self.rng.choice(FAULTS)
                self.counts[kind] = self.counts.get(kind, 0) + 1
                fault = f"delay:{self.rng.uniform(0.1, 5.0):.2f}" if kind == "delay" else kind
        return fault

    def _serve_one(self, client: socket.socket, request: bytes, fault: str) -> bool:
        """The 1 KB/s answer; every other fault as tests/faultproxy.py applies it."""
        if fault != "slow":
            return super()._serve_one(client, request, fault)
        response = self._exchange(request)
        if response is None:
            _abort(client)
            return False
        for i in range(0, len(response), SLOW_BPS):
            if self._stop.is_set():
                break
            client.sendall(response[i : i + SLOW_BPS])
            self._stop.wait(1.0)
        return True


def _engine(laptop: Laptop, url: str, attempts: int) -> SyncEngine:
    return sync_service.make_engine(
        laptop.ws,
        url,
        connect_timeout=2.0,
        read_timeout=3.0,
        attempts=attempts,
        backoff=Backoff(base=0.05, cap=0.5),
        batch_count=3,
        page_size=5,
    )


def _officer(
    data_dir: Path,
    key_laptop: Laptop,
    stations: list[str],
    url: str,
    stop: threading.Event,
    result: TrialResult,
    lock: threading.Lock,
    seed: int,
) -> None:
    """One laptop's officer: enter (or correct) a sheet, sync, again, until ``stop``."""
    laptop = Laptop(Workspace(data_dir), key_laptop.key)  # a store belongs to its thread
    heads: dict[str, str] = {}
    rng = random.Random(seed)
    n = 0
    try:
        while not stop.is_set():
            station = stations[n % len(stations)]
            n += 1
            if station in heads:
                from recap_desktop.domain.chasil_demo import random_sheet
                from recap_desktop.services.sheets import enter_sheet

                election = laptop.ws.store.package.election()
                assert election is not None
                values = random_sheet(
                    election.contests["ppwp"], election.stations[station].registered, rng
                )
                heads[station] = enter_sheet(
                    laptop.ws,
                    laptop.key,
                    station,
                    "ppwp",
                    values,
                    supersedes=heads[station],
                    reason="corrected from the paper form",
                ).hash
                with lock:
                    result.count("corrections entered")
            else:
                heads[station] = enter(laptop, station, seed=rng.randrange(1 << 30))
                with lock:
                    result.count("sheets entered")
            engine = _engine(laptop, url, attempts=3)
            try:
                outcome = engine.sync().outcome
            except RecapError as exc:
                outcome = f"error {exc.key}"
            finally:
                engine.client.close()
            with lock:
                result.count("syncs attempted")
                result.count(f"syncs ended {outcome}")
    except Exception as exc:
        with lock:
            result.fail(f"officer thread raised {type(exc).__name__}: {exc}")
    finally:
        laptop.ws.close()


def sync_faults_trial(size: int, work: Path, seed: int = 11) -> TrialResult:
    result = TrialResult("sync-faults", size, 600)
    server = LiveServer(work / "server")
    proxy = ChaosProxy(server.port, random.Random(seed), rate=0.5)
    laptops = [make_laptop(work / f"laptop{i}", f"op-{i}") for i in range(2)]
    stations = district_stations(laptops[0].ws)
    for laptop in laptops:
        laptop.ws.close()  # each officer thread opens its own
    stop = threading.Event()
    lock = threading.Lock()
    threads = [
        threading.Thread(
            target=_officer,
            args=(
                laptop.data_dir,
                laptop,
                stations[i::2],
                proxy.url,
                stop,
                result,
                lock,
                seed + i,
            ),
        )
        for i, laptop in enumerate(laptops)
    ]
    try:
        for thread in threads:
            thread.start()
        stop.wait(size)  # the length of the trial, not a timed assertion
        stop.set()
        for thread in threads:
            thread.join()
        proxy.active = False  # faults stop
        result.counts["requests through the proxy"] = proxy.requests
        for kind in FAULTS:
            result.counts[f"faults applied: {kind}"] = proxy.counts.get(kind, 0)
        reopened = [Laptop(Workspace(lt.data_dir), lt.key) for lt in laptops]
        try:
            for _ in range(2):  # twice: the second round pulls what the others pushed last
                for laptop in reopened:
                    engine = _engine(laptop, proxy.url, attempts=10)
                    try:
                        final = engine.sync()
                    finally:
                        engine.client.close()
                    result.count("final syncs")
                    if final.outcome != "done":
                        result.fail(f"final sync: {final.to_json()}")
            result.counts["records on the server"] = len(set(_held(server)))
            check_converged(server, reopened, result, "after the faults")
        finally:
            for laptop in reopened:
                laptop.ws.close()
    finally:
        stop.set()
        proxy.stop()
        server.stop()
    result.notes.append(
        f"2 laptops entering and correcting sheets, each syncing after every record through the "
        f"proxy; half the requests faulted (delay 0.1-5 s, hang, reset, drop before/after the "
        f"server commits, cut answer, {SLOW_BPS} B/s); read timeout 3 s"
    )
    return result


def _held(server: LiveServer) -> list[str]:
    from reliability.synclab import server_hashes

    return server_hashes(server)
