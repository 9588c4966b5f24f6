"""A server that misbehaves: the real server process, its storage wrapped to lie.

Used where a test needs what an honest server never does: serve records it never admitted
(a pull door's hostile records), or leave records out of its pages.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from recap_desktop.crypto.canonical import canonical_bytes
from recap_desktop.domain.election import format_time
from recap_server.storage import RawHeld

FAR = 10**9  # injected entries sit beyond every real index


class Injecting:
    """Serves, after the real log, entries the server never admitted."""

    def __init__(self, storage: Any) -> None:
        self._storage = storage
        self.injected: list[RawHeld] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._storage, name)

    def inject(self, items: Sequence[dict[str, Any]], received: str | None = None) -> None:
        """Envelopes (as JSON objects, malformed ones included) served as log entries."""
        from datetime import UTC, datetime

        when = received or format_time(datetime.now(UTC))
        for item in items:
            self.injected.append(
                RawHeld(
                    FAR + len(self.injected),
                    str(item["hash"]),
                    str(item["signer"]),
                    canonical_bytes(item["payload"]).decode("utf-8"),
                    str(item["sig"]),
                    when,
                )
            )

    def pull_raw(self, jurisdiction: str, since: int, limit: int) -> list[RawHeld]:
        real = self._storage.pull_raw(jurisdiction, since, limit)
        room = limit - len(real)
        extra = [h for h in self.injected if h.id > since][: max(room, 0)]
        return [*real, *extra]
