"""``python -m bench.summary``: what the partitions' summary costs a push (issue 14).

Every push that stores records grows the server's summary of the partitions (every
partition's size and root, ``recap_server.log.Summary``) by the one or two partitions it
grew, makes the new root its head signs, and drops the old summary once no reader holds it.
This measures that, per push, at a national log's 7,000 partitions: CPU and wall, the mean
over ``--pushes`` pushes, each growing one partition picked at random.

    python -m bench.summary [--partitions 7000] [--pushes 2000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

from recap_server.log import Summary


def per_push(partitions: int, pushes: int, seed: int = 1) -> tuple[float, float]:
    """(µs of CPU, µs of wall) a push: ``grown``, its ``root``, the old summary freed."""
    rng = random.Random(seed)
    names = [f"{n // 200:02d}.{n // 10 % 20:02d}.{n % 10:02d}" for n in range(partitions)]
    summary = Summary({name: (rng.randrange(1, 500), rng.randbytes(32)) for name in names})
    assert summary.root
    changes = [
        {names[rng.randrange(partitions)]: (i + 1, rng.randbytes(32))} for i in range(pushes)
    ]
    wall, cpu = time.perf_counter(), time.process_time()
    for change in changes:
        summary = summary.grown(change)  # the old one is freed here, as the ledger's view is
        assert summary.root
    return (
        (time.process_time() - cpu) / pushes * 1e6,
        (time.perf_counter() - wall) / pushes * 1e6,
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--partitions", type=int, default=7000)
    parser.add_argument("--pushes", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    found = [per_push(args.partitions, args.pushes, seed) for seed in range(args.rounds)]
    cpu = statistics.median(c for c, _ in found)
    wall = statistics.median(w for _, w in found)
    print(
        f"summary grown a push, {args.partitions:,} partitions: {cpu:.0f} µs of CPU,"
        f" {wall:.0f} µs of wall (median of {args.rounds} rounds of {args.pushes:,} pushes)"
    )


if __name__ == "__main__":
    main()
