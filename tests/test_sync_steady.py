"""A steady sync's requests, on the real server on a loopback port: the health answer carries
the consistency proof from the head a laptop verified and the count of fork evidence held, so
a laptop with one sheet to send asks health, a push and a pull, not a proof and the evidence
apart (each was most of a request's cost in the HTTP stack: docs/PERFORMANCE.md). What the
answer carries is checked as what it replaces was: a proof for other sizes is not taken, a
broken one is a broken answer, a wrong one is asked again and then evidence."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from recap_desktop.services import Workspace
from recap_desktop.services import demo as demo_service
from recap_desktop.sync.engine import EVIDENCE_SEEN
from tests.sync_support import Laptop, LiveServer, district_stations, enter, make_laptop
from tests.test_server_log_review import Balancer, kinds, once


def _newest_size(laptop: Laptop) -> int:
    head = laptop.ws.store.witness.newest()
    assert head is not None
    return int(head.payload["size"])


def _synced_pair(tmp_path: Path, url: str) -> tuple[Laptop, Laptop]:
    """Two district laptops, the first synced once at ``url``: the second's sheets will grow
    the head past the first's."""
    a = make_laptop(tmp_path / "a", "op-a")
    b = make_laptop(tmp_path / "b", "op-b")
    assert once(a, url).outcome == "done"
    return a, b


def _paths(asked: list[str]) -> list[str]:
    return [a.split("?")[0].split(" ", 1)[1] for a in asked]


def test_a_steady_sync_asks_health_push_and_pull_alone(tmp_path: Path) -> None:
    server = LiveServer(tmp_path / "server")
    try:
        a, b = _synced_pair(tmp_path, server.url)
        stations = district_stations(a.ws)
        known = _newest_size(a)
        enter(b, stations[5], seed=5)
        assert once(b, server.url).outcome == "done"  # the head grows past a's
        enter(a, stations[1], seed=1)
        server.asked.clear()
        result = once(a, server.url)
        assert result.outcome == "done" and result.sent == 1
        asked = _paths(server.asked)
        assert server.asked[0] == f"GET /v1/health?known={known}"
        # Without the carried proof and count: /v1/log/consistency and /v1/evidence too.
        assert "/v1/log/consistency" not in asked and "/v1/evidence" not in asked
        assert asked.count("/v1/push") == 1 and "/v1/pull" in asked
        # The proof was checked: a's newest verified head is the server's, nothing is evidence.
        assert a.ws.store.witness.newest().hash == server.ledger.view.head.hash  # type: ignore[union-attr]
        assert kinds(a) == []
    finally:
        server.stop()


def test_fork_evidence_is_asked_when_its_count_changed_and_kept(tmp_path: Path) -> None:
    server = LiveServer(tmp_path / "server")
    try:
        a = make_laptop(tmp_path / "a", "op-a")
        twin = Laptop(Workspace(tmp_path / "twin"), a.key)  # the same key on a second laptop
        a.ws.close()
        shutil.copytree(a.data_dir, twin.data_dir)
        stations = district_stations(a.ws)
        enter(a, stations[0], seed=1)
        enter(twin, stations[1], seed=2)  # the same place of the chain: a fork
        boss = make_laptop(tmp_path / "s", "sup-1", role="supervisor")
        server.asked.clear()
        assert once(boss, server.url).outcome == "done"
        assert "/v1/evidence" not in _paths(server.asked)  # none held anywhere: none asked
        assert once(a, server.url).outcome == "done"
        assert [r for _, r, _ in once(twin, server.url).refused] == ["equivocation"]
        assert server.get("/v1/health")["forks_held"] == 1
        server.asked.clear()
        assert once(boss, server.url).outcome == "done"
        assert _paths(server.asked).count("/v1/evidence") == 1
        assert boss.ws.store.evidence.forked() == {a.key.key_id: 1}
        server.asked.clear()
        assert once(boss, server.url).outcome == "done"  # nothing new: not asked again
        assert "/v1/evidence" not in _paths(server.asked)
        # Kept by server and region: either another asks again.
        seen = boss.ws.store.outbox.setting(EVIDENCE_SEEN)
        assert seen is not None
        key, region, count = seen.split(":")
        assert (key, count) == (server.ledger.server_key.key_id, "1")
        for other in (f"{'0' * 64}:{region}:1", f"{key}:32.02:1"):
            boss.ws.store.outbox.set_setting(EVIDENCE_SEEN, other)
            server.asked.clear()
            assert once(boss, server.url).outcome == "done"
            assert _paths(server.asked).count("/v1/evidence") == 1, other
            assert boss.ws.store.outbox.setting(EVIDENCE_SEEN) == seen
        # What an evidence answer that is not whole leaves: not seen, asked again (a pair that
        # does not check; no list). One read at another count than health's (a replica
        # behind) is seen at its own count, so the next sync asks again.
        balancer = Balancer(server.url, server.url)
        try:
            for name, change, kept in (
                ("a pair that does not check", "bogus", None),
                ("no list", "no list", None),
                ("read behind health", "behind", f"{key}:{region}:0"),
            ):

                def rewrite(path: str, body: bytes, change: str = change) -> bytes:
                    if not path.startswith("/v1/evidence"):
                        return body
                    answer = json.loads(body)
                    if change == "bogus":
                        answer["forks"].append([{"not": "a record"}, {}])
                    elif change == "no list":
                        del answer["forks"]
                    else:
                        answer["forks_held"] = 0
                    return json.dumps(answer).encode()

                balancer.rewrite = rewrite
                boss.ws.store.outbox.set_setting(EVIDENCE_SEEN, None)
                result = once(boss, balancer.url)
                malformed = [p.kind for p in result.pull_problems]
                assert malformed == ([] if kept else ["malformed"]), (name, result)
                assert boss.ws.store.outbox.setting(EVIDENCE_SEEN) == kept, name
        finally:
            balancer.stop()
        server.asked.clear()
        assert once(boss, server.url).outcome == "done"
        assert _paths(server.asked).count("/v1/evidence") == 1
        assert boss.ws.store.outbox.setting(EVIDENCE_SEEN) == seen
    finally:
        server.stop()


def test_an_earlier_server_s_health_without_proof_or_count_is_asked_apart(
    tmp_path: Path,
) -> None:
    """A health answer with neither ``consistency`` nor ``forks_held`` (an earlier server):
    the laptop asks the proof and the evidence, as before, and the sync is done."""
    server = LiveServer(tmp_path / "server")
    balancer = Balancer(server.url, server.url)

    def earlier(path: str, body: bytes) -> bytes:
        if not path.startswith("/v1/health"):
            return body
        answer = json.loads(body)
        del answer["consistency"], answer["forks_held"]
        return json.dumps(answer).encode()

    balancer.rewrite = earlier
    try:
        a, b = _synced_pair(tmp_path, balancer.url)
        enter(b, district_stations(b.ws)[4], seed=4)
        assert once(b, server.url).outcome == "done"
        server.asked.clear()
        assert once(a, balancer.url).outcome == "done"
        asked = _paths(server.asked)
        assert asked.count("/v1/log/consistency") == 1 and asked.count("/v1/evidence") == 1
        assert a.ws.store.witness.newest().hash == server.ledger.view.head.hash  # type: ignore[union-attr]
    finally:
        balancer.stop()
        server.stop()


def test_a_carried_proof_is_checked_as_an_asked_one(tmp_path: Path) -> None:
    """Through a balancer that rewrites the health answer's proof: for other sizes it is not
    taken (the proof is asked, the sync is done); wrong, it is asked again, and the right one
    settles it; no list of hashes, it is a broken answer, as an asked one is (nothing kept
    as evidence)."""
    server = LiveServer(tmp_path / "server")
    balancer = Balancer(server.url, server.url)
    try:
        a, b = _synced_pair(tmp_path, balancer.url)
        stations = district_stations(a.ws)
        seed = [10]

        def grow() -> None:  # another laptop's sheet: the head grows past a's
            seed[0] += 1
            enter(b, stations[seed[0]], seed=seed[0])
            assert once(b, server.url).outcome == "done"

        def carried(change: object) -> None:
            def rewrite(path: str, body: bytes) -> bytes:
                if not path.startswith("/v1/health?known="):
                    return body
                answer = json.loads(body)
                assert answer["consistency"] is not None  # the server carried one
                answer["consistency"] = change(answer["consistency"])  # type: ignore[operator]
                return json.dumps(answer).encode()

            balancer.rewrite = rewrite

        for name, change in (
            ("other sizes", lambda c: {**c, "first": c["first"] - 1}),
            ("wrong hashes", lambda c: {**c, "proof": ["00" * 32 for _ in c["proof"]]}),
        ):
            grow()
            carried(change)
            server.asked.clear()
            result = once(a, balancer.url)
            assert result.outcome == "done", (name, result.error)
            assert _paths(server.asked).count("/v1/log/consistency") == 1, name
            assert a.ws.store.witness.newest().hash == server.ledger.view.head.hash, name  # type: ignore[union-attr]
        for broken in ("not a list", None):
            grow()
            carried(lambda c, broken=broken: {**c, "proof": broken})  # type: ignore[misc]
            result = once(a, balancer.url)
            assert result.error_kind == "bad_answer", result.error
            assert kinds(a) == []
    finally:
        balancer.stop()
        server.stop()


def test_a_laptop_without_a_kept_head_asks_health_plain(tmp_path: Path) -> None:
    server = LiveServer(tmp_path / "server")
    try:
        a = make_laptop(tmp_path / "a", "op-a")
        demo_service.populate(a.ws, a.key, stations=1, seed=3)
        assert once(a, server.url).outcome == "done"
        assert server.asked[0] == "GET /v1/health"
    finally:
        server.stop()
