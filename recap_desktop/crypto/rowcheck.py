"""The per-record half of verifying a store, as ``services.verify`` runs it in worker
processes: parse each stored row and make every check that needs only the record itself.

It lives here, beside the checks, rather than in services or storage: a spawned worker
imports this module and what it needs (crypto and domain), not the store's and the keystore's
libraries, which made a worker's start-up cost more than a thousand records' checks.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from recap_desktop.crypto.envelope import from_row
from recap_desktop.crypto.verifier import AUTHORITY_TYPES, Problem, Trust, check_record

# What a worker sends back per row: (hash, error, type, signer, seq, prev, station, contest,
# refs, problems). ``error`` is set for a row that does not parse; the rest is then empty.
CheckedRow = tuple[
    str,
    str | None,
    str | None,
    str | None,
    int | None,
    str | None,
    Any,
    Any,
    tuple[tuple[str, str], ...],
    list[Problem],
]

_TRUST: Trust | None = None


def init_worker(trust: Trust) -> None:
    global _TRUST
    _TRUST = trust


def check_chunk(rows: Sequence[tuple[Any, ...]]) -> list[CheckedRow]:
    """In a worker: parse each row (``Store.records.raw_chunks``: id, then ``from_row``'s
    columns) and run every check that needs only the record itself."""
    trust = _TRUST
    assert trust is not None, "the worker was started without a Trust"
    out: list[CheckedRow] = []
    for row in rows:
        hash_, _signer, record, error = from_row(*row[1:])
        if record is None:
            out.append((hash_, error or "unreadable row", *_EMPTY))
            continue
        kind = record.type
        problems = check_record(record, trust) if kind not in AUTHORITY_TYPES else []
        refs: tuple[tuple[str, str], ...] = ()
        station = contest = None
        p = record.payload
        if kind in ("sheet", "review"):
            refs = tuple(
                (ref, p[ref]) for ref in ("supersedes", "sheet") if isinstance(p.get(ref), str)
            )
            station, contest = p.get("station"), p.get("contest")
        out.append(
            (
                record.hash,
                None,
                kind,
                record.signer,
                record.seq,
                record.prev,
                station,
                contest,
                refs,
                problems,
            )
        )
    return out


_EMPTY: tuple[None, None, None, None, None, None, tuple[()], list[Problem]] = (
    None,
    None,
    None,
    None,
    None,
    None,
    (),
    [],
)
