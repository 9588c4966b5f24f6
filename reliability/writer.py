"""A writer process for the crash trials: saves sheets through the services, forever.

It prints ``ready`` once the store is open, then one line per save: the record's hash, only
after ``enter_sheet`` has returned (the commit is done). The parent kills or freezes it at
random instants and checks that every hash printed is in the store.

Usage: python -m reliability.writer DATA_DIR RNG_SEED   (the key's seed, hex, on stdin)
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

from recap_desktop.crypto.keys import SigningKey
from recap_desktop.domain.chasil_demo import random_sheet
from recap_desktop.services import Workspace
from recap_desktop.services.election import current_election
from recap_desktop.services.sheets import enter_sheet


def main() -> None:
    data_dir, rng_seed = Path(sys.argv[1]), int(sys.argv[2])
    key = SigningKey.from_seed(bytes.fromhex(sys.stdin.readline().strip()))
    ws = Workspace(data_dir)
    election = current_election(ws)
    stations = sorted(election.stations.values(), key=lambda s: s.code)
    rng = random.Random(rng_seed)
    print("ready", flush=True)
    limit = int(sys.argv[3]) if len(sys.argv) > 3 else -1
    done = 0
    while done != limit:
        station = rng.choice(stations)
        contest_id = rng.choice(station.contests)
        values = random_sheet(election.contests[contest_id], station.registered, rng)
        status = ws.store.sheets.status(station.code, contest_id)
        mine = None
        if status:
            signers = {
                v["hash"]: v["signer"] for v in ws.store.sheets.versions(station.code, contest_id)
            }
            mine = next((h for h in status["heads"] if signers[h] == key.key_id), None)
        record = enter_sheet(
            ws,
            key,
            station.code,
            contest_id,
            values,
            supersedes=mine,
            reason="koreksi salah ketik" if mine else None,
        )
        print(record.hash, flush=True)
        done += 1
    ws.close()


if __name__ == "__main__":
    main()
