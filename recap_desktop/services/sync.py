"""Sync once (the CLI), or build the engine the window's worker runs; the server URL setting."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from recap_desktop.crypto.keys import SigningKey
from recap_desktop.protocol.pushauth import LIFETIME, TokenError, make_token, parse_token
from recap_desktop.services.admission import own_keys
from recap_desktop.services.workspace import RecapError, Workspace
from recap_desktop.storage import Store
from recap_desktop.sync.backoff import Backoff
from recap_desktop.sync.client import ServerClient, is_loopback
from recap_desktop.sync.engine import DONE, REFUSED, Status, SyncEngine, SyncResult
from recap_desktop.sync.photos import Patience, sync_photos

SERVER_URL = "server_url"
PUSH_TOKEN = "push_token"
CA_FILE = "server_ca_file"
ALLOW_HTTP = "allow_plain_http"


def keep_push_token(ws: Workspace, key: SigningKey) -> None:
    """Sign a new push token with the open key when the kept one is missing, another key's,
    or past half its life: the laptop's pushes carry it (PROTOCOL §9.9)."""
    now = datetime.now(UTC).replace(microsecond=0)
    held = ws.store.outbox.setting(PUSH_TOKEN)
    if held is not None:
        try:
            token = parse_token(held)
            if token.key_id == key.key_id and now < token.expires - LIFETIME / 2:
                return
        except TokenError:
            pass  # edited behind our back: a new one replaces it
    ws.store.outbox.set_setting(PUSH_TOKEN, make_token(key, now))


def push_token(store: Store) -> str | None:
    """The kept token, if it still parses (a damaged one is not sent: the server would
    refuse the push)."""
    held = store.outbox.setting(PUSH_TOKEN)
    if held is None:
        return None
    try:
        parse_token(held)
    except TokenError:
        return None
    return held


def server_url(store: Store) -> str | None:
    """The server URL from the data folder's settings (the window reads the same)."""
    return store.outbox.setting(SERVER_URL)


def saved_address(ws: Workspace) -> str | None:
    """The server address this folder syncs with (the window's address dialog)."""
    return server_url(ws.store)


def save_address(ws: Workspace, url: str | None) -> None:
    """The address a person typed, checked (scheme, plain http to another machine) and kept."""
    set_server_url(ws.store, url)


def check_url(url: str) -> None:
    if not url.startswith(("http://", "https://")):
        raise RecapError("sync.bad_url", url=url)


def set_server_url(store: Store, url: str | None) -> None:
    if url is not None:
        check_url(url)
        check_secure(store, url)
    store.outbox.set_setting(SERVER_URL, url.rstrip("/") if url else None)


def check_secure(store: Store, url: str) -> bool:
    """Refuse plain http:// to another machine unless the settings allow it (PROTOCOL §9.9);
    returns whether they do."""
    allowed = store.outbox.setting(ALLOW_HTTP) == "yes"
    if url.startswith("http://") and not allowed and not is_loopback(url):
        raise RecapError("sync.insecure", url=url)
    return allowed


def set_transport(store: Store, *, ca_file: str | None, allow_http: bool | None) -> None:
    """The https:// server's CA file (PEM; "" to use the system's again) and whether plain
    http:// to another machine is allowed (a test network only), kept in the settings."""
    if ca_file is not None:
        if ca_file and not Path(ca_file).is_file():
            raise RecapError("sync.bad_ca_file", path=ca_file)
        store.outbox.set_setting(CA_FILE, str(Path(ca_file).resolve()) if ca_file else None)
    if allow_http is not None:
        store.outbox.set_setting(ALLOW_HTTP, "yes" if allow_http else None)


def jurisdiction(store: Store) -> str | None:
    """What this laptop pulls: its own certificate's region; None before it is certified.
    A key certified for several regions (a chair of several sub-districts) pulls the
    narrowest region containing them all, if they share one."""
    own = set(store.keys.known("self"))
    certs = [str(c["jurisdiction"]) for c in store.keys.certificates() if c["key_id"] in own]
    if not certs:
        return None
    common = certs[0].split(".")
    for code in certs[1:]:
        parts = code.split(".")
        n = 0
        while n < min(len(common), len(parts)) and common[n] == parts[n]:
            n += 1
        common = common[:n]
    return ".".join(common) if common else certs[-1]


def make_engine(
    ws: Workspace,
    url: str | None = None,
    *,
    connect_timeout: float = 5.0,
    read_timeout: float = 30.0,
    attempts: int = 4,
    backoff: Backoff | None = None,
    batch_count: int = 500,
    page_size: int = 500,
    on_status: Callable[[Status], None] | None = None,
) -> SyncEngine:
    store = ws.store
    chosen = url or server_url(store)
    if not chosen:
        raise RecapError("sync.no_server")
    check_url(chosen)  # kept only once a sync with it went through (``sync_once``)
    allow_http = check_secure(store, chosen)  # refused before anything: changes nothing
    client = ServerClient(
        chosen,
        connect_timeout=connect_timeout,
        read_timeout=read_timeout,
        token=push_token(store),
        ca_file=store.outbox.setting(CA_FILE),
        allow_http=allow_http,
    )
    engine: SyncEngine

    def photos(result: SyncResult) -> None:
        # A 429/503 is waited on as the server asks, cancellable as the engine's own waits.
        patience = Patience(engine.wait, Backoff(engine.backoff.base, engine.backoff.cap))
        result.extra["photos"] = sync_photos(
            store.photos, client, cancelled=lambda: engine.cancelled, patience=patience
        )

    engine = SyncEngine(
        store,
        client,
        after=(photos,),
        jurisdiction=jurisdiction(store),
        own_keys=own_keys(ws),
        attempts=attempts,
        backoff=backoff,
        batch_count=batch_count,
        page_size=page_size,
        on_status=on_status,
    )
    return engine


def sync_once(
    ws: Workspace,
    url: str | None = None,
    *,
    read_timeout: float = 30.0,
    attempts: int = 4,
    backoff: Backoff | None = None,
) -> SyncResult:
    """Push everything unsent, pull everything new; the CLI's `recap sync`."""
    engine = make_engine(ws, url, read_timeout=read_timeout, attempts=attempts, backoff=backoff)
    try:
        result = engine.sync()
    finally:
        engine.client.close()
    # A new address is kept once a server answered at it: a mistyped one that fails must
    # not replace the address that worked (the window's setting reads the same).
    if url and result.outcome in (DONE, REFUSED):
        set_server_url(ws.store, url)
    return result


def local_status(ws: Workspace) -> Status:
    """The status bar's figures without touching the network (opens the store: a
    RecapError when it cannot)."""
    outbox = ws.store.outbox
    return Status("idle", None, outbox.unsent_count(), outbox.setting("last_sync"), None, None)
