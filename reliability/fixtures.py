"""A realistic store to attack: two operators, a supervisor's reviews, corrections, a
revocation list. Built once per run with real signatures."""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

from recap_desktop.crypto import authority
from recap_desktop.crypto.envelope import Record, sign
from recap_desktop.crypto.keys import SigningKey
from recap_desktop.domain.chasil_demo import random_sheet
from recap_desktop.services import Workspace
from recap_desktop.services import demo as demo_service
from recap_desktop.services.election import current_election
from recap_desktop.services.sheets import _now, enter_sheet, next_link
from reliability.common import Demo, make_demo


@dataclass
class Attacked:
    demo: Demo
    operator2: SigningKey
    supervisor: SigningKey
    attacker: SigningKey
    certificates: dict[str, Record]  # key id -> its genuine certificate


def cert_for(key: SigningKey, officer_id: str, role: str, jurisdiction: str = "32") -> Record:
    return authority.certificate(
        demo_service.demo_authority(),
        election=demo_service.ELECTION_ID,
        officer_id=officer_id,
        name=officer_id,
        role=role,
        jurisdiction=jurisdiction,
        public_key=key.public_key,
        valid_from=demo_service.ISSUED,
        valid_until=demo_service.EXPIRES,
        issued=demo_service.ISSUED,
    )


def review(ws: Workspace, key: SigningKey, sheet: Record, decision: str) -> Record:
    record = sign(
        key,
        {
            "type": "review",
            **next_link(ws, key),
            "time": _now(),
            "election": sheet.payload["election"],
            "station": sheet.payload["station"],
            "contest": sheet.payload["contest"],
            "sheet": sheet.hash,
            "decision": decision,
            "reason": None if decision == "approve" else "angka tidak terbaca",
        },
    )
    ws.store.append([record], "sync")
    return record


def build_attacked(dest: Path, seed: int = 7, sheets: int = 24) -> Attacked:
    demo = make_demo(dest)
    rng = random.Random(seed)
    operator2, supervisor = SigningKey.generate(), SigningKey.generate()
    attacker = SigningKey.generate()
    ws = Workspace(dest)
    try:
        certs = {
            operator2.key_id: cert_for(operator2, "op-2", "operator"),
            supervisor.key_id: cert_for(supervisor, "sup-1", "supervisor"),
        }
        ws.store.append(list(certs.values()), "import")
        for row in ws.store.records.rows(["certificate"]):
            assert row.record is not None
            certs.setdefault(row.record.payload["key_id"], row.record)
        revs = authority.revocations(
            demo_service.demo_authority(),
            election=demo_service.ELECTION_ID,
            version=1,
            issued=demo_service.ISSUED,
            revoked=[{"key_id": "0" * 64, "reason": "laptop lost", "time": demo_service.ISSUED}],
        )
        ws.store.append([revs], "import")
        election = current_election(ws)
        stations = sorted(election.stations.values(), key=lambda s: s.code)
        entered: list[Record] = []
        for i in range(sheets):
            key = demo.key if i % 3 else operator2
            station = stations[i % len(stations)]
            contest = station.contests[i % len(station.contests)]
            values = random_sheet(election.contests[contest], station.registered, rng)
            entered.append(enter_sheet(ws, key, station.code, contest, values))
        for old in entered[1:6:2]:
            key = demo.key if old.signer == demo.key.key_id else operator2
            values = random_sheet(
                election.contests[old.payload["contest"]],
                election.stations[old.payload["station"]].registered,
                rng,
            )
            enter_sheet(
                ws,
                key,
                old.payload["station"],
                old.payload["contest"],
                values,
                supersedes=old.hash,
                reason="salah ketik",
            )
        for sheet in entered[::4]:
            review(ws, supervisor, sheet, rng.choice(["approve", "reject"]))
    finally:
        ws.close()
    return Attacked(demo, operator2, supervisor, attacker, certs)
