"""The app each worker process of ``recap-server --workers N`` serves (a uvicorn factory).

Workers are stateless: each opens the same data folder and database as the parent, which did
the first-run set-up before starting them; everything they share lives in the database.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from recap_server.app import RecapAPI

WORKER_ENV = "RECAP_SERVER_WORKER"  # the parent's choices, as JSON, for its workers


def worker_app() -> RecapAPI:
    from recap_server.app import create_app
    from recap_server.server import open_ledger, settled_heap

    config = json.loads(os.environ[WORKER_ENV])
    with settled_heap():
        ledger = open_ledger(
            Path(config["data_dir"]), demo=bool(config["demo"]), database=config["database"]
        )
    from recap_server.edge import EdgeLimits, worker_limits
    from recap_server.gate import GateLimits

    worker_limits(EdgeLimits(**config["edge"]))
    gate = GateLimits(rate=float(config["push_rate"]), burst=int(config["push_burst"]))
    return create_app(ledger, demo=bool(config["demo"]), gate=gate)
