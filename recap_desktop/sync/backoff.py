"""Capped exponential backoff with full jitter (as Electrum's NetworkRetryManager does)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field


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

    def reset(self) -> None:
        self.attempt = 0
