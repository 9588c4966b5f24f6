"""Write tests/vectors/log_vectors.json: the transparency log's vectors (docs/PROTOCOL.md §10).

Run once (``python -m tests.vectors.make_log_vectors``) and commit the output; the tests check
the program against the committed file (tests/test_log_vectors.py). Everything is fixed: the
seeds, the entries, the times; Ed25519 is deterministic, so the signatures are too.

What a second implementation reproduces from them: a record's partition, the ranges a
jurisdiction checks, leaf bytes and hashes, the log's and the partitions' roots, which tree
heads are valid, which receipts' appended records are in the head's log, and which answers
prove a range of partitions complete.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from recap_desktop.crypto import authority
from recap_desktop.crypto.envelope import Record, sign
from recap_desktop.crypto.keys import SigningKey
from recap_desktop.protocol import log, merkle
from recap_desktop.protocol.trust import Certificate, Trust
from recap_server.log import Summary

OUT = Path(__file__).with_name("log_vectors.json")

AUTHORITY_SEED = hashlib.sha256(b"recap/1 test vector authority (never use)").digest()
SERVER_SEED = hashlib.sha256(b"recap/1 test vector server (never use)").digest()
STRANGER_SEED = hashlib.sha256(b"recap/1 test vector uncertified server (never use)").digest()
ELECTION = "vector-2026"
VALID_FROM, VALID_UNTIL = "2026-01-01T00:00:00Z", "2026-12-31T23:59:59Z"
HEAD_TIME = datetime(2026, 2, 14, 18, 0, 0, tzinfo=UTC)


@dataclass(frozen=True)
class _Election:
    """What a head's check asks of the election: its id."""

    id: str
    contests: dict[str, Any] = field(default_factory=dict)

    def station(self, code: str) -> None:
        return None


def keys() -> tuple[SigningKey, SigningKey, SigningKey]:
    return (
        SigningKey.from_seed(AUTHORITY_SEED),
        SigningKey.from_seed(SERVER_SEED),
        SigningKey.from_seed(STRANGER_SEED),
    )


def server_certificate(auth: SigningKey, server: SigningKey) -> Record:
    return authority.certificate(
        auth,
        election=ELECTION,
        officer_id="server-1",
        name="central server",
        role="server",
        jurisdiction="",
        public_key=server.public_key,
        valid_from=VALID_FROM,
        valid_until=VALID_UNTIL,
        issued=VALID_FROM,
    )


def trust_of(auth: SigningKey, cert: Record) -> Trust:
    certificate = Certificate.from_record(cert)
    return Trust(
        auth.public_key,
        election=_Election(ELECTION),
        certificates={certificate.key_id: (certificate,)},
    )


def _h(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


# The log: 13 entries in five partitions (a certificate in its jurisdiction's), as a server
# would have stored them.
ENTRIES: list[tuple[str, str, str]] = [  # (what the hash stands for, partition, received)
    ("package", "", "2026-02-14T07:00:00Z"),
    ("certificate op-1 32.01.01", "32.01.01", "2026-02-14T07:00:00Z"),
    ("certificate server", "", "2026-02-14T07:00:01Z"),
    ("sheet 32.01.01.2001.001", "32.01.01", "2026-02-14T10:00:00Z"),
    ("sheet 32.01.01.2001.002", "32.01.01", "2026-02-14T10:00:00Z"),
    ("sheet 32.01.02.2005.001", "32.01.02", "2026-02-14T10:05:00Z"),
    ("certificate op-2 32.01.02.2005", "32.01.02", "2026-02-14T10:06:00Z"),
    ("sheet 32.01.02.2005.002", "32.01.02", "2026-02-14T10:07:00Z"),
    ("review 32.01.01.2001.001", "32.01.01", "2026-02-14T11:00:00Z"),
    ("dhasil 32.01.02", "32.01.02", "2026-02-14T15:00:00Z"),
    ("sheet 33.02.01.1001.004", "33.02.01", "2026-02-14T16:00:00Z"),
    ("dhasil 32.01", "32.01", "2026-02-14T17:00:00Z"),
    ("sheet 32.01.01.2002.001", "32.01.01", "2026-02-14T17:30:00Z"),
]


def entries() -> list[dict[str, Any]]:
    return [
        {"hash": _h(what), "index": i, "partition": part, "received": received}
        for i, (what, part, received) in enumerate(ENTRIES)
    ]


def leaf(e: dict[str, Any]) -> bytes:
    return log.leaf_hash(e["hash"], e["index"], e["partition"], e["received"])


def build() -> dict[str, Any]:
    auth, server, stranger = keys()
    cert = server_certificate(auth, server)
    trust = trust_of(auth, cert)
    all_entries = entries()
    leaves = [leaf(e) for e in all_entries]
    size = len(leaves)
    parts: dict[str, list[bytes]] = {}
    for e, value in zip(all_entries, leaves, strict=True):
        parts.setdefault(e["partition"], []).append(value)
    summary = Summary({n: (len(v), merkle.root(v)) for n, v in parts.items()})
    root = merkle.root(leaves)
    head = log.sign_head(server, ELECTION, size, root, summary.root, summary.count, HEAD_TIME)
    out: dict[str, Any] = {
        "about": "docs/PROTOCOL.md §10; keys are test keys, published: never trust them",
        "authority_key": auth.public_key.hex(),
        "election": ELECTION,
        "server_certificate": cert.to_json(),
    }

    # -- partitions and ranges ------------------------------------------------------------
    out["partition_of"] = [
        {"type": t, "place": place, "partition": partition}
        for t, place, partition in [
            ("sheet", "32.01.01.2001.001", "32.01.01"),
            ("review", "32.01.01.2001.001", "32.01.01"),
            ("dhasil", "32.01.01", "32.01.01"),
            ("dhasil", "32.01", "32.01"),
            ("dhasil", "32", "32"),
            ("objection", "32.01.01.2001", "32.01.01"),
            ("resolution", "32.01.01.2001.001", "32.01.01"),
            ("election", None, ""),
            ("certificate", "32.01.01.2001", "32.01.01"),
            ("certificate", "32.01", "32.01"),
            ("certificate", "32", "32"),
            ("certificate", "", ""),
            ("revocations", None, ""),
        ]
    ]
    out["ranges"] = [
        {"jurisdiction": j, "ranges": [list(r) for r in log.needed_ranges(j)]}
        for j in ("32", "32.01", "32.01.01", "32.01.01.2001", "32.01.01.2001.001")
    ]

    # -- leaves and roots ------------------------------------------------------------------
    out["entries"] = [
        {
            **e,
            "leaf": log.leaf_bytes(e["hash"], e["index"], e["partition"], e["received"]).decode(),
            "leaf_hash": value.hex(),
        }
        for e, value in zip(all_entries, leaves, strict=True)
    ]
    out["log"] = {
        "size": size,
        "root": root.hex(),
        "partitions": [
            {
                "partition": n,
                "size": summary.states[n][0],
                "root": summary.states[n][1].hex(),
                "summary_leaf_hash": log.summary_leaf_hash(n, *summary.states[n]).hex(),
            }
            for n in summary.names
        ],
        "partitions_root": summary.root.hex(),
        "partition_count": summary.count,
        "roots_by_size": [merkle.root(leaves[:n]).hex() for n in range(size + 1)],
    }

    # -- tree heads ------------------------------------------------------------------------
    def tampered(**changes: Any) -> dict[str, Any]:
        raw = head.to_json()
        raw["payload"] = {**raw["payload"], **changes}
        return raw

    extra = head.to_json()
    out["heads"] = [
        {"name": "valid", "head": head.to_json(), "valid": True, "kind": None},
        {
            "name": "size_changed_after_signing",
            "head": tampered(size=size + 1),
            "valid": False,
            "kind": "bad_head",
        },
        {
            "name": "signed_by_an_uncertified_key",
            "head": log.sign_head(
                stranger, ELECTION, size, root, summary.root, summary.count, HEAD_TIME
            ).to_json(),
            "valid": False,
            "kind": "uncertified_server",
        },
        {
            "name": "another_election",
            "head": log.sign_head(
                server, "other-2026", size, root, summary.root, summary.count, HEAD_TIME
            ).to_json(),
            "valid": False,
            "kind": "bad_head",
        },
        {
            "name": "after_the_certificate_ends",
            "head": log.sign_head(
                server,
                ELECTION,
                size,
                root,
                summary.root,
                summary.count,
                datetime(2027, 1, 1, tzinfo=UTC),
            ).to_json(),
            "valid": False,
            "kind": "uncertified_server",
        },
        {
            "name": "a_member_too_many",
            "head": sign(server, {**head.payload, "note": "hello"}).to_json(),
            "valid": False,
            "kind": "bad_head",
        },
    ]
    del extra
    for case in out["heads"]:
        try:
            log.parse_head(case["head"], trust)
            got = None
        except log.LogError as exc:
            got = exc.kind
        assert got == case["kind"], (case["name"], got)

    # -- receipts: the records stored are the log's newest entries ------------------------
    tree = merkle.InMemoryNodes()
    tree.append(leaves)
    appends = []
    for name, before, stored, pieces, valid in [
        ("last_three", 10, leaves[10:], merkle.frontier(tree, 10), True),
        ("last_one", 12, leaves[12:], merkle.frontier(tree, 12), True),
        ("nothing_new", 13, [], merkle.frontier(tree, 13), True),
        ("one_left_out", 10, leaves[10:12], merkle.frontier(tree, 10), False),
        (
            "not_in_the_log",
            10,
            [leaves[10], leaves[12], leaves[11]],
            merkle.frontier(tree, 10),
            False,
        ),
        ("a_wrong_frontier", 10, leaves[10:], merkle.frontier(tree, 9)[:2], False),
    ]:
        appends.append(
            {
                "name": name,
                "size_before": before,
                "frontier": [h.hex() for h in pieces],
                "leaves": [h.hex() for h in stored],
                "valid": valid,
            }
        )
    parsed = log.parse_head(head.to_json(), trust)
    for case in appends:
        try:
            log.check_append(
                parsed,
                case["size_before"],
                [bytes.fromhex(h) for h in case["frontier"]],
                [bytes.fromhex(h) for h in case["leaves"]],
            )
            ok = True
        except log.LogError:
            ok = False
        assert ok == case["valid"], case["name"]
    out["appends"] = {"head": "valid", "cases": appends}

    # -- pulls: a range of partitions proved complete --------------------------------------
    ranges_cases = []

    def answer(jurisdiction: str) -> list[list[dict[str, Any]]]:
        return [summary.prove(lo, hi) for lo, hi in log.needed_ranges(jurisdiction)]

    for jurisdiction in ("32.01", "32.01.01.2001", "33", "34.05"):
        ranges_cases.append(
            {"name": f"honest {jurisdiction}", "jurisdiction": jurisdiction,
             "answer": answer(jurisdiction), "valid": True}
        )  # fmt: skip
    honest = answer("32.01")
    missing_middle = json.loads(json.dumps(honest))
    for group in missing_middle:
        names = [x["partition"] for x in group]
        if "32.01.01" in names and "32.01.02" in names:
            group.remove(next(x for x in group if x["partition"] == "32.01.01"))
    no_right_edge = json.loads(json.dumps(honest))
    no_right_edge[-1] = no_right_edge[-1][:-1]
    smaller = json.loads(json.dumps(honest))
    for group in smaller:
        for x in group:
            if x["partition"] == "32.01.02":
                x["size"] -= 1
    for name, raw in [
        ("a partition left out of the middle", missing_middle),
        ("no leaf after the range", no_right_edge),
        ("a partition's size changed", smaller),
        ("one list too few", honest[:-1]),
    ]:
        ranges_cases.append({"name": name, "jurisdiction": "32.01", "answer": raw, "valid": False})
    for case in ranges_cases:
        try:
            found = log.check_ranges(
                parsed, log.needed_ranges(case["jurisdiction"]), case["answer"]
            )
            ok = True
            case["partitions"] = {
                n: {"size": s.size, "root": s.root.hex()} for n, s in sorted(found.items())
            }
        except log.LogError:
            ok = False
        assert ok == case["valid"], case["name"]
    out["range_proofs"] = {"head": "valid", "cases": ranges_cases}
    out.update(_extensions(server, trust, all_entries, leaves, tree, parts, head))
    return out


def _head_at(
    server: SigningKey,
    leaves: list[bytes],
    entries: list[dict[str, Any]],
    n: int,
    time: datetime = HEAD_TIME,
) -> Record:
    parts: dict[str, list[bytes]] = {}
    for e, value in zip(entries[:n], leaves[:n], strict=True):
        parts.setdefault(e["partition"], []).append(value)
    summary = Summary({k: (len(v), merkle.root(v)) for k, v in parts.items()})
    root = merkle.root(leaves[:n])
    return log.sign_head(server, ELECTION, n, root, summary.root, summary.count, time)


def _extensions(
    server: SigningKey,
    trust: Trust,
    all_entries: list[dict[str, Any]],
    leaves: list[bytes],
    tree: merkle.InMemoryNodes,
    parts: dict[str, list[bytes]],
    head: Record,
) -> dict[str, Any]:
    """Head extension (§10.3), whole receipts (§10.4) and partitions rebuilt (§10.5)."""
    heads = {n: _head_at(server, leaves, all_entries, n) for n in (0, 5, 9)}
    heads[13] = head
    # The same log with entry 8 received at another time: a history rewritten at index 8.
    other = [dict(e) for e in all_entries]
    other[8]["received"] = "2026-02-14T09:00:00Z"
    other_leaves = [leaf(e) for e in other]
    rewritten = _head_at(server, other_leaves, other, 9)
    # A smaller head signed after the head of 13: the server went back on it.
    later = _head_at(server, leaves, all_entries, 9, HEAD_TIME + timedelta(minutes=5))
    # The same log of 13 entries, with another partitions root, or another count of them.
    honest = log.parse_head(head.to_json(), trust)
    other_partitions = log.sign_head(
        server, ELECTION, 13, honest.root, hashlib.sha256(b"other").digest(),
        honest.partition_count, HEAD_TIME,
    )  # fmt: skip
    other_count = log.sign_head(
        server, ELECTION, 13, honest.root, honest.partitions, honest.partition_count + 1,
        HEAD_TIME,
    )  # fmt: skip

    def proof(m: int, n: int) -> list[str]:
        return [h.hex() for h in merkle.consistency_proof(tree, m, n)] if 0 < m < n else []

    extends = []
    for name, old, new, steps, kind in [
        ("grows", heads[5], heads[13], proof(5, 13), None),
        ("from_the_empty_log", heads[0], heads[13], [], None),
        ("the_same_head", heads[13], heads[13], [], None),
        ("the_same_size_another_root", rewritten, heads[9], [], "forked"),
        ("a_rewritten_entry", rewritten, heads[13], proof(9, 13), "inconsistent"),
        ("smaller_signed_no_later", heads[13], heads[9], [], "stale"),
        ("smaller_signed_later", heads[13], later, [], "rolled_back"),
        ("the_same_size_other_partitions", heads[13], other_partitions, [], "forked"),
        ("the_same_size_another_partition_count", heads[13], other_count, [], "forked"),
        ("a_proof_cut_short", heads[5], heads[13], proof(5, 13)[:-1], "inconsistent"),
    ]:
        extends.append(
            {"name": name, "old": old.to_json(), "new": new.to_json(), "proof": steps, "kind": kind}
        )
    for case in extends:
        try:
            log.check_extends(
                log.parse_head(case["old"], trust),
                log.parse_head(case["new"], trust),
                [bytes.fromhex(h) for h in case["proof"]],
            )
            got = None
        except log.LogError as exc:
            got = exc.kind
        assert got == case["kind"], case["name"]

    # A push of entries 10, 11, 12 by a laptop that also sent entry 3 again (held), and held
    # the head of 5 entries: the answer as the server writes it, and lies told about it.
    parsed = log.parse_head(head.to_json(), trust)
    sent = {e["hash"]: e["partition"] for e in all_entries[10:13]}
    sent[all_entries[3]["hash"]] = all_entries[3]["partition"]

    def receipt_for(
        head_hash: str,
        stored: list[dict[str, Any]],
        time: str = "2026-02-14T18:00:00Z",
        refused: list[dict[str, Any]] | None = None,
    ) -> Record:
        return sign(
            server,
            {
                "type": "receipt",
                "server": server.key_id,
                "time": time,
                "election": ELECTION,
                "head": head_hash,
                "stored": stored,
                "held": [{k: all_entries[3][k] for k in ("hash", "index", "received")}],
                "refused": refused or [],
            },
        )

    stored = [{k: e[k] for k in ("hash", "index", "received")} for e in all_entries[10:13]]
    honest_proofs = {
        "append": {"size": 10, "frontier": [h.hex() for h in merkle.frontier(tree, 10)]},
        "held": {all_entries[3]["hash"]: [h.hex() for h in merkle.inclusion_proof(tree, 3, 13)]},
        "consistency": proof(5, 13),
    }
    lying_held = json.loads(json.dumps(honest_proofs))
    lying_held["held"][all_entries[3]["hash"]] = proof(5, 13)[:4]
    lying_consistency = json.loads(json.dumps(honest_proofs))
    lying_consistency["consistency"] = proof(9, 13)
    shifted = [dict(x, index=x["index"] + 1) for x in stored]
    unparsable_consistency = json.loads(json.dumps(honest_proofs))
    unparsable_consistency["consistency"] = ["not a hash"]
    twice = [{"hash": stored[0]["hash"], "reason": "malformed"}]
    held_entry = {k: all_entries[3][k] for k in ("hash", "index", "received")}
    no_held = {k: v for k, v in honest_proofs.items() if k != "held"}
    bad_frontier = json.loads(json.dumps(honest_proofs))
    bad_frontier["append"]["frontier"] = ["not a hash"]
    held_missing = dict(honest_proofs, held={})
    held_extra = json.loads(json.dumps(honest_proofs))
    held_extra["held"][all_entries[4]["hash"]] = held_extra["held"][all_entries[3]["hash"]]
    other_key = keys()[2]
    by_another_key = sign(
        other_key,
        {**receipt_for(head.hash, stored).payload, "server": other_key.key_id},
    )
    forged_head = head.to_json()
    forged_head["sig"] = ("0" if forged_head["sig"][0] != "0" else "1") + forged_head["sig"][1:]
    # The broken answers of §10.4 (not evidence, retried), then its ordered checks; the head
    # and the head held before are those below unless a case names its own.
    more_cases: list[tuple[Any, ...]] = [
        (
            "a_hash_twice_in_stored",
            receipt_for(head.hash, [*stored, stored[0]]),
            honest_proofs,
            "bad_answer",
        ),
        (
            "a_hash_stored_and_held",
            receipt_for(head.hash, [*stored, held_entry]),
            honest_proofs,
            "bad_answer",
        ),
        ("signed_by_another_key", by_another_key, honest_proofs, "bad_answer"),
        (
            "a_head_that_does_not_verify",
            receipt_for(head.hash, stored),
            honest_proofs,
            "bad_head",
            forged_head,
            heads[5].to_json(),
        ),
        ("proofs_without_held", receipt_for(head.hash, stored), no_held, "bad_receipt"),
        ("a_frontier_not_of_hashes", receipt_for(head.hash, stored), bad_frontier, "bad_receipt"),
        ("a_held_proof_missing", receipt_for(head.hash, stored), held_missing, "bad_receipt"),
        (
            "a_proof_for_a_record_not_held",
            receipt_for(head.hash, stored),
            held_extra,
            "bad_receipt",
        ),
        (
            "a_stored_record_refused_by_its_item",
            receipt_for(head.hash, stored, refused=[{"item": 0, "reason": "malformed"}]),
            honest_proofs,
            "bad_receipt",
        ),
        (
            "a_refused_item_beyond_the_batch",
            receipt_for(head.hash, stored, refused=[{"item": 4, "reason": "malformed"}]),
            honest_proofs,
            "bad_receipt",
        ),
        (
            "a_head_smaller_than_known_signed_later",
            receipt_for(later.hash, stored),
            honest_proofs,
            "rolled_back",
            later.to_json(),
            head.to_json(),
        ),
        (
            "a_head_smaller_than_known_signed_no_later",
            receipt_for(heads[9].hash, stored),
            honest_proofs,
            "stale",
            heads[9].to_json(),
            head.to_json(),
        ),
    ]
    cases: list[tuple[Any, ...]] = [
        ("honest", receipt_for(head.hash, stored), honest_proofs, None),
        ("names_another_head", receipt_for(heads[9].hash, stored), honest_proofs, "bad_receipt"),
        ("stored_at_other_places", receipt_for(head.hash, shifted), honest_proofs, "bad_receipt"),
        ("a_held_record_not_in_the_log", receipt_for(head.hash, stored), lying_held, "bad_receipt"),
        (
            "a_wrong_consistency_proof",
            receipt_for(head.hash, stored),
            lying_consistency,
            "inconsistent",
        ),
        (
            "signed_outside_the_certificate",
            receipt_for(head.hash, stored, time="2027-01-01T00:00:00Z"),
            honest_proofs,
            "uncertified_server",
        ),
        (
            "an_unparsable_consistency_proof",
            receipt_for(head.hash, stored),
            unparsable_consistency,
            "bad_answer",
        ),
        (
            "a_sent_record_not_listed",
            receipt_for(head.hash, stored[:2]),
            honest_proofs,
            "bad_receipt",
        ),
        (
            "a_record_listed_twice",
            receipt_for(head.hash, stored, refused=twice),
            honest_proofs,
            "bad_receipt",
        ),
    ]
    receipts = []
    for name, rec, proofs, kind, *heads_of in [*cases, *more_cases]:
        given, held_before = heads_of or (head.to_json(), heads[5].to_json())
        receipts.append(
            {
                "name": name,
                "receipt": rec.to_json(),
                "head": given,
                "known": held_before,
                "proofs": proofs,
                "kind": kind,
            }
        )
    from recap_desktop.protocol.wire import WireError, parse_receipt

    for case in receipts:
        # §10.4's order: a receipt that does not parse or verify under the server's key (the
        # handshake's) is a broken answer; then the head is valid; then check_receipt.
        try:
            receipt = parse_receipt(case["receipt"], server.public_key)
            log.check_receipt(
                receipt,
                log.parse_head(case["head"], trust),
                log.parse_head(case["known"], trust),
                case["proofs"],
                sent,
                trust=trust,
            )
            got = None
        except WireError:
            got = "bad_answer"
        except log.LogError as exc:
            got = exc.kind
        assert got == case["kind"], (case["name"], got)

    # Partitions rebuilt from what a laptop of 32.01.01 learnt, against the head's proofs.
    learnt = {
        n: [{k: e[k] for k in ("hash", "index", "received")} for e in all_entries
            if e["partition"] == n]
        for n in ("", "32.01", "32.01.01")
    }  # fmt: skip
    missing = json.loads(json.dumps(learnt))
    del missing["32.01.01"][1]
    extra = json.loads(json.dumps(learnt))
    extra["32.01.01"].append(
        {"hash": hashlib.sha256(b"not in the log").hexdigest(), "index": 12,
         "received": "2026-02-14T17:30:00Z"}
    )  # fmt: skip
    rebuilt = []
    for name, seen, kind in [
        ("everything", learnt, None),
        ("a_sheet_left_out", missing, "withheld"),
        ("a_record_the_log_does_not_hold", extra, "withheld"),
    ]:
        rebuilt.append({"name": name, "jurisdiction": "32.01.01", "learnt": seen, "kind": kind})
    for case in rebuilt:
        proved = log.check_ranges(
            parsed, log.needed_ranges(case["jurisdiction"]),
            [Summary({k: (len(v), merkle.root(v)) for k, v in parts.items()}).prove(lo, hi)
             for lo, hi in log.needed_ranges(case["jurisdiction"])],
        )  # fmt: skip
        got = None
        try:
            for n, state in proved.items():
                rows = [(x["hash"], x["index"], x["received"]) for x in case["learnt"].get(n, [])]
                log.check_partition(n, state, 0, [], rows, parsed.size)
        except log.LogError as exc:
            got = exc.kind
        assert got == case["kind"], case["name"]
    return {
        "extends": extends,
        "receipts": {"partitions_of_what_was_sent": sent, "cases": receipts},
        "rebuilt": {"head": "valid", "cases": rebuilt},
    }


def main() -> None:
    OUT.write_text(json.dumps(build(), indent=2, ensure_ascii=False) + "\n")
    print(OUT)


if __name__ == "__main__":
    main()
