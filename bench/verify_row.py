"""``python -m bench.verify_row [--records N] [--rounds R]``: the ``verify_store`` row of
``python -m bench`` alone (a minute instead of the whole run), for working on that path.

Each round measures cryptography's single-core raw verify (the row's baseline), then
``verify_store`` over the cached store of N records (``bench.stores``), then the raw verify
per CPU-second, and prints the row's ratio, the CPU efficiency and the load average, so that
rounds of two builds can be interleaved on a shared machine and compared in the same
conditions.
"""

from __future__ import annotations

import argparse
import os
import statistics

from bench import baselines, core, stores
from recap_desktop.services import verify as verify_service


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=20_000, help="store size (as --quick)")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--loop", type=int, default=1000, help="verifications per baseline repeat")
    args = parser.parse_args()
    big = stores.cached(args.records, log=True)
    cores = verify_service.worker_count(args.records)
    for round_ in range(args.rounds):
        load = os.getloadavg()[0]
        raw = statistics.median(baselines.verify_per_second(args.loop))
        rate, seconds, held, cpu = core.verify_store_rate(big)
        raw_cpu = baselines.verify_cpu_per_second(args.loop)
        print(
            f"round {round_ + 1}: verify_store {held:,} records in {seconds:.2f} s ="
            f" {rate:,.0f}/s, raw {raw:,.0f}/s, ratio {rate / raw:.3f} (target {0.9 * cores:.1f},"
            f" {cores} process(es)); {held / cpu:,.0f} records per CPU-s ="
            f" {held / cpu / raw_cpu:.3f} x raw per CPU-s; load {load:.2f} ->"
            f" {os.getloadavg()[0]:.2f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
