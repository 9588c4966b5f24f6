"""Trial 4 at small size: every mutation of the records table is found by verify, by name."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from recap_desktop.services import Workspace
from recap_desktop.services.verify import verify_store
from recap_desktop.storage import TamperedStore
from reliability.mutations import MUTATIONS, OPEN_DEFECTS, mutations_trial


def test_small_mutation_trial_detects_every_kind(tmp_path: Path) -> None:
    kinds = [name for name, _ in MUTATIONS if name not in OPEN_DEFECTS]
    result = mutations_trial(len(kinds) * 4, tmp_path, kinds=kinds)
    assert result.failures == []
    assert result.counts["detected"] == result.size >= len(kinds) * 4
    for name in kinds:
        assert result.counts.get(f"{name}: tried", 0) >= 3, name


def _untrigger(db: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(db)
    conn.execute("DROP TRIGGER records_no_update")
    return conn


@pytest.mark.parametrize("column", ["type", "seq"])
def test_an_edited_type_or_seq_column_is_named_by_verify(
    demo_ws: Workspace, demo_key, data_dir: Path, recap, column: str
) -> None:
    """Found by the mutation trial: these columns are not signed, but the next save and the
    type queries trust them, so verify must compare them with the signed payload."""
    from recap_desktop.services import demo as demo_service

    demo_service.populate(demo_ws, demo_key, stations=2)
    head = demo_ws.store.integrity.chain_head(demo_key.key_id)
    assert head is not None
    demo_ws.close()
    conn = _untrigger(data_dir / "recap.db")
    if column == "type":
        conn.execute("UPDATE records SET type = 'review' WHERE hash = ?", [head[1]])
    else:
        conn.execute("UPDATE records SET seq = seq + 5 WHERE hash = ?", [head[1]])
    conn.commit()
    conn.close()
    ws = Workspace(data_dir)
    report = verify_store(ws)
    assert not report.ok
    assert head[1] in {p.record for p in report.errors}
    ws.close()
    result = recap("verify")
    assert result.code == 1 and head[1] in result.out


def test_an_edited_head_seq_stops_the_next_save_instead_of_forking(
    demo_ws: Workspace, demo_key, data_dir: Path
) -> None:
    from recap_desktop.services import demo as demo_service

    demo_service.populate(demo_ws, demo_key, stations=1)
    head = demo_ws.store.integrity.chain_head(demo_key.key_id)
    assert head is not None
    conn = _untrigger(data_dir / "recap.db")
    conn.execute("DROP INDEX records_chain")
    conn.execute("UPDATE records SET seq = 1 WHERE hash = ?", [head[1]])
    conn.commit()
    conn.close()
    with pytest.raises(TamperedStore):
        demo_ws.store.integrity.chain_head(demo_key.key_id)


@pytest.mark.parametrize("origin", ["self", "authority"])
def test_a_key_planted_in_the_keys_table_vouches_for_nothing(
    demo_ws: Workspace, data_dir: Path, origin: str
) -> None:
    """Found by the mutation trial: a sheet signed by any key passed `recap verify` (as a
    mere "key not yet certified" notice) once that key was added to the keys table."""
    from recap_desktop.crypto.envelope import sign
    from recap_desktop.crypto.keys import SigningKey
    from recap_desktop.services import demo as demo_service
    from recap_desktop.services import identity as identity_service

    own = identity_service.unlock(demo_ws, identity_service.DEMO_PASSPHRASE)
    demo_service.populate(demo_ws, own, stations=1)
    sheet = next(r.record for r in demo_ws.store.records.rows(["sheet"]) if r.record)
    intruder = SigningKey.generate()
    forged = sign(intruder, {**sheet.payload, "signer": intruder.key_id, "seq": 1, "prev": None})
    demo_ws.store.keys.add(intruder.key_id, intruder.public_key, origin)
    demo_ws.store.append([forged], "local")
    report = verify_store(demo_ws)
    assert not report.ok
    assert forged.hash in {p.record for p in report.errors if p.kind == "unknown_signer"}


def test_the_laptops_own_uncertified_key_is_still_only_a_notice(tmp_path: Path) -> None:
    from recap_desktop.services import demo as demo_service
    from recap_desktop.services import identity as identity_service
    from recap_desktop.services.election import import_election
    from recap_desktop.services.sheets import enter_sheet, template

    ws = Workspace(tmp_path / "d")

    import_election(
        ws,
        (demo_service.RESOURCES / "election.json").read_bytes(),
        "demo",
        demo=True,
    )
    identity_service.create_identity(
        ws, name="Baru", officer_id="op-9", role="operator", passphrase="x", demo=True
    )
    key = identity_service.unlock(ws, "x")
    station = "32.01.01.2001.001"
    enter_sheet(ws, key, station, "ppwp", template(ws, station, "ppwp"), warnings_reason="latihan")
    report = verify_store(ws)
    assert report.ok
    assert [p.kind for p in report.problems] == ["awaiting_certificate"]
    ws.close()


def test_a_deleted_revocation_list_is_found_even_with_the_rows_renumbered(
    demo_ws: Workspace, data_dir: Path, recap
) -> None:
    """Found by the mutation trial: deleting the revocation list and closing the gap in the
    row numbers un-revoked its keys, and `recap verify` passed."""
    from reliability.packages import revocations

    demo_ws.store.append([revocations(1, ["a" * 64]), revocations(2, ["a" * 64, "b" * 64])], "x")
    assert verify_store(demo_ws).ok  # two lists, the newest in force: nothing wrong
    last = demo_ws.store.db.execute("SELECT MAX(id) FROM records").fetchone()[0]
    demo_ws.close()
    conn = sqlite3.connect(data_dir / "recap.db")
    conn.execute("DROP TRIGGER records_no_delete")
    conn.execute("DROP TRIGGER records_no_update")
    conn.execute("DELETE FROM records WHERE id = ?", [last])  # list version 2
    conn.commit()
    conn.close()
    result = recap("verify")
    assert result.code == 1
    assert "revocation list was removed or changed" in result.out
