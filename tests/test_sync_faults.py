"""Sync through a proxy that delays, hangs, resets, cuts and drops: nothing lost, nothing twice."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from recap_desktop.crypto.envelope import signing_message
from recap_desktop.crypto.keys import verify_signature
from recap_desktop.services import demo as demo_service
from recap_desktop.services import sync as sync_service
from recap_desktop.sync.backoff import Backoff
from tests.faultproxy import FaultProxy
from tests.sync_support import (
    LiveServer,
    laptop_hashes,
    live_server,
    make_laptop,
    server_hashes,
)

__all__ = ["live_server"]


@pytest.fixture
def proxy(live_server: LiveServer) -> Iterator[FaultProxy]:
    fault_proxy = FaultProxy(live_server.port)
    yield fault_proxy
    fault_proxy.stop()


def engine_for(laptop, url: str, **options):  # type: ignore[no-untyped-def]
    return sync_service.make_engine(
        laptop.ws,
        url,
        read_timeout=0.5,
        attempts=40,
        backoff=Backoff(base=0.01, cap=0.05),
        **options,
    )


def test_push_survives_every_fault_exactly_once(
    live_server: LiveServer, proxy: FaultProxy, tmp_path: Path
) -> None:
    a = make_laptop(tmp_path / "a", "op-a")
    demo_service.populate(a.ws, a.key, stations=12)  # 24 sheets, plus package and certificate
    faults = [
        "reset",
        "drop_before@push",
        "hang@push",
        "delay:0.2@push",
        "cut@push",
        "drop_after@push",  # the server committed the batch; the answer never arrives
        "reset@push",
        "drop_after@push",
        "cut@push",
        "drop_before@health",
    ]
    proxy.queue(*faults)
    engine = engine_for(a, proxy.url, batch_count=5)
    result = engine.sync()

    assert result.outcome == "done", result.to_json()
    assert not proxy.faults, "every fault was applied"
    assert len(proxy.applied) == len(faults)
    assert a.ws.store.outbox.unsent_count() == 0
    held, laptop = server_hashes(live_server), laptop_hashes(a)
    assert len(held) == len(set(held)) == len(laptop) == 27  # with the server's certificate
    assert set(held) == set(laptop)
    assert result.held >= 5, "records the server stored before a drop came back as held"
    # Every record is covered by a receipt this laptop keeps, and every receipt verifies.
    server_key = bytes.fromhex(live_server.get("/v1/health")["server_key"])
    covered: set[str] = set()
    for receipt in a.ws.store.outbox.receipts():
        assert verify_signature(
            server_key, bytes.fromhex(receipt.sig), signing_message("receipt", receipt.canonical)
        )
        covered |= {x["hash"] for x in (*receipt.payload["stored"], *receipt.payload["held"])}
    assert covered >= set(laptop) - {a.ws.store.package.hash()}


def test_pull_survives_cuts_and_resumes_from_its_cursor(
    live_server: LiveServer, proxy: FaultProxy, tmp_path: Path
) -> None:
    a = make_laptop(tmp_path / "a", "op-a")
    b = make_laptop(tmp_path / "b", "op-b")
    demo_service.populate(a.ws, a.key, stations=15)  # 30 sheets in the district
    assert sync_service.sync_once(a.ws, live_server.url).outcome == "done"
    proxy.queue(
        "cut@pull", "delay:0.1@pull", "drop_after@pull", "reset@pull", "hang@pull", "cut@pull"
    )
    engine = engine_for(b, proxy.url, page_size=4)
    result = engine.sync()
    assert result.outcome == "done", result.to_json()
    assert not proxy.faults
    assert result.pulled == 31  # A's certificate and 30 sheets
    assert sorted(laptop_hashes(b)) == sorted(server_hashes(live_server))
    assert b.ws.store.outbox.unsent_count() == 0
    pulls = [line for line in proxy.applied if "pull" in line]
    assert len(pulls) == 6
    # Pages already stored are not asked for again: each later request resumes at its cursor.
    assert any("since=0" not in line for line in pulls[1:])


FAULTS = ["reset", "drop_before", "drop_after", "cut", "delay:0.05", "hang"]
WHERE = ["", "@push", "@pull", "@health"]


def test_any_sequence_of_faults_ends_with_every_record_once(
    live_server: LiveServer, proxy: FaultProxy, tmp_path: Path
) -> None:
    """Property: whatever faults hit whichever requests, the next sync that gets through
    leaves the server and the laptop holding the same records, each once, nothing unsent."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from tests.sync_support import district_stations, enter

    a = make_laptop(tmp_path / "a", "op-a")
    stations = iter(district_stations(a.ws))
    faults = st.lists(
        st.tuples(st.sampled_from(FAULTS), st.sampled_from(WHERE)).map("".join), max_size=6
    )

    @settings(
        max_examples=8,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(faults=faults)
    def run(faults: list[str]) -> None:
        enter(a, next(stations), seed=len(faults))
        proxy.clear()
        proxy.queue(*faults)
        engine = engine_for(a, proxy.url, batch_count=2, page_size=2)
        assert engine.sync().outcome == "done"
        held = server_hashes(live_server)
        assert len(held) == len(set(held))
        assert set(held) == set(laptop_hashes(a))
        assert a.ws.store.outbox.unsent_count() == 0

    run()


def test_cancel_cuts_a_request_stuck_on_a_hanging_server(
    live_server: LiveServer, proxy: FaultProxy, tmp_path: Path
) -> None:
    import threading

    a = make_laptop(tmp_path / "a", "op-a")
    a.ws.close()
    proxy.queue(*["hang"] * 10)
    results = []

    def worker() -> None:
        from recap_desktop.services import Workspace

        ws = Workspace(a.data_dir)  # a store belongs to the thread that opened it
        engine = sync_service.make_engine(
            ws, proxy.url, read_timeout=600, attempts=5, backoff=Backoff(base=60, cap=60)
        )
        engines.append(engine)
        started.set()
        results.append(engine.sync())
        ws.close()

    engines: list = []  # type: ignore[type-arg]
    started = threading.Event()
    thread = threading.Thread(target=worker)
    thread.start()
    started.wait()
    for _ in range(3000):  # until the first request is in flight and hangs (30 s at most)
        if proxy.applied:
            break
        threading.Event().wait(0.01)
    assert proxy.applied
    engines[0].cancel()
    thread.join()
    assert results[0].outcome == "cancelled"
    assert results[0].error_kind == "connection"  # cut at once, not waited out (600 s)
    assert engines[0].status.state == "idle"
    assert len(proxy.applied) == 1  # no retry after the cancel
