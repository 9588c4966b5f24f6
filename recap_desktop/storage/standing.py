"""Whether each held sheet and review may count, from what this laptop knows besides it.

The rule is the protocol's (``protocol.standing``); this module only gathers what it needs
from the tables: the signers' certificates, the revocation in force and where the server's log
put the revocation lists (proved or pulled) and the records (proved: ``server_log``), and the
forks proven
(``forks``). Restating a station asks about its few signers only, so a save reads a handful of
rows, whatever the size of the election.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlite_utils import Database

from recap_desktop.domain.election import ElectionError, parse_time
from recap_desktop.protocol.standing import standing
from recap_desktop.protocol.trust import Mandate, Revocation
from recap_desktop.storage.connection import chunks


@dataclass(frozen=True)
class Held:
    """One held officer record, as the standing rule needs it."""

    hash: str
    kind: str  # sheet | review
    signer: str
    seq: int
    station: str
    time: str  # the signer's claim
    received: str | None  # when this laptop stored it (None: the record row is gone)
    position: int | None  # its index in the server's log, if known
    logged: str | None  # when the server first held it, if known
    roles: tuple[str, ...] | None = None  # who may sign it, if not its type's roles


def standings(db: Database, rows: Sequence[Held]) -> dict[str, str | None]:
    """hash -> None if the record may count, else why not (a name of protocol.problems)."""
    signers = sorted({r.signer for r in rows})
    mandates: dict[str, list[Mandate]] = {}
    revoked: dict[str, Revocation] = {}
    forks: dict[str, int] = {}
    for chunk in chunks(signers):
        marks = ", ".join("?" for _ in chunk)
        for key_id, role, region, valid_from, valid_until in db.execute(
            "SELECT key_id, role, jurisdiction, valid_from, valid_until FROM certificates"
            f" WHERE key_id IN ({marks})",
            chunk,
        ):
            try:
                mandate = Mandate(
                    role, region, parse_time(valid_from, "from"), parse_time(valid_until, "to")
                )
            except ElectionError:
                continue  # a certificate that does not parse certifies nothing
            mandates.setdefault(key_id, []).append(mandate)
        for key_id, reason in db.execute(
            f"SELECT key_id, reason FROM revoked WHERE key_id IN ({marks})", chunk
        ):
            revoked[key_id] = Revocation(reason, revocation_position(db, key_id))
        for signer, seq in db.execute(
            f"SELECT signer, MIN(seq) FROM forks WHERE signer IN ({marks}) GROUP BY signer",
            chunk,
        ):
            forks[signer] = int(seq)
    tampered = tampered_kinds(db, [r.hash for r in rows])
    held_mandates = {k: tuple(v) for k, v in mandates.items()}
    out: dict[str, str | None] = {}
    for r in rows:
        if r.received is None:
            out[r.hash] = "missing_record"  # the projection names a record that is gone
            continue
        if r.hash in tampered:
            out[r.hash] = tampered[r.hash]  # its row was edited behind the program's back
            continue
        try:
            claimed = parse_time(r.time, "time")
        except ElectionError:
            out[r.hash] = "malformed"
            continue
        out[r.hash] = standing(
            r.kind,
            r.signer,
            r.seq,
            r.station,
            claimed,
            seen(r.received, r.logged),
            r.position,
            mandates=held_mandates,
            revoked=revoked,
            forks=forks,
            roles=r.roles,
        )
    return out


def tampered_kinds(db: Database, hashes: Sequence[str]) -> dict[str, str]:
    """hash -> what was found wrong with its held row (``malformed``, ``bad_signature``), for
    those of ``hashes`` a verification or a view found edited behind the program's back."""
    out: dict[str, str] = {}
    for chunk in chunks(list(dict.fromkeys(hashes))):
        marks = ", ".join("?" for _ in chunk)
        try:
            rows = db.execute(f"SELECT hash, kind FROM tampered WHERE hash IN ({marks})", chunk)
        except sqlite3.OperationalError:
            # An earlier migration (m006) restates every station before m009 adds the
            # table: nothing can have been found yet then.
            return {}
        out.update((str(h), str(k)) for h, k in rows)
    return out


def revocation_position(db: Database, key_id: str) -> int | None:
    """The lowest log index known of a held revocation list naming the key: proved, or only
    said by a pull (``log_pending``), since a place that may be wrong can only count against
    the key's records (PROTOCOL §5.4). A record's own place counts only proved
    (``server_log``)."""
    # Two indexed lookups per list (each table's primary key), not a union of both tables.
    lists = (
        " FROM records r LEFT JOIN server_log l ON l.hash = r.hash{pending},"
        " json_each(r.payload, '$.revoked') AS j"
        " WHERE r.type = 'revocations' AND json_valid(r.payload)"
        " AND json_extract(j.value, '$.key_id') = ?"
    )
    try:
        row = db.execute(
            "SELECT MIN(l.idx), MIN(p.idx)"
            + lists.format(pending=" LEFT JOIN log_pending p ON p.hash = r.hash"),
            [key_id],
        ).fetchone()
    except sqlite3.OperationalError as exc:
        if "log_pending" not in str(exc):
            raise
        # An earlier migration (m006) restates every station before m011 adds the table:
        # no pull can have left a place unproved then.
        row = db.execute("SELECT MIN(l.idx), NULL" + lists.format(pending=""), [key_id]).fetchone()
    known = [int(i) for i in row if i is not None] if row is not None else []
    return min(known, default=None)


def seen(received: str, logged: str | None) -> datetime:
    """The earliest time something other than the signer attests the record: this laptop's
    clock when it stored it, or the server's when its log took it."""
    own = datetime.fromisoformat(received).astimezone(UTC)
    if logged is None:
        return own
    try:
        return min(own, parse_time(logged, "received"))
    except ElectionError:
        return own


def signer_keys(db: Database, signers: Iterable[str]) -> list[tuple[str, str]]:
    """Every (station, contest) the signers hold a sheet or review of: what to restate when
    their standing changes (a certificate, a revocation, a fork, a log position)."""
    out: dict[tuple[str, str], None] = {}
    for chunk in chunks(sorted(set(signers))):
        marks = ", ".join("?" for _ in chunk)
        for station, contest in db.execute(
            f"SELECT station, contest FROM sheets WHERE signer IN ({marks})"
            f" UNION SELECT station, contest FROM reviews WHERE signer IN ({marks})",
            [*chunk, *chunk],
        ):
            out[(str(station), str(contest))] = None
    return list(out)
