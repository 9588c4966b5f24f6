"""The documents that travel between holders (docs/PROTOCOL.md §9): batches and bundles, pull
pages, receipts and fork evidence, each parsed as untrusted input into typed values.

Parsing checks shape and signatures; whether a record may enter is ``admit``'s question.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from recap_desktop.crypto.canonical import canonical_bytes
from recap_desktop.crypto.envelope import CHAINED_TYPES, EnvelopeError, Record, from_json
from recap_desktop.crypto.keys import key_id
from recap_desktop.domain.election import ElectionError, parse_time
from recap_desktop.protocol.admit import Fork
from recap_desktop.protocol.checks import Verified
from recap_desktop.protocol.trust import Trust

BATCH_FORMAT = "recap-batch/1"
PACKAGE_FORMAT = "recap-election-package/1"

# A push batch: what one request may carry (the server answers 413 beyond it).
MAX_BATCH_RECORDS = 5000
# A bundle file (a whole laptop's records, carried by USB): bounded like a push, at the size
# of a regency's count with its national package (a province is ~100,000 sheets).
MAX_BUNDLE_BYTES = 256 * 1024 * 1024
MAX_BUNDLE_RECORDS = 250_000
MAX_BUNDLE_FORKS = 10_000
# The longest Retry-After (seconds) a server gives and a laptop honours (PROTOCOL §9.9).
MAX_RETRY_AFTER = 600

_HEX64 = re.compile(r"^[0-9a-f]{64}\Z")


class WireError(ValueError):
    """A document that is not what the protocol says it is."""


def batch_bytes(
    records: Sequence[Mapping[str, Any]],
    forks: Sequence[Fork] = (),
    heads: Sequence[Mapping[str, Any]] = (),
) -> bytes:
    """A push body and a bundle file: canonical JSON, so the same records give the same bytes.
    A bundle also carries the fork evidence its holder keeps, and the server's tree heads it
    verified (gossip, PROTOCOL §10.7)."""
    doc: dict[str, Any] = {"format": BATCH_FORMAT, "records": list(records)}
    if forks:
        doc["forks"] = [f.to_json() for f in forks]
    if heads:
        doc["heads"] = list(heads)
    return canonical_bytes(doc)


MAX_HEADS = 16  # tree heads a batch may carry


@dataclass(frozen=True)
class Batch:
    items: list[Any]  # the records as sent (each still to be parsed, one by one)
    forks: list[Any]  # fork evidence as sent (pairs of envelopes)
    heads: list[Any]  # the server's tree heads the sender verified, as sent


def parse_batch(doc: Any, *, max_records: int, max_forks: int = MAX_BUNDLE_FORKS) -> Batch:
    """A batch or bundle document, already parsed from JSON."""
    if not isinstance(doc, dict) or doc.get("format") != BATCH_FORMAT:
        raise WireError(f"the format is not {BATCH_FORMAT}")
    if set(doc) - {"format", "records", "forks", "heads"}:
        raise WireError("a batch holds only format, records, forks and heads")
    items, forks, heads = doc.get("records"), doc.get("forks", []), doc.get("heads", [])
    if not (isinstance(items, list) and isinstance(forks, list) and isinstance(heads, list)):
        raise WireError("records, forks and heads must be lists")
    if len(items) > max_records:
        raise WireError(f"at most {max_records} records, not {len(items)}")
    if len(forks) > max_forks:
        raise WireError(f"at most {max_forks} forks, not {len(forks)}")
    if len(heads) > MAX_HEADS:
        raise WireError(f"at most {MAX_HEADS} tree heads, not {len(heads)}")
    return Batch(items, forks, heads)


def check_fork(pair: Any, trust: Trust, verified: Verified | None = None) -> Fork:
    """Fork evidence as received: two records the same key signed at one place of its chain,
    both signatures valid under a key the trust knows. Raises WireError otherwise.
    ``verified``: signatures verified ahead (a server's worker, before the writers' lock)."""
    if not isinstance(pair, list) or len(pair) != 2:
        raise WireError("fork evidence is a pair of records")
    try:
        first, second = from_json(pair[0]), from_json(pair[1])
    except EnvelopeError as exc:
        raise WireError(f"fork evidence: {exc}") from exc
    if first.type not in CHAINED_TYPES or second.type not in CHAINED_TYPES:
        raise WireError("fork evidence holds records of a chain")
    if first.signer != second.signer or first.seq != second.seq or first.hash == second.hash:
        raise WireError("fork evidence is two different records of one signer at one place")
    public_key = trust.public_key(first.signer)
    if public_key is None:
        raise WireError(f"fork evidence of an unknown key {first.signer[:16]}…")
    verify = Verified() if verified is None else verified
    if not (verify.verify(first, public_key) and verify.verify(second, public_key)):
        raise WireError("fork evidence whose signatures do not verify")
    if first.hash > second.hash:  # one pair, one order, whoever held which first
        first, second = second, first
    assert first.seq is not None
    return Fork(first.signer, first.seq, first, second)


@dataclass(frozen=True)
class Entry:
    """A record of the server's log as a pull page gives it. A record that does not parse is
    kept as its error (and the hash it claims, if it looks like one): the page goes on, and
    the door refuses that record alone, as a push refuses one malformed item."""

    index: int
    received: datetime
    record: Record | None
    error: str | None = None
    claimed: str | None = None
    package: str | None = None  # an election package named by hash, sent apart (§9.5)
    authority: str | None = None  # a certificate or revocation list named by hash (§9.5)

    @property
    def name(self) -> str | None:
        """The hash this entry names: its record's, the one it names its body by, or the one
        a malformed record claims (None if it claims none)."""
        if self.record is not None:
            return self.record.hash
        return self.package or self.authority or self.claimed


@dataclass(frozen=True)
class Page:
    entries: list[Entry]
    next: int
    more: bool
    head: Any  # the signed tree head bounding the page, as sent (``protocol.log.parse_head``)
    partitions: Any  # on the last page, the proofs of the holder's partitions, as sent


_PAGE = frozenset({"entries", "next", "more", "head", "partitions"})
_ENTRY = (
    frozenset({"index", "received", "record"}),
    frozenset({"index", "received", "package"}),
    frozenset({"index", "received", "authority"}),
)


def parse_page(answer: Any, since: int) -> Page:
    """A pull page: entries in log order from index ``since``, a cursor that moves forward,
    and the tree head they lie under (PROTOCOL §9.5, §10.5)."""
    if not isinstance(answer, dict) or set(answer) != _PAGE:
        raise WireError(f"a page holds exactly {', '.join(sorted(_PAGE))}")
    raw, nxt, more = answer["entries"], answer["next"], answer["more"]
    if not isinstance(raw, list) or not _int(nxt) or not isinstance(more, bool):
        raise WireError("entries is a list, next an integer, more true or false")
    entries: list[Entry] = []
    floor = since  # the lowest index the next entry may have
    for item in raw:
        if not isinstance(item, dict) or set(item) not in _ENTRY:
            raise WireError(
                "an entry holds exactly index, received and record (or package, or authority)"
            )
        index = item["index"]
        if not _int(index) or index < floor:
            raise WireError("entries must come in log order, from the cursor")
        try:
            received = parse_time(item["received"], "received")
        except ElectionError as exc:
            raise WireError(str(exc)) from exc
        for key in ("package", "authority"):
            if key not in item:
                continue
            # An authority record's body is fetched by hash apart, only by a laptop that
            # lacks it (§9.5); its leaf needs the hash only.
            named = item[key]
            if not isinstance(named, str) or not _HEX64.match(named):
                raise WireError(f"an entry's {key} is 64 lowercase hex digits")
            if key == "package":
                entries.append(Entry(index, received, None, package=named))
            else:
                entries.append(Entry(index, received, None, authority=named))
        if "record" not in item:
            floor = index + 1
            continue
        try:
            entries.append(Entry(index, received, from_json(item["record"])))
        except EnvelopeError as exc:
            raw = item["record"]
            claimed = raw.get("hash") if isinstance(raw, dict) else None
            name = claimed if isinstance(claimed, str) and _HEX64.match(claimed) else None
            entries.append(Entry(index, received, None, str(exc)[:200], name))
        floor = index + 1
    if nxt < floor:
        raise WireError("the pull cursor went backwards")
    if more and (not entries or nxt != floor):
        # A page before the last ends right after its last entry (§9.5): a cursor that
        # skips ahead would pass over entries without a word until §10.5's checks.
        raise WireError("a page with more to come ends right after its last entry")
    return Page(entries, nxt, more, answer["head"], answer["partitions"])


@dataclass(frozen=True)
class PushResult:
    """The server's word on one item of a push (§9.4): ``hash`` is ``""`` for an item it
    could not parse; ``status`` stored, held, refused (or unknown, asked by hash, §9.9)."""

    hash: str
    status: str
    reason: str | None
    detail: str | None


@dataclass(frozen=True)
class PushAnswer:
    """A push's answer (§9.4, §10.4), its results checked; the receipt (``parse_receipt``),
    the head (``log.parse_head``) and the proofs (``log.check_receipt``) are as sent, each
    checked where it is verified."""

    results: list[PushResult]
    receipt: Any
    head: Any
    proofs: Any


_RESULT = frozenset({"hash", "status", "reason", "detail"})
_STATUSES = frozenset({"stored", "held", "refused", "unknown"})


def parse_push_answer(answer: Any) -> PushAnswer:
    """The answer to a push or to a question by hash: an object whose ``results`` list, in
    the order sent, holds exactly hash, status, reason and detail for each item."""
    if not isinstance(answer, dict):
        raise WireError("a push answer is an object")
    raw = answer.get("results")
    if not isinstance(raw, list):
        raise WireError("a push answer's results are a list")
    results = []
    for x in raw:
        if not isinstance(x, dict) or set(x) != _RESULT:
            raise WireError("a push result holds exactly hash, status, reason and detail")
        hash_, status, reason, detail = x["hash"], x["status"], x["reason"], x["detail"]
        if not isinstance(hash_, str) or not isinstance(status, str) or status not in _STATUSES:
            raise WireError("a push result names a hash and a status")
        if not (reason is None or isinstance(reason, str)):
            raise WireError("a push result's reason is a problem name or null")
        if not (detail is None or isinstance(detail, str)):
            raise WireError("a push result's detail is a sentence or null")
        results.append(PushResult(hash_, status, reason, detail))
    return PushAnswer(results, answer.get("receipt"), answer.get("head"), answer.get("proofs"))


@dataclass(frozen=True)
class Receipt:
    """A verified receipt: what the server says it holds, at which log index, since when."""

    record: Record
    stored: dict[str, tuple[int, datetime]]  # in the order of the log (and the batch)
    held: dict[str, tuple[int, datetime]]
    refused: list[tuple[str | None, int | None, str]]  # hash or batch item, reason
    head: str  # the hash of the tree head whose log holds what it lists

    @property
    def holds(self) -> dict[str, tuple[int, datetime]]:
        return {**self.held, **self.stored}


def parse_receipt(raw: Any, server_key: bytes) -> Receipt:
    """A push answer's receipt, signed by the server's key, in the form of PROTOCOL §9.4."""
    try:
        record = from_json(raw)
    except EnvelopeError as exc:
        raise WireError(f"the receipt is malformed: {exc}") from exc
    if (
        record.type != "receipt"
        or record.signer != key_id(server_key)
        or not record.verify_signature(server_key)
    ):
        raise WireError("the receipt is not signed by the server's key")
    p = record.payload
    if set(p) != _RECEIPT:
        raise WireError(f"a receipt holds exactly {', '.join(sorted(_RECEIPT))}")
    if not (isinstance(p["head"], str) and _HEX64.match(p["head"])):
        raise WireError("a receipt names the tree head it rests on")
    try:
        stored = _entries(p["stored"])
        held = _entries(p["held"])
        if stored.keys() & held.keys():
            raise WireError("a receipt lists a record as both stored and held")
        refused: list[tuple[str | None, int | None, str]] = []
        for x in p["refused"]:
            if not isinstance(x, dict) or not isinstance(x.get("reason"), str):
                raise WireError("a refusal names its reason")
            name, item = x.get("hash"), x.get("item")
            refused.append(
                (name if isinstance(name, str) else None, item if _int(item) else None, x["reason"])
            )
    except (KeyError, TypeError, ElectionError) as exc:
        raise WireError(f"the receipt does not list stored, held and refused: {exc}") from exc
    return Receipt(record, stored, held, refused, p["head"])


_RECEIPT = frozenset({"type", "server", "time", "election", "head", "stored", "held", "refused"})


def receipt_hashes(payload: Mapping[str, Any]) -> list[str]:
    """Every hash a kept receipt says the server stored or held (older receipts listed bare
    hashes; today's list entries with their index)."""
    out = []
    for name in ("stored", "held"):
        for x in payload.get(name, []) or []:
            value = x.get("hash") if isinstance(x, dict) else x
            if isinstance(value, str) and _HEX64.match(value):
                out.append(value)
    return out


def _entries(raw: Any) -> dict[str, tuple[int, datetime]]:
    if not isinstance(raw, list):
        raise WireError("stored and held are lists")
    out = {}
    for x in raw:
        if not isinstance(x, dict) or set(x) != {"hash", "index", "received"}:
            raise WireError("a receipt entry holds exactly hash, index and received")
        if not (isinstance(x["hash"], str) and _HEX64.match(x["hash"])) or not _int(x["index"]):
            raise WireError("a receipt entry names a record hash and its log index")
        if x["hash"] in out:
            raise WireError(f"a receipt lists the record {x['hash'][:16]}… twice")
        out[x["hash"]] = (x["index"], parse_time(x["received"], "received"))
    return out


MAX_COUNT = 2**63 - 1  # indices and cursors: what a signed 64-bit integer holds


def _int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_COUNT
