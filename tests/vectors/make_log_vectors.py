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
from datetime import UTC, datetime
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


# The log: 13 entries in three partitions, as a server would have stored them.
ENTRIES: list[tuple[str, str, str]] = [  # (what the hash stands for, partition, received)
    ("package", "", "2026-02-14T07:00:00Z"),
    ("certificate op-1", "", "2026-02-14T07:00:00Z"),
    ("certificate server", "", "2026-02-14T07:00:01Z"),
    ("sheet 32.01.01.2001.001", "32.01.01", "2026-02-14T10:00:00Z"),
    ("sheet 32.01.01.2001.002", "32.01.01", "2026-02-14T10:00:00Z"),
    ("sheet 32.01.02.2005.001", "32.01.02", "2026-02-14T10:05:00Z"),
    ("certificate op-2", "", "2026-02-14T10:06:00Z"),
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
            ("certificate", None, ""),
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
    return out


def main() -> None:
    OUT.write_text(json.dumps(build(), indent=2, ensure_ascii=False) + "\n")
    print(OUT)


if __name__ == "__main__":
    main()
