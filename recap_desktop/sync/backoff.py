"""Capped exponential backoff with full jitter (as Electrum's NetworkRetryManager does)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

# A server's Retry-After is waited, and up to this many times as long (spread at random).
RETRY_AFTER_SPREAD = 1.5


@dataclass
class Backoff:
    """Delay before retry n: uniform in [base/2 * 2^n, base * 2^n], capped.

    Half of the range is random so that thousands of laptops coming back after an outage do
    not all knock at the same second; the lower half-bound keeps the delay from collapsing.
    """

    base: float = 1.0
    cap: float = 300.0
    rng: random.Random = field(default_factory=random.Random)
    attempt: int = 0

    def next_delay(self) -> float:
        ceiling = min(self.cap, self.base * (2 ** min(self.attempt, 62)))
        self.attempt += 1
        return self.rng.uniform(ceiling / 2, ceiling)

    def after(self, told: float | None) -> float:
        """The next delay, or longer if the server said when to come back (429/503
        Retry-After): between the time told and RETRY_AFTER_SPREAD times it, so that a
        server telling every laptop of a surge "5 s" does not get them back in the same
        second (PROTOCOL §9.9). The engine and the photo uploads both wait this."""
        delay = self.next_delay()
        if told is None:
            return delay
        return max(delay, told * self.rng.uniform(1.0, RETRY_AFTER_SPREAD))

    def reset(self) -> None:
        self.attempt = 0
