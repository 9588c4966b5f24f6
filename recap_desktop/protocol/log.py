"""The server's transparency log (docs/PROTOCOL.md §10): what a leaf says, which partition a
record belongs to, the signed tree head, and the checks a holder runs on what a server shows.

Pure: no I/O. The server appends every record it stores to one RFC 9162 Merkle tree (the
log) and to the tree of the record's partition (its district; a certificate's, the district
of its jurisdiction; "" for the package and revocation lists); a signed tree head commits to
both, the partitions through a third tree of their sizes and roots. A laptop checks that
the log only grows (consistency proofs between heads), that what a receipt says was stored is
in it (the receipt's new leaves extend the tree to the head's root; held records by
inclusion proofs), and that a pull gave it every record of its partitions (the partitions'
roots, proved in the head, rebuilt from what it received). What fails is evidence of the
server's misbehaviour, signed by the server itself.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from recap_desktop.crypto.canonical import canonical_bytes
from recap_desktop.crypto.envelope import EnvelopeError, Record, from_json, sign
from recap_desktop.crypto.keys import SigningKey
from recap_desktop.domain.election import ElectionError, format_time, is_region_code, parse_time
from recap_desktop.protocol import merkle
from recap_desktop.protocol.records import place_of
from recap_desktop.protocol.trust import AUTHORITY_TYPES, Trust
from recap_desktop.protocol.wire import Receipt

HEAD_TYPE = "tree_head"
HEAD_FIELDS = frozenset(
    {"type", "election", "server", "size", "root", "partitions", "partition_count", "time"}
)
PARTITION_DEPTH = 3  # province.regency.district: a sub-district team's records
AUTHORITY_PARTITION = ""

# What a holder concludes about a server, by name (PROTOCOL §10.6). Each is kept as evidence
# with the signed heads and answers that show it.
EVIDENCE_KINDS = {
    "uncertified_server": "the server's key has no valid certificate from the authority",
    "bad_head": "a tree head that does not verify or does not parse",
    "forked": "two signed heads of the same size with different roots",
    "inconsistent": "a signed head that does not extend an earlier one",
    "rolled_back": "the server's log is now shorter than a head it signed",
    "bad_receipt": "a receipt whose records are not in the head it names",
    "withheld": "a pull left out records the signed head says a partition holds",
    "misplaced": "a log entry whose partition or index is not what the log says",
    "unknown_signer_logged": (
        "a record logged with no certificate of its signer before it where one must be"
    ),
}
# What a holder concludes that is not evidence: the answer is retried, nothing is kept.
# "stale": a head smaller than one held, signed no later (a server behind, or a reply that
# crossed a newer one): the server is asked which heads it signed at the held size (§10.3).
# "bad_answer": a proof that does not parse, which its server's signature does not cover.
NOT_EVIDENCE = frozenset({"stale", "bad_answer"})
MAX_COUNT = 2**63 - 1  # sizes, indices and counts: what a signed 64-bit integer holds

_HEX64 = re.compile(r"^[0-9a-f]{64}\Z")
_PLAIN = re.compile(r"^[0-9.]*\Z")  # a partition: a region code cut to PARTITION_DEPTH, or ""
_TIME = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z\Z")


class LogError(ValueError):
    """What the server showed does not hold; ``kind`` names it (``EVIDENCE_KINDS``)."""

    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(detail)
        self.kind = kind


# -- partitions -----------------------------------------------------------------------------


def partition_of_code(code: str) -> str:
    """A station's or region's partition: its code cut to its first three groups."""
    return ".".join(code.split(".")[:PARTITION_DEPTH])


def partition_of(record: Record) -> str:
    """The partition a record is logged in: the district of the station or region it acts on
    (a sheet's or review's station, a D.Hasil's region, an objection's or ruling's place, cut
    to three groups); a certificate's, that of its jurisdiction, so that a laptop receives
    the certificates of its path and of what lies inside it, not the nation's (§10.2);
    "" for the package and revocation lists, which every holder needs, and a server's
    certificate (its jurisdiction is the whole election)."""
    if record.type == "certificate":
        place = record.payload.get("jurisdiction")
    elif record.type in AUTHORITY_TYPES:
        place = None
    else:
        place = place_of(record.type, record.payload)
    return partition_of_code(place) if isinstance(place, str) and is_region_code(place) else ""


def needed_ranges(jurisdiction: str) -> list[tuple[str, str]]:
    """The partitions a holder of ``jurisdiction`` receives and checks, as half-open ranges
    of names in sorted order: "", each partition the jurisdiction lies in, and (for a
    jurisdiction above a district) every partition inside it. Names are digits and dots, so
    [p, p + "\\x00") holds p alone and [j + ".", j + "/") every name inside j."""
    parts = jurisdiction.split(".")
    ranges = [(AUTHORITY_PARTITION, AUTHORITY_PARTITION + "\x00")]
    for depth in range(1, min(len(parts), PARTITION_DEPTH) + 1):
        name = ".".join(parts[:depth])
        ranges.append((name, name + "\x00"))
    if len(parts) < PARTITION_DEPTH:
        ranges.append((jurisdiction + ".", jurisdiction + "/"))
    return sorted(ranges)


def in_ranges(partition: str, ranges: Sequence[tuple[str, str]]) -> bool:
    return any(lo <= partition < hi for lo, hi in ranges)


def vouching_partitions(partition: str) -> list[str]:
    """The partitions that hold every certificate that may let a key sign a record logged in
    ``partition``: the certificate's jurisdiction contains the record's place (§5.4), so it
    is a prefix of the place by groups and its partition (§10.2) is "" or the record's
    partition cut to one, two or three groups. An honest server logs one of them below the
    record (it admits no record before its signer's certificate, §9.5)."""
    parts = partition.split(".") if partition else []
    return [AUTHORITY_PARTITION, *(".".join(parts[:d]) for d in range(1, len(parts) + 1))]


@dataclass(frozen=True)
class Unvouched:
    """A pulled record refused ``unknown_signer``, where the server's log put it: it waits
    until the partitions that must hold its signer's certificate (``vouching_partitions``)
    are proved complete past ``index``; then, with no certificate of the signer among them
    below it, the server logged a record it had to refuse (§10.6,
    ``unknown_signer_logged``)."""

    hash: str
    index: int
    received: str
    partition: str  # the holder's own computation (§10.2), never the server's word
    server: str  # the key whose log it was pulled from
    record: Record


def partition_inclusion(
    name: str, entries: Sequence[tuple[str, int, str]], index: int
) -> tuple[int, int, bytes, list[bytes]]:
    """The inclusion proof of the entry at log ``index`` in partition ``name``'s tree of
    ``entries`` ((hash, index, received), all of the partition below some size, in index
    order): (its position in the partition, the partition's size, root, proof). A holder
    that rebuilt the partition has every entry, so it makes the proof itself; anyone checks
    it against the root the partitions tree proves in the head. Raises KeyError if no entry
    is at ``index``. (merkle.InMemoryNodes: a district's few thousand leaves.)"""
    at = [p for p, (_, i, _) in enumerate(entries) if i == index]
    if not at:
        raise KeyError(index)
    position = at[0]
    nodes = merkle.InMemoryNodes()
    nodes.append([leaf_hash(h, i, name, t) for h, i, t in entries])
    size = len(entries)
    return (
        position,
        size,
        merkle.tree_root(nodes, size),
        merkle.inclusion_proof(nodes, position, size),
    )


# -- leaves ---------------------------------------------------------------------------------


def leaf_bytes(record_hash: str, index: int, partition: str, received: str) -> bytes:
    """A log entry as its leaf: canonical JSON of exactly hash, index, partition, received.
    Written by hand (its members are plain ASCII, checked here), the same bytes as
    ``canonical_bytes`` at a tenth of the cost: a server hashes one per record it stores."""
    if not _HEX64.match(record_hash):
        raise ValueError("a leaf names a record by its 64-digit hash")
    if not _count(index):
        raise ValueError("a leaf's index is a count from 0")
    if not _PLAIN.match(partition):
        raise ValueError(f"{partition!r} is not a partition")
    if not _TIME.match(received):
        raise ValueError("a leaf's received time is like 2026-02-14T10:00:00Z")
    return (
        f'{{"hash":"{record_hash}","index":{index},"partition":"{partition}",'
        f'"received":"{received}"}}'
    ).encode()


def leaf_hash(record_hash: str, index: int, partition: str, received: str) -> bytes:
    return hashlib.sha256(b"\x00" + leaf_bytes(record_hash, index, partition, received)).digest()


def summary_leaf_hash(partition: str, size: int, root: bytes) -> bytes:
    """A partition as a leaf of the partitions tree: {partition, root, size}."""
    return merkle.leaf_hash(
        canonical_bytes({"partition": partition, "root": root.hex(), "size": size})
    )


def summary_root(partitions: Iterable[tuple[str, int, bytes]]) -> bytes:
    """The partitions tree's root over (name, size, root), in name order."""
    return merkle.root(summary_leaf_hash(*p) for p in sorted(partitions))


# -- tree heads -----------------------------------------------------------------------------


@dataclass(frozen=True)
class TreeHead:
    record: Record
    election: str
    server: str
    size: int
    root: bytes
    partitions: bytes
    partition_count: int
    time: datetime

    @property
    def hash(self) -> str:
        return self.record.hash

    def to_json(self) -> dict[str, Any]:
        return self.record.to_json()


def sign_head(
    key: SigningKey,
    election: str,
    size: int,
    root: bytes,
    partitions: bytes,
    partition_count: int,
    time: datetime,
) -> Record:
    return sign(
        key,
        {
            "type": HEAD_TYPE,
            "election": election,
            "server": key.key_id,
            "size": size,
            "root": root.hex(),
            "partitions": partitions.hex(),
            "partition_count": partition_count,
            "time": format_time(time),
        },
    )


def parse_head(raw: Any, trust: Trust) -> TreeHead:
    """A tree head as received: exact members, signed by a key the authority certified as a
    server of this election at the head's time, and not revoked."""
    try:
        record = raw if isinstance(raw, Record) else from_json(raw)
    except EnvelopeError as exc:
        raise LogError("bad_head", f"the tree head is malformed: {exc}") from exc
    p = record.payload
    if record.type != HEAD_TYPE or set(p) != HEAD_FIELDS:
        raise LogError("bad_head", f"a tree head holds exactly {', '.join(sorted(HEAD_FIELDS))}")
    try:
        time = parse_time(p["time"], "time")
        size, count = p["size"], p["partition_count"]
        if not (_count(size) and _count(count)):
            raise ValueError("size and partition_count are counts")
        root, partitions = _hash(p["root"]), _hash(p["partitions"])
    except (ElectionError, ValueError) as exc:
        raise LogError("bad_head", f"the tree head is malformed: {exc}") from exc
    election = trust.election.id if trust.election is not None else None
    if p["election"] != election:
        raise LogError("bad_head", f"a tree head of another election ({p['election']!r})")
    if p["server"] != record.signer:
        raise LogError("bad_head", "the tree head names another server than its signer")
    certificate = trust.server_certificate(record.signer, time)
    if certificate is None:
        raise LogError(
            "uncertified_server",
            f"the server key {record.signer[:16]}… has no certificate from the authority"
            f" in force at {p['time']}",
        )
    if not record.verify_signature(certificate.public_key):
        raise LogError("bad_head", "the tree head's signature does not verify")
    return TreeHead(record, p["election"], record.signer, size, root, partitions, count, time)


def _count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_COUNT


def same_log(a: TreeHead, b: TreeHead) -> bool:
    """Two heads describe one log: the same size, root, partitions root and count."""
    return (a.size, a.root, a.partitions, a.partition_count) == (
        b.size,
        b.root,
        b.partitions,
        b.partition_count,
    )


def _hash(value: Any) -> bytes:
    if not isinstance(value, str) or not _HEX64.match(value):
        raise ValueError("a hash is 64 lowercase hex digits")
    return bytes.fromhex(value)


def hashes(raw: Any, what: str, kind: str = "bad_receipt") -> list[bytes]:
    """A proof as sent: a list of hex SHA-256 hashes; else LogError of ``kind``."""
    if not isinstance(raw, list):
        raise LogError(kind, f"{what} is not a list of hashes")
    try:
        return [_hash(x) for x in raw]
    except ValueError as exc:
        raise LogError(kind, f"{what}: {exc}") from exc


# -- what a holder checks -------------------------------------------------------------------


def check_extends(old: TreeHead, new: TreeHead, proof: Sequence[bytes]) -> None:
    """The log of ``new`` holds the log of ``old`` unchanged (RFC 9162 consistency). A
    smaller head signed no later than ``old`` is ``stale`` (not evidence by itself: the
    holder asks the server which heads it signed at ``old``'s size); signed later, the
    server went back on ``old``: ``rolled_back``."""
    if new.size < old.size:
        if new.time <= old.time:
            raise LogError(
                "stale",
                f"a head of {new.size} entries signed at {format_time(new.time)}, older than"
                f" the head of {old.size} held",
            )
        raise LogError(
            "rolled_back",
            f"the log has {new.size} entries now, but the server signed a head of {old.size}",
        )
    if new.size == old.size:
        if not same_log(old, new):
            raise LogError("forked", f"two different logs of {old.size} entries")
        return
    if old.size == 0:
        return  # every log extends the empty one
    try:
        merkle.verify_consistency(old.size, new.size, old.root, new.root, proof)
    except merkle.ProofError as exc:
        raise LogError(
            "inconsistent",
            f"the log of {new.size} entries does not extend that of {old.size}: {exc}",
        ) from exc


def check_append(
    head: TreeHead, size_before: int, pieces: Sequence[bytes], leaves: Sequence[bytes]
) -> None:
    """``leaves`` are the log's entries from ``size_before`` up to the head's size, in order:
    appended to the tree of ``size_before`` (described by its frontier ``pieces``) they give
    the head's root."""
    if size_before + len(leaves) != head.size:
        raise LogError(
            "bad_receipt",
            f"{len(leaves)} records stored after {size_before} entries do not make the head's"
            f" {head.size}",
        )
    try:
        root = merkle.frontier_root(merkle.extend(size_before, pieces, leaves))
    except merkle.ProofError as exc:
        raise LogError("bad_receipt", f"the records stored are not in the log: {exc}") from exc
    if root != head.root:
        raise LogError("bad_receipt", "the records stored are not in the log the head signs")


def check_included(head: TreeHead, leaf: bytes, index: int, proof: Sequence[bytes]) -> None:
    try:
        merkle.verify_inclusion(leaf, index, head.size, proof, head.root)
    except merkle.ProofError as exc:
        raise LogError("bad_receipt", f"entry {index} is not in the log: {exc}") from exc


def check_receipt(
    receipt: Receipt,
    head: TreeHead,
    known: TreeHead | None,
    proofs: Any,
    partitions: Mapping[str, str],
    *,
    trust: Trust,
) -> None:
    """A push's answer (§10.4), in this order: the receipt rests on ``head`` (its ``head``
    member, the same signer); its ``time`` lies within a server certificate of its key;
    ``proofs`` has its members; the head extends ``known`` (the newest the pusher held when
    it sent, by the answer's consistency proof); every record sent is listed exactly once as
    stored, held or refused, and nothing else is; the records stored are the log's entries
    from the append proof's size on, in the receipt's order; each held one is in the head's
    tree by its inclusion proof (``held`` holds exactly one proof per record listed held). A
    refusal by batch item (``{item, reason}``, an item the server could not parse) lists the
    record sent at that place; an item beyond the batch is ``bad_receipt``. ``partitions``:
    the partition of each record sent, in the batch's order, which the pusher computes from
    its own records. Raises LogError."""
    if head.hash != receipt.head or head.server != receipt.record.signer:
        raise LogError("bad_receipt", "the receipt names another tree head than it came with")
    try:
        signed_at = parse_time(receipt.record.payload.get("time"), "time")
    except ElectionError as exc:
        raise LogError("bad_receipt", f"the receipt's time: {exc}") from exc
    if trust.server_certificate(receipt.record.signer, signed_at) is None:
        raise LogError(
            "uncertified_server",
            f"the receipt was signed at {format_time(signed_at)}, when the server key"
            f" {receipt.record.signer[:16]}… had no certificate in force",
        )
    if not isinstance(proofs, dict) or set(proofs) != {"append", "held", "consistency"}:
        raise LogError("bad_receipt", "the proofs hold exactly append, held and consistency")
    if known is not None:
        needs = 0 < known.size < head.size
        steps = (
            hashes(proofs["consistency"], "the consistency proof", "bad_answer") if needs else []
        )
        check_extends(known, head, steps)
    order = list(partitions)  # the batch, as sent
    listed = [*receipt.stored, *receipt.held]
    for hash_, item, _reason in receipt.refused:
        if hash_ is None:  # an item the server could not parse, by its place in the batch
            if item is None or item >= len(order):
                raise LogError("bad_receipt", f"the receipt refuses item {item}, not sent")
            hash_ = order[item]
        listed.append(hash_)
    counts: dict[str, int] = {}
    for hash_ in listed:
        if hash_ not in partitions:
            raise LogError("bad_receipt", f"the receipt lists {hash_[:16]}…, which was not sent")
        counts[hash_] = counts.get(hash_, 0) + 1
    for hash_ in partitions:
        if counts.get(hash_, 0) != 1:
            said = "twice" if counts.get(hash_, 0) > 1 else "not at all"
            raise LogError("bad_receipt", f"the receipt lists {hash_[:16]}… {said}")
    leaves = [
        leaf_hash(hash_, index, partitions[hash_], format_time(received))
        for hash_, (index, received) in receipt.stored.items()
    ]
    append = proofs["append"]
    if not isinstance(append, dict) or set(append) != {"size", "frontier"}:
        raise LogError("bad_receipt", "the append proof holds exactly size and frontier")
    first = append["size"]
    if not _count(first):
        raise LogError("bad_receipt", "the append proof's size is a count")
    indices = [i for i, _ in receipt.stored.values()]
    if indices != list(range(first, first + len(indices))):
        raise LogError("bad_receipt", "the records stored are not the log's newest entries")
    check_append(head, first, hashes(append["frontier"], "the frontier"), leaves)
    held = proofs["held"]
    if not isinstance(held, dict) or set(held) != set(receipt.held):
        raise LogError("bad_receipt", "held proofs are one proof under each held record's hash")
    for hash_, (index, received) in receipt.held.items():
        leaf = leaf_hash(hash_, index, partitions[hash_], format_time(received))
        check_included(head, leaf, index, hashes(held.get(hash_), "an inclusion proof"))


def check_partition(
    name: str,
    proved: PartitionState,
    size: int,
    pieces: Sequence[bytes],
    entries: Sequence[tuple[str, int, str]],
    head_size: int,
) -> tuple[int, list[bytes]]:
    """A partition rebuilt (§10.5): from its tree of ``size`` leaves (``pieces``, its
    frontier; 0 and none from the start), the entries learnt of it after that, in index
    order ((hash, index, received)), must give the size and root the head proves. Returns the
    new size and frontier. Raises LogError (withheld)."""
    leaves = [leaf_hash(h, i, name, t) for h, i, t in entries]
    grown, frontier, root = partition_frontier(size, pieces, leaves)
    if grown != proved.size or root != proved.root:
        raise LogError(
            "withheld",
            f"the head of {head_size} entries says partition {name or '(authority)'} holds"
            f" {proved.size} records; this holder was shown {grown}",
        )
    return grown, frontier


@dataclass(frozen=True)
class PartitionState:
    size: int
    root: bytes


def check_ranges(
    head: TreeHead, ranges: Sequence[tuple[str, str]], answer: Any
) -> dict[str, PartitionState]:
    """The partitions a server proves for ``ranges``: for each range, the consecutive leaves
    of the partitions tree inside it and, where they exist, the neighbours on either side
    that show nothing else lies in it, each with its inclusion proof in the head's
    partitions root. Returns every partition inside the ranges (absent ones hold nothing).
    Whatever of these proofs does not hold is ``withheld`` (§10.6), retried once (§10.5)."""
    if not isinstance(answer, list) or len(answer) != len(ranges):
        raise LogError("withheld", "the server did not prove one list of partitions per range")
    found: dict[str, PartitionState] = {}
    for (lo, hi), leaves in zip(ranges, answer, strict=True):
        found.update(_check_range(head, lo, hi, leaves))
    return found


_PROOF_MEMBERS = frozenset({"partition", "position", "proof", "root", "size"})


def _check_range(head: TreeHead, lo: str, hi: str, leaves: Any) -> dict[str, PartitionState]:
    if not isinstance(leaves, list):
        raise LogError("withheld", "a range's partitions are a list")
    parsed = []
    for item in leaves:
        if not isinstance(item, dict) or set(item) != _PROOF_MEMBERS:
            raise LogError(
                "withheld", f"a partition proof holds {', '.join(sorted(_PROOF_MEMBERS))}"
            )
        name, position, size = item["partition"], item["position"], item["size"]
        if not (isinstance(name, str) and _PLAIN.match(name) and _count(position) and _count(size)):
            raise LogError("withheld", "a partition proof names a partition, its place and size")
        try:
            root = _hash(item["root"])
        except ValueError as exc:
            raise LogError("withheld", f"partition {name!r}: {exc}") from exc
        proof = hashes(item["proof"], f"the proof of partition {name!r}", "withheld")
        try:
            merkle.verify_inclusion(
                summary_leaf_hash(name, size, root),
                position,
                head.partition_count,
                proof,
                head.partitions,
            )
        except merkle.ProofError as exc:
            raise LogError("withheld", f"partition {name!r} is not in the head: {exc}") from exc
        parsed.append((position, name, PartitionState(size, root)))
    if parsed:
        positions = [x[0] for x in parsed]
        if positions != list(range(positions[0], positions[0] + len(parsed))):
            raise LogError("withheld", "a range's partitions are not consecutive in the tree")
        names = [x[1] for x in parsed]
        if names != sorted(set(names)):
            raise LogError("withheld", "the partitions tree is not in name order")
    first_inside = not parsed or lo <= parsed[0][1]
    last_inside = not parsed or parsed[-1][1] < hi
    # The left edge: the first leaf shown is the tree's first, or lies before the range.
    if parsed and first_inside and parsed[0][0] != 0:
        raise LogError("withheld", f"nothing shows that no partition precedes {lo!r}")
    if parsed and last_inside and parsed[-1][0] != head.partition_count - 1:
        raise LogError("withheld", f"nothing shows that no partition follows {hi!r}")
    if not parsed and head.partition_count:
        raise LogError("withheld", "a range was answered with no partition at all")
    return {name: state for _, name, state in parsed if lo <= name < hi}


def partition_frontier(
    size: int, pieces: Sequence[bytes], leaves: Sequence[bytes]
) -> tuple[int, list[bytes], bytes]:
    """A partition's tree after ``leaves``: (size, frontier, root)."""
    grown = merkle.extend(size, pieces, leaves)
    return size + len(leaves), grown, merkle.frontier_root(grown)
