"""A supervisor's data folder with real problems on the board: two officers who signed
different numbers for one station, a rejected sheet, a counted one, stations still to come.

Every record is signed with a real key and goes through the admission rule; the officers are
certified by the DEMO authority with their own names, as a real district's would be.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

from recap_desktop.crypto import authority
from recap_desktop.crypto.keys import SigningKey
from recap_desktop.domain.chasil_demo import random_sheet
from recap_desktop.services import Workspace
from recap_desktop.services import demo as demo_service
from recap_desktop.services import identity as identity_service
from recap_desktop.services import sheets as sheet_service
from recap_desktop.services.admission import admit_into

DISTRICT = "32.01.01"
DISPUTED = "32.01.01.2001.001"
REJECTED = "32.01.01.2001.002"
COUNTED = "32.01.01.2001.003"
CONTEST = "ppwp"


@dataclass(frozen=True)
class Folder:
    path: Path
    supervisor: SigningKey
    first: SigningKey  # Siti Rahma, op-1
    second: SigningKey  # Budi Santoso, op-2
    first_sheet: str  # the disputed versions' hashes
    second_sheet: str


def certify(ws: Workspace, key: SigningKey, officer_id: str, name: str, role: str) -> None:
    cert = authority.certificate(
        demo_service.demo_authority(),
        election=demo_service.ELECTION_ID,
        officer_id=officer_id,
        name=name,
        role=role,
        jurisdiction=DISTRICT,
        public_key=key.public_key,
        valid_from=demo_service.ISSUED,
        valid_until=demo_service.EXPIRES,
        issued=demo_service.ISSUED,
    )
    assert not admit_into(ws, [cert], "import").problems


def values(ws: Workspace, station: str, seed: int = 3) -> dict[str, int]:
    election = ws.store.package.election()
    assert election is not None
    return dict(
        random_sheet(
            election.contests[CONTEST], election.stations[station].registered, random.Random(seed)
        )
    )


def make_folder(path: Path) -> Folder:
    ws = Workspace(path)
    try:
        demo_service.init_demo(
            ws, officer_id="pengawas-1", role="supervisor", jurisdiction=DISTRICT
        )
        supervisor = identity_service.unlock(ws, identity_service.DEMO_PASSPHRASE)
        first, second = SigningKey.generate(), SigningKey.generate()
        certify(ws, first, "op-1", "Siti Rahma", "operator")
        certify(ws, second, "op-2", "Budi Santoso", "operator")
        mine = values(ws, DISPUTED)
        theirs = dict(mine)
        # The second officer misread the paper: two candidates' votes swapped (the sums
        # still agree, so no form rule catches it; only the comparison does).
        theirs["v_p01"], theirs["v_p02"] = mine["v_p02"], mine["v_p01"]
        assert theirs != mine
        a = sheet_service.enter_sheet(ws, first, DISPUTED, CONTEST, mine)
        b = sheet_service.enter_sheet(ws, second, DISPUTED, CONTEST, theirs)
        rejected = sheet_service.enter_sheet(ws, first, REJECTED, CONTEST, values(ws, REJECTED, 5))
        sheet_service.enter_sheet(ws, first, COUNTED, CONTEST, values(ws, COUNTED, 7))
        sheet_service.review_sheet(ws, supervisor, rejected.hash, "reject", "totals unreadable")
    finally:
        ws.close()
    return Folder(path, supervisor, first, second, a.hash, b.hash)
