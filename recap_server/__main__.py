"""recap-server: the central server of Recap Desktop (docs/PROTOCOL.md, section 9).

First run of a real election: --election PACKAGE --trust-authority FINGERPRINT, with the
receipt key's passphrase in $RECAP_SERVER_PASSPHRASE. --demo serves the DEMO election.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from recap_desktop.version import add_version_option

DATABASE_ENV = "RECAP_SERVER_DATABASE"
WORKER_TIMEOUT = 600  # seconds; see worker_options


def make_parser() -> argparse.ArgumentParser:
    """The command line (apart so a test can read what a flag becomes)."""
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
    parser.add_argument(
        "--load-certificates",
        type=Path,
        metavar="FILE",
        help="admit the authority's certificates in FILE ({records: [...]}, e.g. every officer's"
        " before election day), and stop (with the server stopped: a running one reads its"
        " trust once)",
    )
    parser.add_argument(
        "--recount-totals",
        action="store_true",
        help="count every region's totals again from the stations' states, and stop (the"
        " repair when the server reports totals changed outside it; the database alone, no"
        " key: it may run beside the serving server, whose pushes wait meanwhile)",
    )
    parser.add_argument("--certfile", type=Path, help="TLS certificate chain (PEM): serve HTTPS")
    parser.add_argument("--keyfile", type=Path, help="TLS private key (PEM) of --certfile")
    parser.add_argument(
        "--max-connections", type=int, default=1000, help="open connections at most"
    )
    parser.add_argument(
        "--header-timeout", type=float, default=10.0, help="seconds for a request's headers"
    )
    parser.add_argument(
        "--body-timeout", type=float, default=60.0, help="seconds for a request's body"
    )
    parser.add_argument(
        "--write-timeout",
        type=float,
        default=60.0,
        help="seconds a client may take none of an answer waiting for it",
    )
    parser.add_argument(
        "--push-rate", type=float, default=10.0, help="pushes a second per key, sustained"
    )
    parser.add_argument("--push-burst", type=int, default=50, help="pushes per key at once")
    parser.add_argument(
        "--no-access-log",
        dest="access_log",
        action="store_false",
        help="log no line a request (behind a reverse proxy that logs them: docs/ARCHITECTURE.md,"
        " Deployment)",
    )
    parser.add_argument(
        "--worker-timeout",
        type=int,
        default=WORKER_TIMEOUT,
        metavar="SECONDS",
        help="with --workers: seconds a worker may go without answering the supervisor before"
        f" it is killed as hung (default {WORKER_TIMEOUT}: a worker's start loads the election,"
        " minutes at 820,000 stations)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = make_parser()
    args = parser.parse_args(argv)
    if args.workers < 1:
        parser.error("--workers must be 1 or more")
    if args.worker_timeout < 1:
        parser.error("--worker-timeout must be 1 or more")
    if (args.certfile is None) != (args.keyfile is None):
        parser.error("--certfile and --keyfile go together")
    for flag in ("header_timeout", "body_timeout", "write_timeout"):
        if not getattr(args, flag) > 0:
            parser.error(f"--{flag.replace('_', '-')} must be more than 0 seconds")

    from recap_server.app import create_app
    from recap_server.edge import EdgeLimits, serve, uvicorn_config
    from recap_server.gate import GateLimits
    from recap_server.server import ServerSetupError, open_ledger, settled_heap

    if args.recount_totals:
        from recap_server.server import recount_totals

        try:
            kept = recount_totals(args.data_dir, args.database)
        except ServerSetupError as exc:
            print(f"recap-server: {exc}", file=sys.stderr)
            return 2
        print(f"recap-server: the totals counted again from the stations' states: {kept} tallies")
        return 0
    # A process that serves (one, not the parent of workers, which only sets the folder up):
    # its start's heap out of later collections.
    serving = args.workers == 1 and args.request is None and args.load_certificates is None
    try:
        with settled_heap() if serving else contextlib.nullcontext():
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
    if args.load_certificates is not None:
        from recap_server.server import load_certificates

        try:
            data = args.load_certificates.read_bytes()
            new, held = load_certificates(ledger, data, str(args.load_certificates))
        except OSError as exc:
            print(f"recap-server: cannot read {args.load_certificates}: {exc}", file=sys.stderr)
            return 2
        except ServerSetupError as exc:
            print(f"recap-server: {exc}", file=sys.stderr)
            return 2
        finally:
            ledger.storage.close()
        print(f"recap-server: {new} certificates loaded, {held} held already")
        return 0
    print(f"recap-server: receipt key {ledger.server_key.key_id}", file=sys.stderr)
    tls: dict[str, Any] = {}
    if args.certfile is not None:
        tls = {"ssl_certfile": str(args.certfile), "ssl_keyfile": str(args.keyfile)}
    edge = EdgeLimits(
        header_timeout=args.header_timeout,
        body_timeout=args.body_timeout,
        write_timeout=args.write_timeout,
        max_connections=args.max_connections,
    )
    gate = GateLimits(rate=args.push_rate, burst=args.push_burst)
    if args.workers == 1:
        app = create_app(ledger, demo=args.demo, gate=gate)
        try:
            serve(uvicorn_config(app, args.host, args.port, edge, args.access_log, **tls))
        except (OSError, ValueError) as exc:  # an unreadable certificate or key, a port in use
            print(f"recap-server: {exc}", file=sys.stderr)
            return 2
        return 0
    # The set-up is done (package, certificate): the workers open the same folder and
    # database, each with its own connections; nothing is shared but the database.
    ledger.storage.close()
    import json

    from recap_server.asgi import WORKER_ENV
    from recap_server.edge import EdgeConfig, GuardedProtocol

    os.environ[WORKER_ENV] = json.dumps(
        {
            "data_dir": str(args.data_dir),
            "demo": args.demo,
            "database": args.database,
            "push_rate": args.push_rate,
            "push_burst": args.push_burst,
            "edge": edge.__dict__,  # each worker guards its connections as one process does
        }
    )
    try:
        serve(EdgeConfig(**worker_options(args, edge, GuardedProtocol, tls)))
    except (OSError, ValueError) as exc:  # an unreadable certificate or key
        print(f"recap-server: {exc}", file=sys.stderr)
        return 2
    return 0


def worker_options(
    args: argparse.Namespace, edge: Any, protocol: type, tls: dict[str, Any]
) -> dict[str, Any]:
    """What ``uvicorn.run`` gets for ``--workers N``.

    uvicorn's supervisor kills a worker that misses its health check
    (``timeout_worker_healthcheck``, 5 s by default). The check is answered from a thread,
    which starves while a worker's start parses a national package in C calls that hold the
    GIL (124 MB at 820,000 stations: measured minutes), so at that size every worker was
    killed as hung and restarted for ever. The timeout is ours to choose (``--worker-timeout``);
    the price is that a truly hung worker is replaced only after it.
    """
    # Each worker guards its connections with the same edge limits (--header-timeout,
    # --body-timeout, --max-connections): ``protocol`` reaches the workers by reference, and
    # each worker sets its limits from the parent's flags at its start (edge.worker_limits,
    # called by asgi.worker_app). The listen backlog is sized as for one process.
    from recap_server.edge import LOOP, sizes

    _, backlog = sizes(edge.max_connections)
    return {
        "app": "recap_server.asgi:worker_app",
        "factory": True,
        "host": args.host,
        "port": args.port,
        "workers": args.workers,
        "http": protocol,
        "timeout_keep_alive": int(edge.keep_alive),
        "loop": LOOP,
        "timeout_worker_healthcheck": args.worker_timeout,
        "backlog": backlog,
        "access_log": args.access_log,
        **tls,
    }


if __name__ == "__main__":
    sys.exit(main())
