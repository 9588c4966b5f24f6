"""Who may make the server work, and how much (PROTOCOL §9.9), decided from a push's headers
before a byte of its body is read.

- A push names its certified key by a push token (``recap_desktop.protocol.pushauth``); one
  without a token may carry only a small body (a laptop's first push of its own certificate,
  which the authority signed), so a stranger can cost the server at most that.
- Each key (or, without a token, each client address) has a token bucket: beyond its rate the
  answer is 429 with ``Retry-After``.
- At most ``max_reading`` bodies are received at once, and ``max_active`` pushes parsed and
  admitted at once with ``max_waiting`` waiting for their turn; beyond either the answer is
  503 with ``Retry-After``, at once.

The bucket is our own few lines: a dependency for a dictionary of two floats per key would
cost more than it saves.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime

from recap_desktop.protocol.pushauth import HEADER, TokenError, Uncertified, check_token
from recap_desktop.protocol.trust import Trust


@dataclass(frozen=True)
class GateLimits:
    require_token: bool = True
    limit_rate: bool = True  # per-key token buckets (off: an API alone, under its tests)
    anonymous_bytes: int = 64 * 1024  # a push without a token: on the wire
    max_active: int = 2  # pushes parsed or admitted at once (admission is serialised anyway)
    max_waiting: int = 64  # pushes queued behind them
    max_reading: int = 32  # bodies being received at once (at most 16 MiB each in memory)
    # Pushes a second per key, sustained, and at once: a push of 500 sheets costs the server
    # ~0.1 s, so 10 a second is one key taking the whole of a core; a laptop back from an
    # outage with a regency's bundle sends 50 batches at once.
    rate: float = 10.0
    burst: int = 50
    busy_retry_after: int = 5  # seconds, when the queue is full
    max_keys: int = 100_000  # buckets remembered (the oldest forgotten first)


class Refusal(Exception):
    """An answer given before any work: status, sentence, and Retry-After if any."""

    def __init__(self, status: int, message: str, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after

    @property
    def headers(self) -> dict[str, str] | None:
        return {"Retry-After": str(self.retry_after)} if self.retry_after is not None else None


@dataclass
class _Bucket:
    tokens: float
    at: float


class PushGate:
    def __init__(
        self,
        trust: Callable[[], Trust],
        clock: Callable[[], datetime],
        limits: GateLimits = GateLimits(),
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limits = limits
        self._trust = trust
        self._clock = clock
        self._monotonic = monotonic
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()
        self._checked: OrderedDict[str, tuple[Trust, str]] = OrderedDict()
        self._running = asyncio.Semaphore(limits.max_active)
        self._queued = 0
        self._reading = 0

    def who(self, headers: Mapping[str, str], client: str) -> tuple[str, int | None]:
        """The bucket's name and the largest body allowed (None: the server's own limit).
        Raises Refusal (401) for a token that does not hold or a missing one where needed."""
        text = headers.get(HEADER.lower()) or headers.get(HEADER)
        anonymous = (
            f"address {client}",
            (self.limits.anonymous_bytes if self.limits.require_token else None),
        )
        if text is None:
            return anonymous
        trust = self._trust()
        cached = self._checked.get(text)
        if cached is not None and cached[0] is trust:
            self._checked.move_to_end(text)
            return f"key {cached[1]}", None
        try:
            token = check_token(text, trust, self._clock())
        except Uncertified:
            return anonymous  # its certificate may be in this very push
        except TokenError as exc:
            raise Refusal(401, f"push refused: {exc}") from exc
        self._checked[text] = (trust, token.key_id)
        if len(self._checked) > self.limits.max_keys:
            self._checked.popitem(last=False)
        return f"key {token.key_id}", None

    def spend(self, name: str) -> None:
        """Take one push from ``name``'s bucket, or refuse 429 saying when one is back."""
        limits = self.limits
        if not limits.limit_rate:
            return
        now = self._monotonic()
        bucket = self._buckets.pop(name, None) or _Bucket(float(limits.burst), now)
        bucket.tokens = min(float(limits.burst), bucket.tokens + (now - bucket.at) * limits.rate)
        bucket.at = now
        self._buckets[name] = bucket
        if len(self._buckets) > limits.max_keys:
            self._buckets.popitem(last=False)
        if bucket.tokens < 1.0:
            wait = math.ceil((1.0 - bucket.tokens) / limits.rate)
            raise Refusal(429, "too many pushes from this key: wait and try again", max(1, wait))
        bucket.tokens -= 1.0

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[None]:
        """One of ``max_reading`` bodies being received: a slow sender holds this, never a
        place of the work (two slow bodies must not stop every push)."""
        if self._reading >= self.limits.max_reading:
            raise Refusal(
                503, "the server is busy: try again shortly", self.limits.busy_retry_after
            )
        self._reading += 1
        try:
            yield
        finally:
            self._reading -= 1

    @asynccontextmanager
    async def turn(self) -> AsyncIterator[None]:
        """One of ``max_active`` places, waiting in a queue of at most ``max_waiting``."""
        if self._running.locked() and self._queued >= self.limits.max_waiting:
            raise Refusal(
                503, "the server is busy: try again shortly", self.limits.busy_retry_after
            )
        self._queued += 1
        try:
            await self._running.acquire()
        finally:
            self._queued -= 1
        try:
            yield
        finally:
            self._running.release()
