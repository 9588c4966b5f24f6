"""The holes a security review found in holding the server to its log (docs/PROTOCOL.md
§10), each shown by a real server on a loopback port made to misbehave (tests/dishonest.py)
or answering as an honest server under load would, and a real laptop that must tell a lie
(evidence, kept) from a stale or broken answer (retried, nothing kept)."""

from __future__ import annotations

import gzip
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests

from recap_desktop.cli import main as cli_main
from recap_desktop.crypto.keys import SigningKey
from recap_desktop.protocol import log as log_protocol
from recap_desktop.protocol.wire import (
    MAX_COUNT,
    WireError,
    batch_bytes,
    parse_page,
    parse_receipt,
)
from recap_desktop.services import bundle as bundle_service
from recap_desktop.services import demo as demo_service
from recap_desktop.services import sync as sync_service
from recap_desktop.services.admission import trust
from recap_desktop.services.audit import audit
from recap_desktop.sync import engine as engine_module
from recap_desktop.sync.backoff import Backoff
from tests.dishonest import FlakyProof, WithholdingOnce, serve_head
from tests.sync_support import (
    LiveServer,
    district_stations,
    enter,
    laptop_hashes,
    live_server,
    make_laptop,
)

__all__ = ["live_server"]
FINGERPRINT = demo_service.demo_authority().key_id[:16]


def once(laptop: Any, url: str) -> engine_module.SyncResult:
    """One sync, no retry: what the laptop concluded from the server's first answers."""
    return sync_service.sync_once(laptop.ws, url, attempts=1, backoff=Backoff(base=0.01))


def recap(capsys: pytest.CaptureFixture[str], data_dir: Path, *args: str) -> tuple[int, str]:
    capsys.readouterr()
    code = cli_main(["--data-dir", str(data_dir), *args])
    out = capsys.readouterr()
    return code, out.out + out.err


def kinds(laptop: Any) -> list[str]:
    return [e.kind for e in laptop.ws.store.witness.evidence()]


# -- 1. a smaller head: stale, rolled back or forked, by the heads the server signed ----------


def test_a_lagging_replica_s_older_head_is_retried_not_evidence(tmp_path: Path) -> None:
    server = LiveServer(tmp_path / "server")
    try:
        a = make_laptop(tmp_path / "a", "op-a")
        assert once(a, server.url).outcome == "done"
        older = server.ledger.view.head
        assert older is not None
        enter(a, district_stations(a.ws)[0], seed=1)
        assert once(a, server.url).outcome == "done"
        current = server.ledger.view
        serve_head(server, older)  # a replica that has not seen the last push yet
        result = once(a, server.url)
        assert result.outcome == "unreachable" and result.error_kind == "bad_answer"
        assert "older than its head" in (result.error or "")
        assert kinds(a) == []  # the server signed nothing false
        server.ledger.view = current  # the replica caught up
        assert once(a, server.url).outcome == "done" and kinds(a) == []
    finally:
        server.stop()


def test_a_held_head_listed_beside_another_of_its_size_is_a_fork(tmp_path: Path) -> None:
    """Shown an older head, the laptop asks for the heads of its size: the server lists the
    laptop's own head and another it signed over another log of that size. Two valid heads of
    one size that differ are a fork, whatever else is listed (§10.3 item 1, GAP 79), not a
    stale answer to retry."""
    server = LiveServer(tmp_path / "server")
    try:
        a = make_laptop(tmp_path / "a", "op-a")
        assert once(a, server.url).outcome == "done"
        older = server.ledger.view.head
        assert older is not None
        enter(a, district_stations(a.ws)[0], seed=1)
        assert once(a, server.url).outcome == "done"
        held = log_protocol.parse_head(a.ws.store.witness.newest(), server.ledger.trust())
        other = log_protocol.sign_head(
            server.ledger.server_key, held.election, held.size, bytes(32), held.partitions,
            held.partition_count, held.time,
        )  # fmt: skip
        server.ledger.storage.keep_head(other)  # it signed another log of that size too
        serve_head(server, older)
        result = once(a, server.url)
        assert [k for k, _ in result.misbehaviour] == ["forked"]
        (found,) = a.ws.store.witness.evidence()
        assert found.first == held.to_json() and found.second == other.to_json()
    finally:
        server.stop()


def test_a_server_restored_from_a_backup_has_rolled_back(tmp_path: Path) -> None:
    """The operator restores last night's copy: its newest head is older and smaller than
    the one the laptop holds, and it signed no head of the laptop's size any more."""
    server = LiveServer(tmp_path / "server")
    a = make_laptop(tmp_path / "a", "op-a")
    assert once(a, server.url).outcome == "done"
    server.stop()
    shutil.copytree(tmp_path / "server", tmp_path / "backup")
    server = LiveServer(tmp_path / "server")
    enter(a, district_stations(a.ws)[0], seed=1)
    assert once(a, server.url).outcome == "done"
    held = a.ws.store.witness.newest()
    server.stop()
    restored = LiveServer(tmp_path / "backup")
    try:
        result = once(a, restored.url)
        assert result.error_kind == "server_misbehaved"
        assert [k for k, _ in result.misbehaviour] == ["rolled_back"]
        (found,) = a.ws.store.witness.evidence()
        assert found.first == held.to_json()  # type: ignore[union-attr]
        assert found.second is not None and found.second["payload"]["type"] == "tree_head"
    finally:
        restored.stop()


def test_a_smaller_head_over_another_log_of_the_held_size_is_a_fork(tmp_path: Path) -> None:
    """Restored from a backup, the server grows another history to the laptop's size, then
    shows the laptop an older head: asked for its heads of that size, it lists another."""
    server = LiveServer(tmp_path / "server")
    a = make_laptop(tmp_path / "a", "op-a")
    b = make_laptop(tmp_path / "b", "op-b")
    assert once(a, server.url).outcome == "done"
    server.stop()
    shutil.copytree(tmp_path / "server", tmp_path / "backup")
    server = LiveServer(tmp_path / "server")
    enter(a, district_stations(a.ws)[0], seed=1)
    assert once(a, server.url).outcome == "done"
    held = a.ws.store.witness.newest()
    assert held is not None
    server.stop()
    restored = LiveServer(tmp_path / "backup")
    try:
        old = restored.ledger.view.head
        assert old is not None
        enter(b, district_stations(b.ws)[5], seed=2)
        assert once(b, restored.url).outcome == "done"
        assert restored.ledger.view.size >= held.payload["size"]
        serve_head(restored, old)
        result = once(a, restored.url)
        assert [k for k, _ in result.misbehaviour] == ["forked"]
        (found,) = a.ws.store.witness.evidence()
        assert found.first == held.to_json()
        assert found.second is not None
        assert found.second["payload"]["size"] == held.payload["size"]
        assert found.second["payload"]["root"] != held.payload["root"]
    finally:
        restored.stop()


def test_heads_of_one_size_must_agree_on_their_partitions_too(live_server: LiveServer) -> None:
    """Same size, same root, another partitions root or count: two histories all the same
    (a pull's completeness rests on the partitions)."""
    key = live_server.ledger.server_key
    laptop_trust = live_server.ledger.trust()
    head = log_protocol.parse_head(live_server.ledger.view.head, laptop_trust)
    for partitions, count in [
        (bytes(32), head.partition_count),
        (head.partitions, head.partition_count + 1),
    ]:
        other = log_protocol.parse_head(
            log_protocol.sign_head(
                key, head.election, head.size, head.root, partitions, count, head.time
            ),
            laptop_trust,
        )
        with pytest.raises(log_protocol.LogError) as found:
            log_protocol.check_extends(head, other, [])
        assert found.value.kind == "forked"


def test_the_server_lists_the_heads_it_signed_at_a_size(live_server: LiveServer) -> None:
    head = live_server.ledger.view.head
    assert head is not None
    size = head.payload["size"]
    listed = live_server.get(f"/v1/log/heads?size={size}")
    assert head.hash in [h["hash"] for h in listed["heads"]]
    assert live_server.get(f"/v1/log/heads?size={size + 100}")["heads"] == []
    assert "heads" not in live_server.get("/v1/log/heads")  # the newest alone, as before


class Balancer:
    """A load balancer on loopback in front of two replicas of one server: requests whose
    path starts with one of ``behind_paths`` go to the replica behind, the rest to the
    current one (real HTTP both ways). ``plain_health``: health is asked without ``known``,
    as an earlier server that carries no consistency proof in it answers. ``rewrite``: what
    the balancer does to an answer's body, given the path asked (a server's lie)."""

    def __init__(self, current: str, behind: str) -> None:
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        self.behind_paths: tuple[str, ...] = ()
        self.plain_health = False
        self.rewrite: Callable[[str, bytes], bytes] = lambda _path, body: body
        balancer = self

        class Handler(BaseHTTPRequestHandler):
            def _forward(self) -> None:
                base = behind if self.path.startswith(balancer.behind_paths) else current
                path = self.path
                if balancer.plain_health and path.startswith("/v1/health"):
                    path = "/v1/health"
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {k: v for k, v in self.headers.items() if k.lower() in _FORWARDED_HEADERS}
                answer = requests.request(
                    self.command, base + path, data=body or None, headers=headers, timeout=30
                )
                content = balancer.rewrite(self.path, answer.content)
                self.send_response(answer.status_code)
                self.send_header("Content-Type", answer.headers.get("Content-Type", "text/plain"))
                self.send_header("Content-Length", str(len(content)))
                self.end_headers()
                self.wfile.write(content)

            do_GET = do_POST = _forward

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


_FORWARDED_HEADERS = {"content-type", "content-encoding", "user-agent"}


def test_a_404_for_a_proof_is_settled_by_the_heads_the_server_signed(tmp_path: Path) -> None:
    """Behind a balancer, the replica asked for the proof has not seen the newest head yet
    (404): a stale answer while the server still lists that head, a roll-back once it
    disowns it. (Health asked plain: a proof carried in it comes from the replica that
    answered it.)"""
    current = LiveServer(tmp_path / "current")
    a = make_laptop(tmp_path / "a", "op-a")
    b = make_laptop(tmp_path / "b", "op-b")
    assert once(a, current.url).outcome == "done"
    current.stop()
    shutil.copytree(tmp_path / "current", tmp_path / "behind")
    current = LiveServer(tmp_path / "current")
    enter(b, district_stations(b.ws)[7], seed=7)
    assert once(b, current.url).outcome == "done"
    behind = LiveServer(tmp_path / "behind")
    balancer = Balancer(current.url, behind.url)
    balancer.plain_health = True
    try:
        balancer.behind_paths = ("/v1/log/consistency",)
        result = once(a, balancer.url)
        assert result.error_kind == "bad_answer" and kinds(a) == []
        balancer.behind_paths = ("/v1/log/consistency", "/v1/log/heads")
        result = once(a, balancer.url)
        assert [k for k, _ in result.misbehaviour] == ["rolled_back"]
        (found,) = a.ws.store.witness.evidence()
        assert found.first == current.ledger.view.head.to_json()  # type: ignore[union-attr]
    finally:
        balancer.stop()
        behind.stop()
        current.stop()


# -- 2. a consistency proof that fails is asked for once more --------------------------------


def test_a_proof_that_fails_once_is_asked_again(tmp_path: Path) -> None:
    server = LiveServer(tmp_path / "server", storage=FlakyProof)
    try:
        a = make_laptop(tmp_path / "a", "op-a")
        b = make_laptop(tmp_path / "b", "op-b")
        assert once(a, server.url).outcome == "done"
        enter(b, district_stations(b.ws)[3], seed=3)
        assert once(b, server.url).outcome == "done"
        server.ledger.storage.flaky = 1  # type: ignore[attr-defined]
        assert once(a, server.url).outcome == "done"
        assert kinds(a) == []
        assert server.ledger.storage.asked >= 2  # type: ignore[attr-defined]
        # Wrong every time: that is evidence, with both heads.
        enter(b, district_stations(b.ws)[4], seed=4)
        assert once(b, server.url).outcome == "done"
        server.ledger.storage.flaky = 2  # type: ignore[attr-defined]
        result = once(a, server.url)
        assert [k for k, _ in result.misbehaviour] == ["inconsistent"]
    finally:
        server.stop()


# -- 3. receipts ------------------------------------------------------------------------------


def test_the_server_answers_a_record_sent_twice_in_one_batch_once(
    live_server: LiveServer, tmp_path: Path
) -> None:
    a = make_laptop(tmp_path / "a", "op-a")
    assert once(a, live_server.url).outcome == "done"
    sheet = enter(a, district_stations(a.ws)[0], seed=1)
    record = next(r for _, r in a.ws.store.outbox.unsent(0, 100, 10**9) if r.hash == sheet)
    size = live_server.ledger.view.size
    body = gzip.compress(batch_bytes([record.to_json(), record.to_json()]))
    answer = requests.post(
        f"{live_server.url}/v1/push",
        params={"known": size},
        data=body,
        headers={"Content-Type": "application/json", "Content-Encoding": "gzip"},
        timeout=10,
    ).json()
    receipt = parse_receipt(answer["receipt"], live_server.ledger.server_key.public_key)
    assert list(receipt.stored) == [sheet] and not receipt.held and not receipt.refused
    assert [r["hash"] for r in answer["results"]] == [sheet]
    head = log_protocol.parse_head(answer["head"], trust(a.ws))
    known = log_protocol.parse_head(a.ws.store.witness.newest(), trust(a.ws))
    log_protocol.check_receipt(
        receipt, head, known, answer["proofs"], {sheet: "32.01.01"}, trust=trust(a.ws)
    )


def test_no_consistency_proof_is_sent_where_none_is_needed(live_server: LiveServer) -> None:
    size = live_server.ledger.view.size
    for known in (0, size, size + 5):
        answer = requests.post(
            f"{live_server.url}/v1/push",
            params={"known": known},
            data=gzip.compress(batch_bytes([])),
            headers={"Content-Type": "application/json", "Content-Encoding": "gzip"},
            timeout=10,
        ).json()
        assert answer["proofs"]["consistency"] is None, known


def test_each_pipelined_push_names_the_head_the_last_receipt_brought(tmp_path: Path) -> None:
    server = LiveServer(tmp_path / "server")
    knowns: list[int] = []
    sizes: list[int] = []
    push = server.ledger.push

    def recording(raw: Any, forks: Any = (), known: int = 0) -> Any:
        knowns.append(known)
        pushed = push(raw, forks, known)
        sizes.append(int(pushed.head.payload["size"]))
        return pushed

    server.ledger.push = recording  # type: ignore[method-assign]
    try:
        a = make_laptop(tmp_path / "a", "op-a")
        for i, station in enumerate(district_stations(a.ws)[:4]):
            enter(a, station, seed=i)
        engine = sync_service.make_engine(a.ws, server.url, attempts=1, batch_count=1)
        try:
            assert engine.sync().outcome == "done"
        finally:
            engine.client.close()
        assert len(knowns) >= 4
        assert knowns[1:] == sizes[:-1]  # each names the newest head held when it was sent
        assert a.ws.store.witness.newest().payload["size"] == sizes[-1]  # type: ignore[union-attr]
    finally:
        server.stop()


def test_a_held_answer_listing_only_a_hash_not_asked_is_a_bad_receipt(tmp_path: Path) -> None:
    """First contact (§9.9, GAP 105): a push/held receipt lists in ``held`` only hashes the
    laptop asked. One that lists none of them but another record the log holds is signed
    nonsense, evidence, not an answer to pass over because nothing of ours is in it."""
    server = LiveServer(tmp_path / "server")
    try:
        a = make_laptop(tmp_path / "a", "op-a")
        sheet = enter(a, district_stations(a.ws)[0], seed=1)
        assert once(a, server.url).outcome == "done"
        holds = server.ledger.holds
        server.ledger.holds = lambda hashes, known=0: holds([sheet], known)  # type: ignore[method-assign]
        b = make_laptop(tmp_path / "b", "op-b")
        result = once(b, server.url)
        assert result.error_kind == "server_misbehaved", result.to_json()
        assert [kind for kind, _ in result.misbehaviour] == ["bad_receipt"]
        assert kinds(b) == ["bad_receipt"]
    finally:
        server.stop()


def test_a_receipt_that_lists_a_record_twice_does_not_parse() -> None:
    key = SigningKey.generate()
    entry = {"hash": "ab" * 32, "index": 3, "received": "2026-02-14T10:00:00Z"}
    base = {
        "type": "receipt",
        "server": key.key_id,
        "time": "2026-02-14T10:00:00Z",
        "election": "e",
        "head": "cd" * 32,
        "refused": [],
    }
    from recap_desktop.crypto.envelope import sign

    for stored, held in [([entry, dict(entry, index=4)], []), ([entry], [entry])]:
        made = sign(key, {**base, "stored": stored, "held": held})
        with pytest.raises(WireError):
            parse_receipt(made.to_json(), key.public_key)


# -- 4. the handshake -------------------------------------------------------------------------


def test_a_server_certificate_not_in_force_at_the_laptop_s_clock_is_said_plainly(
    live_server: LiveServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The laptop's clock is years ahead (a flat CMOS battery): the server's certificate has
    ended at that clock. Not the server's fault: no evidence, a message saying what to do."""
    from datetime import UTC, datetime

    a = make_laptop(tmp_path / "a", "op-a")
    monkeypatch.setattr(engine_module, "_laptop_clock", lambda: datetime(2033, 1, 1, tzinfo=UTC))
    result = once(a, live_server.url)
    assert result.outcome == "failed" and result.error_kind == "server_certificate_time"
    assert kinds(a) == []
    monkeypatch.setenv("RECAP_LANG", "en")
    code, said = recap(capsys, a.data_dir, "sync", "--server", live_server.url)
    assert code != 0 and "laptop's date, time and time zone" in said and "renew" in said
    monkeypatch.setenv("RECAP_LANG", "id")
    code, said = recap(capsys, a.data_dir, "sync", "--server", live_server.url)
    assert code != 0 and "jam laptop" in said
    assert kinds(a) == []


def test_sent_marks_are_reconsidered_only_when_the_certified_servers_change(
    live_server: LiveServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    a = make_laptop(tmp_path / "a", "op-a")
    calls: list[Any] = []
    evidence = type(a.ws.store.evidence)
    forget = evidence.forget_server

    def counting(self: Any, trusted: Any) -> int:
        calls.append(sorted(trusted))
        return forget(self, trusted)

    monkeypatch.setattr(evidence, "forget_server", counting)
    assert once(a, live_server.url).outcome == "done"
    enter(a, district_stations(a.ws)[0], seed=1)
    assert once(a, live_server.url).outcome == "done"
    assert calls == [[live_server.ledger.server_key.key_id]]  # once: the set was new
    assert not a.ws.store.outbox.unsent(0, 10, 10**9)


# -- 5. pulls ---------------------------------------------------------------------------------


def test_a_page_that_missed_a_record_once_is_pulled_again_not_evidence(tmp_path: Path) -> None:
    server = LiveServer(tmp_path / "server", storage=WithholdingOnce)
    try:
        a = make_laptop(tmp_path / "a", "op-a")
        b = make_laptop(tmp_path / "b", "op-b")
        assert once(b, server.url).outcome == "done"
        sheet = enter(a, district_stations(a.ws)[0], seed=1)
        assert once(a, server.url).outcome == "done"
        server.ledger.storage.hidden.add(a.key.key_id)  # type: ignore[attr-defined]
        server.ledger.storage.times = 1  # type: ignore[attr-defined]
        result = once(b, server.url)
        assert result.outcome == "done" and kinds(b) == []
        assert sheet in laptop_hashes(b)
        # Missing every time: withheld, kept with the head.
        sheet2 = enter(a, district_stations(a.ws)[1], seed=2)
        assert once(a, server.url).outcome == "done"
        server.ledger.storage.times = 10  # type: ignore[attr-defined]
        result = once(b, server.url)
        assert [k for k, _ in result.misbehaviour] == ["withheld"]
        assert sheet2 not in laptop_hashes(b)
    finally:
        server.stop()


def test_heads_relied_on_are_kept_listed_and_carried_in_bundles(
    live_server: LiveServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a = make_laptop(tmp_path / "a", "op-a")
    for i, station in enumerate(district_stations(a.ws)[:3]):
        enter(a, station, seed=i)
        assert once(a, live_server.url).outcome == "done"
    witness = a.ws.store.witness
    newest, relied = witness.newest(), witness.relied()
    assert newest is not None and len(relied) >= 3
    code, said = recap(capsys, a.data_dir, "log", "--json")
    listed = [h["hash"] for h in json.loads(said)["heads"]]
    assert code == 0 and listed[0] == newest.hash and set(h.hash for h in relied) <= set(listed)
    bundle = tmp_path / "a.bundle"
    bundle_service.export_bundle(a.ws, bundle)
    carried = [h["hash"] for h in json.loads(bundle.read_bytes())["heads"]]
    assert carried[0] == newest.hash and len(carried) == min(16, 1 + len(relied))
    # Every one of them is this log's, by the auditor.
    report = audit(live_server.url, FINGERPRINT, heads=json.loads(said)["heads"])
    assert not report.findings and report.heads == len(listed)


def test_the_auditor_checks_a_given_head_s_partitions(live_server: LiveServer) -> None:
    head = log_protocol.parse_head(live_server.ledger.view.head, live_server.ledger.trust())
    wrong = log_protocol.sign_head(
        live_server.ledger.server_key,
        head.election,
        head.size,
        head.root,
        bytes(32),
        head.partition_count,
        head.time,
    )
    report = audit(live_server.url, FINGERPRINT, heads=[wrong.to_json()])
    assert [f.kind for f in report.findings] == ["forked"]


# -- 6. the server's pull ---------------------------------------------------------------------


def test_a_pull_names_a_region_and_its_last_page_ends_at_the_head(
    live_server: LiveServer, tmp_path: Path
) -> None:
    for bad in ("", "x", "32.01.01; DROP", "../32"):
        response = requests.get(
            f"{live_server.url}/v1/pull", params={"jurisdiction": bad}, timeout=10
        )
        assert response.status_code == 400, bad
    a = make_laptop(tmp_path / "a", "op-a", jurisdiction="32.01.02")
    c = make_laptop(tmp_path / "c", "op-c")
    enter(c, district_stations(c.ws)[0], seed=1)
    assert once(c, live_server.url).outcome == "done"  # the newest entries: 32.01.01's
    page = live_server.get("/v1/pull?jurisdiction=32.01.02&since=0")
    assert page["more"] is False and page["next"] == page["head"]["payload"]["size"]
    assert once(a, live_server.url).outcome == "done"


def test_a_page_before_the_last_ends_right_after_its_last_entry(live_server: LiveServer) -> None:
    """A page with more to come: its entries in index order from the cursor and its `next`
    the index after its last entry; one that skips ahead, or has nothing, is a broken answer
    (§9.5, GAP 86), not a cursor that silently jumps over entries."""
    page = live_server.get("/v1/pull?jurisdiction=32.01.01&since=0&limit=2")
    assert page["more"] is True and len(page["entries"]) == 2
    assert page["next"] == page["entries"][-1]["index"] + 1
    parse_page(page, 0)
    for changed in (
        {"next": page["next"] + 1},
        {"entries": []},
        {"entries": page["entries"][::-1]},
    ):
        with pytest.raises(WireError):
            parse_page({**page, **changed}, 0)


# -- 7. counts --------------------------------------------------------------------------------


def test_counts_beyond_a_64_bit_integer_are_refused() -> None:
    """Canonical JSON keeps numbers within ±(2^53-1); what is parsed from other sources (a
    page's cursor, a leaf's index, an append proof's size) is bounded where it is parsed."""
    page = {"entries": [], "next": MAX_COUNT + 1, "more": False, "head": None, "partitions": None}
    with pytest.raises(WireError):
        parse_page(page, 0)
    with pytest.raises(ValueError):
        log_protocol.leaf_hash("ab" * 32, MAX_COUNT + 1, "", "2026-02-14T10:00:00Z")
