"""The per-record half of verifying a store, as `recap verify` runs it in worker processes:
parse each stored row and make every check that needs only the record itself, the trust and
what the holder knows of its arrival.

It lives in ``protocol``, beside the checks: a spawned worker imports this module and what
it needs (crypto, domain, protocol), not the store's and the keystore's libraries, which made
a worker's start-up cost more than a thousand records' checks. What it returns is small
(``Summary``): the replay in the main process needs a record's place and references, not its
values.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, NamedTuple

from recap_desktop.crypto.envelope import CHAINED_TYPES, Record, from_row
from recap_desktop.domain.election import ElectionError, parse_time
from recap_desktop.protocol.checks import check_record
from recap_desktop.protocol.problems import Problem
from recap_desktop.protocol.trust import AUTHORITY_TYPES, Trust

# The payload members a replay reads (admit's place and reference checks).
_KEPT = (
    "time", "station", "contest", "supersedes", "sheet", "overrides", "type", "signer",
    # a recap record's own claims (its children's numbers are read from the store)
    "region", "place", "basis", "totals", "children", "pending", "objections", "final",
    "objection", "decision",
    # what the supervisor's list shows besides (services.review, made from the summaries)
    "reason", "warnings",
)  # fmt: skip


class Summary(NamedTuple):
    """A checked record as the replay needs it (``protocol.admit.Admissible``). A named tuple,
    not a frozen dataclass: a worker sends one per record, and unpickling a dataclass (its
    reconstructor, then one ``object.__setattr__`` per field) cost the verifying process ~7 us
    a record, a tuple ~1 us."""

    hash: str
    type: str
    signer: str
    seq: int | None
    prev: str | None
    payload: dict[str, Any]

    @classmethod
    def of(cls, record: Record) -> Summary:
        p = record.payload
        return cls(
            record.hash,
            record.type,
            record.signer,
            record.seq,
            record.prev,
            {k: p[k] for k in _KEPT if k in p},
        )


# Per stored row: the summary (the whole record for an authority record, which the replay
# adds to its trust; None if the row is not a record), the row's hash, why it is not a
# record, when it was seen and its log position, and the findings of check_record.
Checked = tuple[
    Summary | Record | None, str, str | None, datetime | None, int | None, list[Problem]
]

_TRUST: Trust | None = None


def init_worker(trust: Trust) -> None:
    global _TRUST
    _TRUST = trust


def check_chunk(rows: Sequence[tuple[Any, ...]]) -> list[Checked]:
    """In a worker: ``check_rows`` against the trust the worker was started with."""
    assert _TRUST is not None, "the worker was started without a Trust"
    return check_rows(rows, _TRUST)


def check_rows(rows: Sequence[tuple[Any, ...]], trust: Trust) -> list[Checked]:
    """Each row is (id, hash, signer, payload, sig, type, seq, received, log index, log
    received): a records row as bytes, when this holder stored it, and where the server's
    log put it (None, None if not known)."""
    out: list[Checked] = []
    for row in rows:
        hash_, signer, record, error = from_row(*row[1:7])
        if record is None:
            out.append((_placeholder(hash_, signer, row), hash_, error or "unreadable row",
                        first_seen(row[7], row[9]), None, []))  # fmt: skip
            continue
        seen = first_seen(row[7], row[9])
        position = None if row[8] is None else int(row[8])
        if record.type in AUTHORITY_TYPES:
            out.append((record, record.hash, None, seen, position, []))
            continue
        problems = check_record(record, trust, seen, position)
        out.append((Summary.of(record), record.hash, None, seen, position, problems))
    return out


def _placeholder(hash_: str, signer: str, row: tuple[Any, ...]) -> Summary | None:
    """A row that is not a record any more, where the store's own columns still tell whose
    chain and which place it was: it keeps that place in the replay, so that only it is
    reported (not the next record of its chain too)."""
    kind = row[5].decode("utf-8", "replace") if isinstance(row[5], bytes) else str(row[5])
    seq = row[6]
    if kind not in CHAINED_TYPES or not isinstance(seq, int) or seq < 1:
        return None
    return Summary(hash_, kind, signer, seq, None, {})


def first_seen(received: Any, logged: Any) -> datetime:
    """The holder's clock when it stored the record, or the server's when its log took it,
    whichever is earlier (PROTOCOL §5.4, seen)."""
    text = received.decode() if isinstance(received, bytes) else str(received)
    try:
        own = datetime.fromisoformat(text).astimezone(UTC)
    except ValueError:
        own = datetime.now(UTC)  # a damaged column: as if it arrived now (the strictest)
    if logged is None:
        return own
    try:
        return min(own, parse_time(str(logged), "received"))
    except ElectionError:
        return own
