"""The server is held to its transparency log (docs/PROTOCOL.md §10): a real server on a
loopback port, made to misbehave as a dishonest operator or a man in the middle would
(tests/dishonest.py), and real laptops that must catch each lie, keep the signed evidence,
and mark nothing sent on the liar's word."""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import pytest

from recap_desktop.cli import main as cli_main
from recap_desktop.protocol import log as log_protocol
from recap_desktop.protocol import merkle
from recap_desktop.protocol.wire import batch_bytes
from recap_desktop.services import bundle as bundle_service
from recap_desktop.services import sync as sync_service
from recap_desktop.services.admission import trust
from tests.dishonest import NotStoring, Withholding, rewrite_entry, uncertified
from tests.sync_support import (
    LiveServer,
    district_stations,
    enter,
    laptop_hashes,
    live_server,
    make_laptop,
    server_hashes,
)

__all__ = ["live_server"]


def recap(capsys: pytest.CaptureFixture[str], data_dir: Path, *args: str) -> tuple[int, str]:
    capsys.readouterr()
    code = cli_main(["--data-dir", str(data_dir), *args])
    out = capsys.readouterr()
    return code, out.out + out.err


def unsent(laptop: object) -> set[str]:
    return {r.hash for _, r in laptop.ws.store.outbox.unsent(0, 10_000, 10**9)}  # type: ignore[attr-defined]


# -- the honest server ------------------------------------------------------------------------


def test_an_honest_server_is_checked_and_passes(live_server: LiveServer, tmp_path: Path) -> None:
    a = make_laptop(tmp_path / "a", "op-a")
    b = make_laptop(tmp_path / "b", "op-b")
    for i, station in enumerate(district_stations(a.ws)[:6]):
        enter(a, station, seed=i)
    assert sync_service.sync_once(a.ws, live_server.url).outcome == "done"
    assert sync_service.sync_once(b.ws, live_server.url).outcome == "done"
    # b checked its partitions complete: the authority's and its district's.
    assert b.ws.store.witness.checked_partitions() == ["", "32.01.01"]
    assert set(laptop_hashes(a)) <= set(laptop_hashes(b))
    head = log_protocol.parse_head(b.ws.store.witness.newest(), trust(b.ws))
    assert head.size == len(server_hashes(live_server))
    # Its root is the tree of the log's entries, as anyone who has them can compute.
    rows = live_server.ledger.storage._query(  # type: ignore[attr-defined]
        "SELECT hash, idx, partition, received FROM records ORDER BY idx"
    )
    assert head.root == merkle.root(log_protocol.leaf_hash(*row) for row in rows)
    assert not a.ws.store.witness.evidence() and not b.ws.store.witness.evidence()


def test_proofs_grow_as_the_logarithm_of_the_log(live_server: LiveServer) -> None:
    """What a receipt or a laptop's check carries per head: at most ⌈log2 n⌉ hashes."""
    storage = live_server.ledger.storage
    for size in (1, 2, 3, 7, 8, 9, 100, 1000, 4097):
        for index in sorted({0, size // 2, size - 1}):
            want = math.ceil(math.log2(size)) if size > 1 else 0
            assert len(merkle.addresses_for_inclusion(index, size)) <= 2 * want + 1
    size = storage.log_size()
    assert len(storage.inclusion(0, size)) <= math.ceil(math.log2(size))


# -- a dishonest server, lie by lie -----------------------------------------------------------


def test_an_uncertified_key_at_first_contact_gets_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A fake server at the laptop's very first sync: it signs with a key of its own, which
    the election authority never certified. Nothing is sent; nothing is marked sent."""
    fake = LiveServer(tmp_path / "fake")
    try:
        uncertified(fake)
        a = make_laptop(tmp_path / "a", "op-a")
        for i, station in enumerate(district_stations(a.ws)[:3]):
            enter(a, station, seed=i)
        before = unsent(a)
        code, said = recap(capsys, a.data_dir, "sync", "--server", fake.url)
        assert code == 4
        assert "not certified" in said or "no certificate" in said
        assert unsent(a) == before  # every record still to send
        assert fake.stats()["sheets"] == 0
        (found,) = a.ws.store.witness.evidence()
        assert found.kind == "uncertified_server"
        code, said = recap(capsys, a.data_dir, "log")
        assert code == 4 and "Evidence of the server's misbehaviour: 1" in said
    finally:
        fake.stop()


def test_a_server_that_drops_a_record_from_its_pages_is_caught(tmp_path: Path) -> None:
    server = LiveServer(tmp_path / "server", storage=Withholding)
    try:
        a = make_laptop(tmp_path / "a", "op-a")
        b = make_laptop(tmp_path / "b", "op-b")
        hidden = enter(a, district_stations(a.ws)[0], seed=1)
        assert sync_service.sync_once(a.ws, server.url).outcome == "done"
        assert hidden in server_hashes(server)  # stored, and in the log
        server.ledger.storage.hidden.add(a.key.key_id)  # type: ignore[attr-defined]
        result = sync_service.sync_once(b.ws, server.url)
        assert result.outcome == "failed" and result.error_kind == "server_misbehaved"
        assert [kind for kind, _ in result.misbehaviour] == ["withheld"]
        assert "32.01.01" in result.misbehaviour[0][1]
        (found,) = b.ws.store.witness.evidence()
        assert found.kind == "withheld"
        assert found.first["payload"]["type"] == "tree_head"  # the head the server signed
    finally:
        server.stop()


def test_a_server_that_answers_receipts_without_storing_is_caught(tmp_path: Path) -> None:
    server = LiveServer(tmp_path / "server", storage=NotStoring)
    try:
        a = make_laptop(tmp_path / "a", "op-a")
        assert sync_service.sync_once(a.ws, server.url).outcome == "done"
        sheets = [enter(a, s, seed=i) for i, s in enumerate(district_stations(a.ws)[:3])]
        server.ledger.storage.lying = True  # type: ignore[attr-defined]
        result = sync_service.sync_once(a.ws, server.url)
        assert result.error_kind == "server_misbehaved"
        assert [kind for kind, _ in result.misbehaviour] == ["bad_receipt"]
        assert set(sheets) <= unsent(a)  # nothing marked sent that the log does not hold
        assert not set(sheets) & set(server_hashes(server))
        (found,) = a.ws.store.witness.evidence()
        assert found.first["payload"]["type"] == "receipt"  # the receipt it signed, kept
        assert found.second is not None and found.second["payload"]["type"] == "tree_head"
        # An honest server again: the records go up, as if nothing had been sent.
        server.ledger.storage.lying = False  # type: ignore[attr-defined]
        assert sync_service.sync_once(a.ws, server.url).outcome == "done"
        assert set(sheets) <= set(server_hashes(server)) and not unsent(a)
    finally:
        server.stop()


def test_a_server_that_rewrites_an_old_entry_is_caught(tmp_path: Path) -> None:
    """The operator changes when the log says an old record arrived (to make a revoked
    officer's sheet look earlier, say) and rebuilds the trees to match."""
    server = LiveServer(tmp_path / "server")
    a = make_laptop(tmp_path / "a", "op-a")
    for i, station in enumerate(district_stations(a.ws)[:3]):
        enter(a, station, seed=i)
    assert sync_service.sync_once(a.ws, server.url).outcome == "done"
    kept = a.ws.store.witness.newest()
    server.stop()
    rewrite_entry(tmp_path / "server", 3, "2026-01-01T00:00:00Z")
    again = LiveServer(tmp_path / "server")
    try:
        result = sync_service.sync_once(a.ws, again.url)
        assert result.error_kind == "server_misbehaved"
        # The same number of entries, another root: two histories under one signature.
        assert [kind for kind, _ in result.misbehaviour] == ["forked"]
        (found,) = a.ws.store.witness.evidence()
        assert found.first == kept.to_json()  # type: ignore[union-attr]
        assert found.second is not None and found.second != found.first  # two signed heads
    finally:
        again.stop()


@pytest.mark.parametrize(
    ("a_sheets", "b_sheets", "found_by", "kind"),
    [
        (1, 1, "bundle", "forked"),  # heads of one size, two roots: seen on import
        (2, 1, "sync", "inconsistent"),  # b's smaller head is not a prefix of a's log
        (1, 2, "sync", "rolled_back"),  # b's larger head: a's server once signed more
    ],
)
def test_a_history_forked_between_two_laptops_is_found(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    a_sheets: int,
    b_sheets: int,
    found_by: str,
    kind: str,
) -> None:
    """The operator runs two copies of the server from one data folder (one key, one log),
    and lets each laptop see a different history. Each laptop alone sees a log that only
    grows; a USB bundle between them shows the fork, at once or at the next sync."""
    first = LiveServer(tmp_path / "one")
    first.stop()
    shutil.copytree(tmp_path / "one", tmp_path / "two")
    one, two = LiveServer(tmp_path / "one"), LiveServer(tmp_path / "two")
    try:
        a = make_laptop(tmp_path / "a", "op-a")
        b = make_laptop(tmp_path / "b", "op-b")
        stations = district_stations(a.ws)
        for i in range(a_sheets):
            enter(a, stations[i], seed=i)
        for i in range(b_sheets):
            enter(b, stations[10 + i], seed=i)
        assert sync_service.sync_once(a.ws, one.url).outcome == "done"
        assert sync_service.sync_once(b.ws, two.url).outcome == "done"
        assert not a.ws.store.witness.evidence() and not b.ws.store.witness.evidence()
        b_head = b.ws.store.witness.newest()
        assert b_head is not None
        bundle = tmp_path / "b.bundle"
        bundle_service.export_bundle(b.ws, bundle)
        if found_by == "sync":
            # A bundle carrying b's newest head alone (the heads b relied on before would show
            # the fork at once: both pushed a certificate at the same size).
            bundle.write_bytes(batch_bytes([], [], [b_head.to_json()]))
        imported = bundle_service.import_bundle(a.ws, bundle.read_bytes(), "b")
        if found_by == "bundle":
            assert [k for k, _ in imported.misbehaviour] == [kind]
        else:
            assert imported.heads == 1 and not imported.misbehaviour
            result = sync_service.sync_once(a.ws, one.url)
            assert result.error_kind == "server_misbehaved"
            assert [k for k, _ in result.misbehaviour] == [kind]
        (found,) = a.ws.store.witness.evidence()
        assert found.kind == kind
        kept = {found.first["hash"], found.second["hash"]}  # type: ignore[index]
        assert b_head.hash in kept and len(kept) == 2  # both heads, signed by the server
        code, said = recap(capsys, a.data_dir, "log", "--json")
        assert code == 4 and b_head.hash in said
    finally:
        one.stop()
        two.stop()


def test_a_man_in_the_middle_cannot_forge_a_head(live_server: LiveServer, tmp_path: Path) -> None:
    """A head that parses but was not signed by the certified key, or whose fields were
    changed after signing, is evidence and stops the sync."""
    a = make_laptop(tmp_path / "a", "op-a")
    assert sync_service.sync_once(a.ws, live_server.url).outcome == "done"
    head = a.ws.store.witness.newest()
    assert head is not None
    forged = head.to_json()
    forged["payload"] = {**forged["payload"], "size": forged["payload"]["size"] + 1}
    with pytest.raises(log_protocol.LogError) as refused:
        log_protocol.parse_head(forged, trust(a.ws))
    assert refused.value.kind == "bad_head"


def test_range_proofs_that_do_not_hold_are_withheld_whatever_broke(
    live_server: LiveServer,
) -> None:
    """§10.5's proofs of the ranges are one check: a proof that is not a list of hashes, a
    leaf that is not an object, a range cut short, all fail as `withheld` (what §10.6 files
    them under), never a receipt's name (GAP 87)."""
    jurisdiction = "32.01.01"
    page = live_server.get(f"/v1/pull?jurisdiction={jurisdiction}&since=0&limit=1000")
    assert page["more"] is False
    head = log_protocol.parse_head(page["head"], live_server.ledger.trust())
    ranges = log_protocol.needed_ranges(jurisdiction)
    log_protocol.check_ranges(head, ranges, page["partitions"])  # the honest answer holds
    shown = [i for i, leaves in enumerate(page["partitions"]) if leaves]
    assert shown
    for broken in ("not a hash", ["not a hash"], None):
        answer = [[dict(leaf) for leaf in leaves] for leaves in page["partitions"]]
        answer[shown[0]][0]["proof"] = broken
        with pytest.raises(log_protocol.LogError) as refused:
            log_protocol.check_ranges(head, ranges, answer)
        assert refused.value.kind == "withheld", broken
    answer = [list(leaves) for leaves in page["partitions"]]
    answer[shown[0]][0] = "a leaf"
    with pytest.raises(log_protocol.LogError) as refused:
        log_protocol.check_ranges(head, ranges, answer)
    assert refused.value.kind == "withheld"
