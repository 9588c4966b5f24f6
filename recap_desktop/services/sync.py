"""Sync once (the CLI), or build the engine the window's worker runs; the server URL setting."""

from __future__ import annotations

from collections.abc import Callable

from recap_desktop.services.admission import own_keys
from recap_desktop.services.workspace import RecapError, Workspace
from recap_desktop.storage import Store
from recap_desktop.sync.backoff import Backoff
from recap_desktop.sync.client import ServerClient
from recap_desktop.sync.engine import Status, SyncEngine, SyncResult
from recap_desktop.sync.photos import sync_photos

SERVER_URL = "server_url"


def server_url(store: Store) -> str | None:
    """The server URL from the data folder's settings (the window reads the same)."""
    return store.outbox.setting(SERVER_URL)


def set_server_url(store: Store, url: str | None) -> None:
    if url is not None and not url.startswith(("http://", "https://")):
        raise RecapError("sync.bad_url", url=url)
    store.outbox.set_setting(SERVER_URL, url.rstrip("/") if url else None)


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
    if url:
        set_server_url(store, url)
    client = ServerClient(chosen, connect_timeout=connect_timeout, read_timeout=read_timeout)
    engine: SyncEngine

    def photos(result: SyncResult) -> None:
        result.extra["photos"] = sync_photos(
            store.photos, client, cancelled=lambda: engine.cancelled
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
        return engine.sync()
    finally:
        engine.client.close()


def local_status(store: Store) -> Status:
    """The status bar's figures without touching the network."""
    return Status(
        "idle", None, store.outbox.unsent_count(), store.outbox.setting("last_sync"), None, None
    )
