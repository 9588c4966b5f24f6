"""recap-server: the central server of Recap Desktop (docs/PROTOCOL.md, section 9).

First run of a real election: --election PACKAGE --trust-authority FINGERPRINT, with the
receipt key's passphrase in $RECAP_SERVER_PASSPHRASE. --demo serves the DEMO election.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from recap_desktop.version import add_version_option

DATABASE_ENV = "RECAP_SERVER_DATABASE"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="recap-server",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_version_option(parser)
    parser.add_argument("--data-dir", type=Path, required=True, help="server.db and server.key")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=8470, help="port (0: any free port)")
    parser.add_argument("--demo", action="store_true", help="trust the DEMO authority and election")
    parser.add_argument("--election", type=Path, help="an election package file to serve")
    parser.add_argument(
        "--trust-authority", metavar="FINGERPRINT", help="the authority's key id, on first run"
    )
    parser.add_argument(
        "--certificate", type=Path, metavar="FILE", help="the authority's certificate of this key"
    )
    parser.add_argument(
        "--request",
        type=Path,
        metavar="FILE",
        help="write a certificate request for this server's key to FILE, and stop",
    )
    parser.add_argument(
        "--database",
        metavar="URL",
        default=os.environ.get(DATABASE_ENV),
        help="postgresql://USER@HOST/DB, or a SQLite file (default: $RECAP_SERVER_DATABASE,"
        " else DIR/server.db)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        metavar="N",
        help="worker processes (several need PostgreSQL or share one SQLite file's writer)",
    )
    args = parser.parse_args(argv)
    if args.workers < 1:
        parser.error("--workers must be 1 or more")

    import uvicorn

    from recap_server.app import create_app
    from recap_server.server import ServerSetupError, open_ledger

    try:
        ledger = open_ledger(
            args.data_dir,
            demo=args.demo,
            election=args.election,
            trust_authority=args.trust_authority,
            certificate=args.certificate,
            require_certificate=args.request is None,
            database=args.database,
        )
    except ServerSetupError as exc:
        print(f"recap-server: {exc}", file=sys.stderr)
        return 2
    if args.request is not None:
        import json

        from recap_server.server import certificate_request

        request = certificate_request(ledger.server_key, "central server")
        args.request.write_text(json.dumps(request, indent=2, sort_keys=True) + "\n")
        ledger.storage.close()
        print(f"recap-server: wrote {args.request} for key {ledger.server_key.key_id}")
        return 0
    print(f"recap-server: receipt key {ledger.server_key.key_id}", file=sys.stderr)
    if args.workers == 1:
        uvicorn.run(create_app(ledger, demo=args.demo), host=args.host, port=args.port)
        return 0
    # The set-up is done (package, certificate): the workers open the same folder and
    # database, each with its own connections; nothing is shared but the database.
    ledger.storage.close()
    import json

    from recap_server.asgi import WORKER_ENV

    os.environ[WORKER_ENV] = json.dumps(
        {"data_dir": str(args.data_dir), "demo": args.demo, "database": args.database}
    )
    uvicorn.run(
        "recap_server.asgi:worker_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
