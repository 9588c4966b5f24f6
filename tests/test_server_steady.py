"""What every steady sync asks, on the real server on a loopback port: /v1/health answered from
kept bytes (made again only when the head or the trust changed) must still name the newest
head, tell the time and equal its model; a push catches its view up only when another
worker's head is newer, and must still build on that head."""

from __future__ import annotations

import gzip
import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests

from recap_desktop.domain.election import format_time
from recap_desktop.protocol import merkle
from recap_desktop.protocol.log import leaf_hash
from recap_desktop.protocol.wire import batch_bytes
from recap_desktop.services import demo as demo_service
from recap_server.app import GZIP_MIN, Health
from recap_server.log import Summary
from recap_server.server import open_ledger
from tests.pg_support import database_for
from tests.sync_support import (
    LiveServer,
    district_stations,
    enter,
    make_laptop,
    server_certificate,
)
from tests.test_server_api import all_records, push


def _health(server: LiveServer, encoding: str = "gzip") -> tuple[dict[str, Any], Any]:
    answer = requests.get(
        server.url + "/v1/health", headers={"Accept-Encoding": encoding}, timeout=10
    )
    assert answer.status_code == 200, answer.text
    return dict(answer.json()), answer


def _timeless(health: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in health.items() if k != "time"}


def test_health_after_each_push_names_its_head_and_equals_its_model(tmp_path: Path) -> None:
    server = LiveServer(tmp_path / "server")
    try:
        before, _ = _health(server)
        laptop = make_laptop(tmp_path / "op-a", "op-a")
        sent: set[str] = set()
        for n in range(3):
            # Its certificate first, then sheets alone (the trust stands still: the head moves).
            demo_service.populate(laptop.ws, laptop.key, stations=1 + n, seed=n + 1)
            fresh = [r for r in all_records(laptop) if r.hash not in sent]
            sent.update(r.hash for r in fresh)
            answer = push(server, fresh)
            assert "stored" in {r["status"] for r in answer["results"]}
            body, raw = _health(server)
            # The head the receipt names, at once: never an older one from the same worker.
            assert body["head"] == answer["head"] != before["head"]
            assert Health.model_validate(body).model_dump(mode="json") == body
            assert raw.headers.get("Vary") == "Accept-Encoding"
            # A client that does not take gzip gets the same answer, as it is; one that does
            # gets it gzipped once it is large enough to be worth it (GZIP_MIN), as before.
            plain, plain_raw = _health(server, "identity")
            assert "Content-Encoding" not in plain_raw.headers
            # The time is each answer's own (a second may pass between two): the rest is equal.
            assert _timeless(plain) == _timeless(body)
            packed = requests.get(
                server.url + "/v1/health", headers={"Accept-Encoding": "gzip"}, stream=True
            )
            wire = packed.raw.read(decode_content=False)
            if len(plain_raw.content) >= GZIP_MIN:
                assert packed.headers["Content-Encoding"] == "gzip"
                wire = gzip.decompress(wire)
            assert _timeless(json.loads(wire)) == _timeless(body)
            before = body
        assert [c["hash"] for c in body["certificates"]] == [
            r.hash for r in server.ledger.certificates()
        ]
    finally:
        server.stop()


def test_health_tells_the_time_of_each_answer_while_the_head_stands_still(
    tmp_path: Path,
) -> None:
    now = [datetime(2029, 2, 14, 8, 0, 0, tzinfo=UTC)]
    server = LiveServer(tmp_path / "server", clock=lambda: now[0])
    try:
        first, _ = _health(server)
        assert first["time"] == "2029-02-14T08:00:00Z"
        for step in range(1, 4):
            now[0] += timedelta(seconds=1)
            later, _ = _health(server, "gzip" if step % 2 else "identity")
            assert later["time"] == format_time(now[0])
            assert _timeless(later) == _timeless(first)
    finally:
        server.stop()


class CountedHeads:
    """The server's storage, counting how often a push reads the newest head whole."""

    def __init__(self, storage: Any) -> None:
        self._storage = storage
        self.heads_read = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._storage, name)

    def head(self) -> Any:
        self.heads_read += 1
        return self._storage.head()


def test_a_push_reads_the_head_again_only_after_another_worker_moved_it(tmp_path: Path) -> None:
    counted: list[CountedHeads] = []

    def wrap(storage: Any) -> CountedHeads:
        counted.append(CountedHeads(storage))
        return counted[0]

    server = LiveServer(tmp_path / "server", storage=wrap)
    other = open_ledger(tmp_path / "server", demo=True, database=database_for(tmp_path / "server"))
    try:
        laptops = []
        for n, officer in enumerate(("op-a", "op-b", "op-c")):
            laptop = make_laptop(tmp_path / officer, officer)
            demo_service.populate(laptop.ws, laptop.key, stations=1, seed=n + 1)
            laptops.append(all_records(laptop))
        counted[0].heads_read = 0
        first = push(server, laptops[0])
        # Its own head is the newest: one index probe says so, the head is not read again
        # (without the change, once a push).
        assert counted[0].heads_read == 0
        # Another worker (a second ledger on the same database) pushes meanwhile: the next
        # push of this one builds on that worker's head, not on its own older one.
        pushed = other.push([r.to_json() for r in laptops[1]])
        third = push(server, laptops[2])
        assert counted[0].heads_read == 1
        sizes = [int(a["payload"]["size"]) for a in (first["head"], pushed.head.to_json())]
        assert sizes[0] < sizes[1] < int(third["head"]["payload"]["size"])
        assert third["proofs"]["append"]["size"] == sizes[1]
        assert int(third["head"]["payload"]["size"]) == server.ledger.storage.log_size()
        fresh = Summary(server.ledger.storage.partition_states())
        assert third["head"]["payload"]["partitions"] == fresh.root.hex()
    finally:
        other.storage.close()
        server.stop()


def test_a_grown_summary_is_the_one_built_anew_and_keeps_the_names_order() -> None:
    states = {f"32.{i:02d}": (i + 1, bytes([i]) * 32) for i in range(40)}
    summary = Summary(states)
    assert summary.root  # its tree and names made
    changed = {"32.07": (99, b"\x07" * 32), "32.31": (5, b"\x31" * 32)}
    grown = summary.grown(changed)
    anew = Summary({**states, **changed})
    assert grown.root == anew.root
    for lo, hi in (("32.07", "32.08"), ("32.30", "32.40"), ("", "\x7f")):
        assert grown.prove(lo, hi) == anew.prove(lo, hi)
    # The same names in the same places: not sorted again for each push (fails without).
    assert grown.names is summary.names
    assert summary.grown({}) is summary
    added = summary.grown({"32.005": (1, b"\x01" * 32)})  # a new name moves the others
    assert added.root == Summary({**states, "32.005": (1, b"\x01" * 32)}).root
    assert added.names is not summary.names


@pytest.mark.parametrize("count", [1, 2, 3, 5, 8, 13, 64, 100])
def test_a_grown_summary_leaves_the_one_it_grew_from_as_it_was(count: int) -> None:
    """Readers may hold the summary a push grew from while the push makes the next: the
    old one proves what it proved, and each grown one equals the one built anew, over
    sizes whose trees have every shape of right edge (the last leaf changed included)."""
    rng = random.Random(count)
    states = {f"32.{i:03d}": (i + 1, rng.randbytes(32)) for i in range(count)}
    summary = Summary(states)
    everything = ("", "\x7f")

    def now(summary: Summary) -> Any:  # the root made again: ``root`` is cached
        root = merkle.tree_root(summary._tree, summary.count)
        return root, summary.prove(*everything), summary.states

    last = max(states)
    for round_ in range(6):
        before = now(summary)
        names = rng.sample(sorted(states), rng.randint(1, min(3, count)))
        if round_ == 0:
            names = [last]  # the right edge's own leaf
        changed = {name: (rng.randrange(1, 999), rng.randbytes(32)) for name in names}
        grown = summary.grown(changed)
        states = {**states, **changed}
        anew = Summary(states)
        assert (grown.root, grown.prove(*everything)) == (anew.root, anew.prove(*everything))
        assert grown.states == states
        assert now(summary) == before
        fresh = Summary(summary.states)  # the old one's tree is still its own states' tree
        assert now(summary)[:2] == (fresh.root, fresh.prove(*everything))
        summary = grown


def test_health_names_a_certificate_of_the_server_as_soon_as_it_is_held(tmp_path: Path) -> None:
    """The trust changed, the head did not: the kept answer is made again. Two certificates
    make it large enough to be sent gzipped."""
    server = LiveServer(tmp_path / "server")
    try:
        before, _ = _health(server)
        renewed = server_certificate(
            server.ledger.server_key, "server-renewed", "the server, renewed"
        )
        answer = push(server, [renewed])
        assert [r["status"] for r in answer["results"]] == ["stored"]
        after, _ = _health(server)
        held = [c["hash"] for c in after["certificates"]]
        assert renewed.hash in held and len(held) == len(before["certificates"]) + 1
        assert Health.model_validate(after).model_dump(mode="json") == after
        packed = requests.get(
            server.url + "/v1/health", headers={"Accept-Encoding": "gzip"}, stream=True
        )
        assert packed.headers["Content-Encoding"] == "gzip"
        unpacked = json.loads(gzip.decompress(packed.raw.read(decode_content=False)))
        assert _timeless(unpacked) == _timeless(after)
    finally:
        server.stop()


def test_a_pull_finds_the_partitions_of_its_ranges_as_the_database_does(tmp_path: Path) -> None:
    """A pull takes the partitions of its jurisdiction from the head's summary, not from the
    partitions table: the same names, in the same order, for every kind of range."""
    from recap_desktop.protocol.log import needed_ranges

    server = LiveServer(tmp_path / "server")
    try:
        for n, district in enumerate(("32.01.01", "32.01.02", "32.02.01")):
            laptop = make_laptop(tmp_path / district, f"op-{n}", jurisdiction=district)
            for station in district_stations(laptop.ws, district)[:2]:
                enter(laptop, station, seed=n)
            push(server, all_records(laptop))
        view = server.ledger.view
        storage: Any = server.ledger.storage  # its _partitions_in: what the table gives
        held = list(view.summary.names)
        assert len(held) == 4, held  # the authority's and three districts'
        asked = {p.rsplit(".", 1)[0] for p in held if "." in p} | set(held)
        asked |= {"", "3", "32", "99", "99.99.99", held[-1] + ".0"}
        for jurisdiction in sorted(asked):
            ranges = needed_ranges(jurisdiction) if jurisdiction else [("", "\x7f")]
            assert view.summary.within(ranges) == storage._partitions_in(ranges), jurisdiction
        # The page a laptop gets is the one the table's names gave.
        code = held[-1]
        for since in (0, 3):
            page = server.get(f"/v1/pull?jurisdiction={code}&since={since}")
            rows = storage.pull_raw(needed_ranges(code), since, 500, view.size, bodies=False)
            assert [e["index"] for e in page["entries"]] == [r.index for r in rows]
    finally:
        server.stop()


def test_health_carries_the_proof_from_the_size_asked_as_the_log_gives_it(tmp_path: Path) -> None:
    """``known``: the proof /v1/log/consistency gives from that size to the head, in the
    answer, gzipped or not; nothing for a size it cannot prove (none, the head's own, past
    the head); the rest of the answer as without it, and all of it as the model says."""
    server = LiveServer(tmp_path / "server")
    try:
        laptop = make_laptop(tmp_path / "op-a", "op-a")
        sizes = []
        sent: set[str] = set()
        for n in range(3):
            demo_service.populate(laptop.ws, laptop.key, stations=1 + n, seed=n + 1)
            fresh = [r for r in all_records(laptop) if r.hash not in sent]
            sent.update(r.hash for r in fresh)
            sizes.append(int(push(server, fresh)["head"]["payload"]["size"]))
        plain, _ = _health(server)
        assert plain["consistency"] is None and plain["forks_held"] == 0
        top = sizes[-1]
        for known in sizes[:-1]:
            expected = server.get(f"/v1/log/consistency?first={known}&second={top}")
            assert expected["proof"]  # a proof with hashes to carry
            for encoding in ("gzip", "identity"):
                answer = requests.get(
                    f"{server.url}/v1/health?known={known}",
                    headers={"Accept-Encoding": encoding},
                    timeout=10,
                )
                body = answer.json()
                assert body["consistency"] == expected
                assert Health.model_validate(body).model_dump(mode="json") == body
                assert _timeless({**body, "consistency": None}) == _timeless(plain)
        for known in (0, top, top + 7):
            assert server.get(f"/v1/health?known={known}")["consistency"] is None
        assert requests.get(f"{server.url}/v1/health?known=-1", timeout=10).status_code == 422
    finally:
        server.stop()


class _ProofReads:
    """The server's storage, noting for each proof the ledger reads whether a transaction
    (and so the writers' lock) was open on that thread; ``meanwhile``, if set, runs once,
    at the next proof read (another push landing between a push's commit and its proofs)."""

    def __init__(self, storage: Any) -> None:
        self._storage = storage
        self.reads: list[tuple[str, bool]] = []
        self.meanwhile: Any = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._storage, name)

    def _read(self, kind: str) -> None:
        self.reads.append((kind, self._storage.in_transaction()))
        act, self.meanwhile = self.meanwhile, None
        if act is not None:
            act()

    def inclusion(self, index: int, size: int) -> Any:
        self._read("inclusion")
        return self._storage.inclusion(index, size)

    def consistency(self, first: int, second: int) -> Any:
        self._read("consistency")
        return self._storage.consistency(first, second)


def _size_root(head: dict[str, Any]) -> tuple[int, bytes]:
    return int(head["payload"]["size"]), bytes.fromhex(head["payload"]["root"])


def _proof_reads_server(tmp_path: Path) -> tuple[LiveServer, _ProofReads, Any, dict[str, Any]]:
    """A server whose storage notes its proof reads, and a laptop whose first sheet (with
    its certificate) it holds: (server, its storage, the laptop, that push's answer)."""
    wrapped: list[_ProofReads] = []
    server = LiveServer(
        tmp_path / "server", storage=lambda s: wrapped.append(_ProofReads(s)) or wrapped[-1]
    )
    laptop = make_laptop(tmp_path / "op-a", "op-a")
    enter(laptop, district_stations(laptop.ws)[0])
    return server, wrapped[0], laptop, push(server, all_records(laptop))


def test_a_push_reads_its_proofs_after_its_commit_and_they_hold(tmp_path: Path) -> None:
    """A push's inclusion and consistency proofs are read once its transaction committed,
    not under the writers' lock every other push waits for: the log is append-only, so
    they hold for the head the answer names even when another worker's push lands between
    the commit and their reads."""
    server, storage, laptop, first = _proof_reads_server(tmp_path)
    # Another worker: a second ledger on the same database.
    other = open_ledger(tmp_path / "server", demo=True, database=database_for(tmp_path / "server"))
    try:
        stations = district_stations(laptop.ws)
        old_size, old_root = _size_root(first["head"])
        enter(laptop, stations[1], seed=1)
        enter(laptop, stations[2], seed=2)
        sent = {r["hash"] for r in first["results"]}
        fresh = [r for r in all_records(laptop) if r.hash not in sent]
        later, resent = fresh[-1], fresh[:-1]
        # Another worker's push lands at this push's first proof read, after its commit.
        storage.meanwhile = lambda: other.push([later.to_json()])
        storage.reads.clear()
        again = push(server, [*all_records(laptop)[:2], *resent], known=old_size)
        newest = server.ledger.storage.log_size()
        assert storage.meanwhile is None and newest > _size_root(again["head"])[0]
        assert {kind for kind, _ in storage.reads} == {"inclusion", "consistency"}
        assert not [read for read in storage.reads if read[1]], storage.reads
        # The proofs hold for the head the answer names, not the newer one.
        size, root = _size_root(again["head"])
        consistency = again["proofs"]["consistency"]
        merkle.verify_consistency(
            old_size, size, old_root, root, [bytes.fromhex(h) for h in consistency]
        )
        rows = {
            h: (h, idx, partition, received)
            for h, idx, partition, received in server.ledger.storage._query(
                "SELECT hash, idx, partition, received FROM records"
            )
        }
        held = again["proofs"]["held"]
        assert set(held) == {r.hash for r in all_records(laptop)[:2]}
        for record_hash, proof in held.items():
            leaf = leaf_hash(*rows[record_hash])
            index = rows[record_hash][1]
            merkle.verify_inclusion(leaf, index, size, [bytes.fromhex(h) for h in proof], root)
    finally:
        server.stop()
        other.storage.close()


def test_a_proof_read_that_fails_fails_its_push_alone_and_keeps_what_it_stored(
    tmp_path: Path,
) -> None:
    """The proofs are read after the commit: if a read fails, that push's answer is an
    error, what it stored stays stored, and the same push again is answered held, with
    each record's proof."""
    server, storage, laptop, first = _proof_reads_server(tmp_path)
    try:
        size, _root = _size_root(first["head"])
        enter(laptop, district_stations(laptop.ws)[1], seed=1)
        sheet = all_records(laptop)[-1]

        def fail() -> None:
            raise OSError("the database went away")

        storage.meanwhile = fail
        body = batch_bytes([sheet.to_json()])
        answer = requests.post(
            f"{server.url}/v1/push", params={"known": size}, data=body, timeout=10
        )
        assert answer.status_code == 500
        assert server.ledger.storage.positions([sheet.hash])  # stored all the same
        again = push(server, [sheet], known=size)
        assert [r["status"] for r in again["results"]] == ["held"]
        assert again["proofs"]["held"][sheet.hash]
    finally:
        server.stop()
