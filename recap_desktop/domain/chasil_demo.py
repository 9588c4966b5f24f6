"""Consistent random C.Hasil values, for the demo and for benchmarks. Pure: the caller seeds it."""

from __future__ import annotations

import random
from collections.abc import Sequence

from recap_desktop.domain.election import Contest


def _split(total: int, parts: int, rng: random.Random) -> list[int]:
    """``parts`` non-negative integers adding up to ``total``, unevenly, like real votes."""
    weights = [rng.random() ** 2 + 0.05 for _ in range(parts)]
    scale = sum(weights)
    out = [int(total * w / scale) for w in weights]
    out[rng.randrange(parts)] += total - sum(out)
    return out


def random_sheet(contest: Contest, registered: int, rng: random.Random) -> dict[str, int]:
    """A sheet that keeps every error rule of the C.Hasil form (and usually every warning)."""
    dpt = registered
    dpt_voted = rng.randint(dpt * 60 // 100, dpt * 90 // 100)
    dptb_voted, dpk_voted = rng.randint(0, 5), rng.randint(0, 5)
    voted = dpt_voted + dptb_voted + dpk_voted
    disabled = rng.randint(0, 8)
    disabled_voted = rng.randint(0, min(disabled, voted))
    returned = rng.randint(0, 3)
    received = max(voted + returned, dpt + dpt * 2 // 100)
    unused = received - returned - voted
    invalid = rng.randint(0, voted // 25)
    valid = voted - invalid
    values = {
        "dpt": dpt,
        "dpt_voted": dpt_voted,
        "dptb_voted": dptb_voted,
        "dpk_voted": dpk_voted,
        "voted_total": voted,
        "disabled": disabled,
        "disabled_voted": disabled_voted,
        "ballots_received": received,
        "ballots_returned": returned,
        "ballots_unused": unused,
        "ballots_used": voted,
        "valid": valid,
        "invalid": invalid,
        "total": voted,
    }
    shares = _split(valid, len(contest.choices), rng)
    for choice, share in zip(contest.choices, shares, strict=True):
        if contest.kind == "candidates":
            values[f"v_{choice.id}"] = share
            continue
        parts: Sequence[int] = _split(share, len(choice.candidates) + 1, rng)
        values[f"{choice.id}_party"] = parts[0]
        for candidate, votes in zip(choice.candidates, parts[1:], strict=True):
            values[f"{choice.id}_c{candidate.number}"] = votes
        values[f"{choice.id}_total"] = share
    return values
