"""The admission rule on its own (recap_desktop.protocol): authority documents, standing,
chains and evidence, against a plain in-memory view of what is held."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from recap_desktop.crypto import authority
from recap_desktop.crypto.envelope import Record, sign
from recap_desktop.crypto.keys import SigningKey
from recap_desktop.domain.election import format_time
from recap_desktop.protocol.admit import ADMITTED, HELD, REFUSED, Head, Ref, Replay, admit
from recap_desktop.protocol.checks import preverify
from recap_desktop.protocol.trust import Trust
from recap_desktop.protocol.wire import WireError, check_fork
from recap_desktop.services import demo as demo_service

NOW = datetime(2026, 2, 14, 12, 0, tzinfo=UTC)
AUTH = demo_service.demo_authority()
STATION = "32.01.01.2001.001"


class Memory:
    """A holder's set as a dict: the simplest HeldView."""

    def __init__(self) -> None:
        self.records: dict[str, Record] = {}

    def add(self, records: Sequence[Record]) -> None:
        for r in records:
            self.records[r.hash] = r

    def held(self, hashes: Sequence[str]) -> set[str]:
        return {h for h in hashes if h in self.records}

    def ref(self, hash_: str) -> Ref | None:
        r = self.records.get(hash_)
        return None if r is None else (r.type, r.payload.get("station"), r.payload.get("contest"))

    def chain_head(self, signer: str) -> Head | None:
        mine = [r for r in self.records.values() if r.signer == signer and r.seq]
        if not mine:
            return None
        top = max(mine, key=lambda r: r.seq or 0)
        return (top.seq or 0, top.hash, top.payload["time"])

    def hash_at(self, signer: str, seq: int) -> str | None:
        return next(
            (r.hash for r in self.records.values() if r.signer == signer and r.seq == seq), None
        )

    def record(self, hash_: str) -> Record | None:
        return self.records.get(hash_)

    def payload(self, hash_: str) -> dict[str, Any] | None:
        r = self.records.get(hash_)
        return None if r is None else r.payload


def package(version: int = 1, expires: str = "2031-12-31T23:59:59Z", **extra: Any) -> Record:
    payload = demo_service.build_package(3)
    payload.update(version=version, expires=expires, **extra)
    return sign(AUTH, payload)


def cert(key: SigningKey, role: str = "operator", region: str = "32.01", **kw: str) -> Record:
    return authority.certificate(
        AUTH,
        election=kw.get("election", demo_service.ELECTION_ID),
        officer_id=f"{role}-{key.key_id[:6]}",
        name="Test Officer",
        role=role,
        jurisdiction=region,
        public_key=key.public_key,
        valid_from=kw.get("valid_from", "2026-01-01T00:00:00Z"),
        valid_until=kw.get("valid_until", "2026-12-31T23:59:59Z"),
        issued="2026-01-01T00:00:00Z",
    )


def revocations(version: int, *keys: SigningKey, election: str = demo_service.ELECTION_ID):
    return authority.revocations(
        AUTH,
        election=election,
        version=version,
        issued="2026-02-01T00:00:00Z",
        revoked=[
            {"key_id": k.key_id, "reason": "stolen", "time": "2026-02-01T00:00:00Z"} for k in keys
        ],
    )


def sheet(key: SigningKey, seq: int, prev: str | None, time: str = "2026-02-14T10:00:00Z", **kw):
    values = {
        "dpt": 200, "dpt_voted": 150, "dptb_voted": 2, "dpk_voted": 1, "voted_total": 153,
        "disabled": 3, "disabled_voted": 2, "ballots_received": 204, "ballots_returned": 1,
        "ballots_unused": 50, "ballots_used": 153, "v_p01": 60, "v_p02": 50, "v_p03": 40,
        "valid": 150, "invalid": 3, "total": 153,
    }  # fmt: skip
    payload = {
        "type": "sheet",
        "signer": key.key_id,
        "seq": seq,
        "prev": prev,
        "time": time,
        "election": demo_service.ELECTION_ID,
        "station": kw.pop("station", STATION),
        "contest": "ppwp",
        "values": values,
        "warnings": [],
        "supersedes": None,
        "reason": None,
    }
    payload.update(kw)
    return sign(key, payload)


def base(*certs: Record) -> tuple[Memory, Trust]:
    held = Memory()
    out = admit([package(), *certs], held, Trust(AUTH.public_key), arrivals=(NOW, None))
    assert [d.status for d in out.decisions] == [ADMITTED] * (1 + len(certs))
    held.add(out.admitted)
    assert out.trust is not None
    return held, out.trust


def verdict(records: Sequence[Record], held: Memory, trust: Trust, **kw: Any) -> list[Any]:
    out = admit(records, held, trust, arrivals=kw.pop("arrivals", (NOW, None)), **kw)
    return [(d.status, d.problem.kind if d.problem else None) for d in out.decisions]


def test_packages_keep_their_history_and_never_roll_back() -> None:
    held, trust = base()
    newer, older = package(2), package(1)
    same_version = package(2, name={"id": "Lain", "en": "Other"})
    assert verdict([newer, older, same_version], held, trust) == [
        (ADMITTED, None),
        (HELD, None),
        (REFUSED, "equivocation"),
    ]
    out = admit([newer], held, trust, arrivals=(NOW, None))
    assert out.trust is not None and out.trust.election is not None
    assert out.trust.election.version == 2


def test_an_expired_package_never_becomes_current_at_any_door() -> None:
    held, trust = base()
    stale = package(5, expires=format_time(NOW - timedelta(days=1)))
    assert verdict([stale], held, trust) == [(REFUSED, "expired")]


def test_authority_records_of_another_election_are_refused() -> None:
    held, trust = base()
    other = SigningKey.generate()
    foreign_cert = cert(other, election="other-2024")
    foreign_list = revocations(1, other, election="other-2024")
    self_signed = authority.certificate(
        other,
        election=demo_service.ELECTION_ID,
        officer_id="me",
        name="Me",
        role="supervisor",
        jurisdiction="32",
        public_key=other.public_key,
        valid_from="2026-01-01T00:00:00Z",
        valid_until="2026-12-31T23:59:59Z",
        issued="2026-01-01T00:00:00Z",
    )
    assert verdict([foreign_cert, foreign_list, self_signed], held, trust) == [
        (REFUSED, "wrong_election"),
        (REFUSED, "wrong_election"),
        (REFUSED, "bad_signature"),
    ]


def test_time_is_one_format_and_never_goes_back_along_a_chain() -> None:
    op = SigningKey.generate()
    held, trust = base(cert(op))
    first = sheet(op, 1, None, "2026-02-14T10:00:00Z")
    basic = sheet(op, 2, first.hash, "20260214T110000Z")
    earlier = sheet(op, 2, first.hash, "2026-02-14T09:00:00Z")
    assert verdict([first, basic], held, trust)[1] == (REFUSED, "malformed")
    assert verdict([first, earlier], held, trust)[1] == (REFUSED, "time_order")


def test_a_back_dated_record_is_refused_once_its_certificate_has_ended() -> None:
    op = SigningKey.generate()
    held, trust = base(cert(op, valid_until="2026-02-10T00:00:00Z"))
    back_dated = sheet(op, 1, None, "2026-02-09T10:00:00Z")  # claims a time inside it
    assert verdict([back_dated], held, trust) == [(REFUSED, "certificate_expired")]
    seen_in_time = (datetime(2026, 2, 9, 12, tzinfo=UTC), None)  # the server held it then
    assert verdict([back_dated], held, trust, arrivals=seen_in_time) == [(ADMITTED, None)]


def test_a_revoked_key_counts_only_where_the_log_puts_it_first() -> None:
    op = SigningKey.generate()
    held, trust = base(cert(op))
    listed = admit([revocations(1, op)], held, trust, arrivals=(NOW, 50))
    assert listed.trust is not None
    revoked = listed.trust
    record = sheet(op, 1, None)
    assert verdict([record], held, revoked) == [(REFUSED, "revoked")]  # no position: a claim
    assert verdict([record], held, revoked, arrivals=(NOW, 70)) == [(REFUSED, "revoked")]
    assert verdict([record], held, revoked, arrivals=(NOW, 30)) == [(ADMITTED, None)]
    unplaced = admit([revocations(1, op)], held, trust, arrivals=(NOW, None))
    assert unplaced.trust is not None  # a list not met in the log yet lies beyond it
    assert verdict([record], held, unplaced.trust, arrivals=(NOW, 30)) == [(ADMITTED, None)]


def test_the_holders_own_key_waits_for_its_certificate() -> None:
    mine = SigningKey.generate()
    held, trust = base()
    record = sheet(mine, 1, None)
    assert verdict([record], held, trust) == [(REFUSED, "unknown_signer")]
    own = Trust(trust.authority_key, trust.election, trust.election_record, known_keys={
        mine.key_id: mine.public_key
    })  # fmt: skip
    assert verdict([record], held, own) == [(ADMITTED, "awaiting_certificate")]


def test_a_fork_is_refused_and_kept_as_evidence() -> None:
    op = SigningKey.generate()
    held, trust = base(cert(op))
    first = sheet(op, 1, None)
    held.add([first])
    other = sheet(op, 1, None, "2026-02-14T10:30:00Z")
    out = admit([other], held, trust, arrivals=(NOW, None))
    assert [(d.status, d.problem and d.problem.kind) for d in out.decisions] == [
        (REFUSED, "equivocation")
    ]
    (fork,) = out.forks
    assert {fork.held.hash, fork.offered.hash} == {first.hash, other.hash}
    assert check_fork(fork.to_json(), trust).seq == 1
    with pytest.raises(WireError):
        check_fork([first.to_json(), first.to_json()], trust)
    forked = trust.with_forks({op.key_id: 1})
    later = sheet(op, 2, first.hash)
    assert verdict([later], held, forked) == [(ADMITTED, "forked")]


def test_a_replay_reports_each_bad_record_once() -> None:
    op = SigningKey.generate()
    _, trust = base(cert(op))
    a = sheet(op, 1, None)
    b = sheet(op, 2, a.hash, station="32.01.01.2001.002")
    c = sheet(op, 3, b.hash, station="32.01.01.2001.003")
    forged = Record({**b.payload, "values": {}}, b.signer, b.sig, b.hash, b.canonical)
    replay = Replay(trust)
    arrivals = [(NOW, None)] * 3
    out = replay.feed([a, forged, c], arrivals)
    assert [(p.record, p.kind) for p in out.findings] == [(b.hash, "bad_values")]
    gap = Replay(trust).feed([a, c], arrivals[:2])
    assert [p.kind for p in gap.findings] == ["chain_gap"]


# -- signatures verified ahead of admission (a server's workers, before the writers' lock) ------


def test_a_signature_verified_against_one_key_is_never_taken_for_another() -> None:
    """The memo of a verification is tied to the key: if the trust in force at admission
    gives the signer another key than the trust the worker verified against, the signature
    is verified again, against that key, and fails."""
    a, b = SigningKey.generate(), SigningKey.generate()
    held, trust = base(cert(a))
    record = sheet(a, 1, None)
    verified = preverify([record], trust)
    assert len(verified) == 1
    assert verdict([record], held, trust, verified=verified) == [(ADMITTED, None)]
    # The same signer id, another key (no real certificate can say so: the key id is the
    # key's hash; a holder's own key table can, and a memo must not care which).
    other = Trust(trust.authority_key, trust.election, trust.election_record, known_keys={
        a.key_id: b.public_key
    })  # fmt: skip
    assert verdict([record], held, other, verified=verified) == [(REFUSED, "bad_signature")]


def test_a_signature_verified_for_some_bytes_is_never_taken_for_others() -> None:
    """Tied to the exact record: the same hash and payload with another signature (or the
    same signature over other bytes) is verified afresh."""
    a = SigningKey.generate()
    held, trust = base(cert(a))
    record = sheet(a, 1, None)
    verified = preverify([record], trust)
    other_sig = sign(a, {**record.payload, "time": "2026-02-14T10:00:01Z"}).sig
    swapped = Record(record.payload, record.signer, other_sig, record.hash, record.canonical)
    assert verdict([swapped], held, trust, verified=verified) == [(REFUSED, "bad_signature")]
    moved = sign(a, {**record.payload, "station": "32.01.01.2001.002"})
    rebytes = Record(moved.payload, moved.signer, record.sig, moved.hash, moved.canonical)
    assert verdict([rebytes], held, trust, verified=verified) == [(REFUSED, "bad_signature")]


def test_a_revocation_between_the_verify_and_admission_still_refuses() -> None:
    """A worker verified the sheet while its key was certified; the revocation reached the
    trust before the sheet's turn at admission: the signature still holds, the key does not."""
    a = SigningKey.generate()
    held, trust = base(cert(a))
    record = sheet(a, 1, None)
    verified = preverify([record], trust)
    listed = admit([revocations(1, a)], held, trust, arrivals=(NOW, 50))
    assert listed.trust is not None
    assert verdict([record], held, listed.trust, verified=verified) == [(REFUSED, "revoked")]


def test_a_bad_signature_among_good_ones_is_refused_alone() -> None:
    keys = [SigningKey.generate() for _ in range(3)]
    held, trust = base(*(cert(k) for k in keys))
    good = [sheet(k, 1, None, station=f"32.01.01.2001.00{i + 1}") for i, k in enumerate(keys)]
    # The signer's signature over other bytes (its time changed): right key, wrong message.
    bad_sig = sign(keys[1], {**good[1].payload, "time": "2026-02-14T10:00:01Z"}).sig
    bad = Record(good[1].payload, good[1].signer, bad_sig, good[1].hash, good[1].canonical)
    batch = [good[0], bad, good[2]]
    verified = preverify(batch, trust)
    assert len(verified) == 2  # only what verified is kept
    assert verdict(batch, held, trust, verified=verified) == [
        (ADMITTED, None),
        (REFUSED, "bad_signature"),
        (ADMITTED, None),
    ]


def test_admission_does_not_verify_again_what_was_verified_ahead(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The point of verifying ahead: inside the lock, no signature of the batch is verified
    a second time when the trust gives the same keys."""
    keys = [SigningKey.generate() for _ in range(3)]
    held, trust = base(*(cert(k) for k in keys))
    batch = [sheet(k, 1, None, station=f"32.01.01.2001.00{i + 1}") for i, k in enumerate(keys)]
    verified = preverify(batch, trust)
    calls: list[str] = []
    real = Record.verify_signature

    def counted(self: Record, public_key: bytes) -> bool:
        calls.append(self.hash)
        return real(self, public_key)

    monkeypatch.setattr(Record, "verify_signature", counted)
    assert verdict(batch, held, trust, verified=verified) == [(ADMITTED, None)] * 3
    assert calls == []
    assert verdict(batch, held, trust) == [(ADMITTED, None)] * 3
    assert len(calls) == 3


def test_what_was_checked_against_one_package_is_never_taken_for_another() -> None:
    """The form's rules and the record's station are checked ahead against the election the
    worker's trust held; if the trust in force at admission holds another package (a newer
    version arrived meanwhile), they are checked again against it."""
    a = SigningKey.generate()
    held, trust = base(cert(a))
    record = sheet(a, 1, None)
    verified = preverify([record], trust)
    assert verdict([record], held, trust, verified=verified) == [(ADMITTED, None)]
    assert trust.election is not None
    renamed = dataclasses.replace(trust.election, id="another-election")  # type: ignore[type-var]
    other = dataclasses.replace(trust, election=renamed)
    assert verdict([record], held, other, verified=verified) == [(REFUSED, "wrong_election")]


def test_admission_does_not_check_the_rules_again_when_the_package_is_the_same(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from recap_desktop.protocol import checks

    keys = [SigningKey.generate() for _ in range(3)]
    held, trust = base(*(cert(k) for k in keys))
    batch = [sheet(k, 1, None, station=f"32.01.01.2001.00{i + 1}") for i, k in enumerate(keys)]
    verified = preverify(batch, trust)
    calls: list[str] = []
    real = checks._check_values

    def counted(record: Record, election: Any, registered: int) -> list[Any]:
        calls.append(record.hash)
        return real(record, election, registered)

    monkeypatch.setattr(checks, "_check_values", counted)
    assert verdict(batch, held, trust, verified=verified) == [(ADMITTED, None)] * 3
    assert calls == []
    assert verdict(batch, held, trust) == [(ADMITTED, None)] * 3
    assert len(calls) == 3


def test_admission_does_not_check_a_record_s_form_again_when_checked_ahead(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``check_officer_record`` looks at the record alone: one that passed it ahead (in a
    server's worker) is not checked again under the writers' lock; one that failed it is
    checked again and refused as malformed, its signature verified or not."""
    from recap_desktop.protocol import checks

    keys = [SigningKey.generate() for _ in range(3)]
    held, trust = base(*(cert(k) for k in keys))
    batch = [sheet(k, 1, None, station=f"32.01.01.2001.00{i + 1}") for i, k in enumerate(keys)]
    broken = sheet(keys[0], 2, batch[0].hash, reason="no correction has none")
    verified = preverify([*batch, broken], trust)
    assert len(verified) == 4  # every signature holds; the broken one's form does not
    calls: list[str] = []
    real = checks.check_officer_record

    def counted(record: Record) -> None:
        calls.append(record.hash)
        real(record)

    monkeypatch.setattr(checks, "check_officer_record", counted)
    assert verdict([*batch, broken], held, trust, verified=verified) == [
        *[(ADMITTED, None)] * 3,
        (REFUSED, "malformed"),
    ]
    assert calls == [broken.hash]
    assert verdict(batch, held, trust) == [(ADMITTED, None)] * 3
    assert len(calls) == 4
