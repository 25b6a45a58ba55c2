"""How long the test suite takes with different numbers of pytest-xdist workers.

The long tests spend much of their time waiting on Terraform's fixed polls (an S3 lifecycle
configuration alone waits ~55 s against the local AWS API) rather than on the CPU, so more
workers than cores can finish sooner; memory and CPU contention push the other way. This runs
the chosen tests once per worker count per round, alternating the order between rounds, and
prints each count's median wall time and its ratio to the first count (the baseline).

    .venv/bin/python benchmarks/suite_workers.py --workers 4 6 --rounds 1 [-- -m "not slow"]

Run it on a quiet machine from the project root, after `make install tools`. The figures
compare worker counts measured in the same invocation, not across machines.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time


def run(workers: int, extra: list[str]) -> tuple[float, str]:
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-n", str(workers), *extra],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "GOGC": os.environ.get("GOGC", "400")},
    )
    elapsed = time.monotonic() - started
    summary = (done.stdout.strip().splitlines() or ["(no output)"])[-1]
    if done.returncode != 0:
        raise SystemExit(f"-n {workers} failed ({done.returncode}): {summary}")
    return elapsed, summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, nargs="+", default=[4, 6], help="worker counts; the first is the baseline")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("pytest_args", nargs="*", help="passed to pytest after --")
    args = parser.parse_args()
    times: dict[int, list[float]] = {n: [] for n in args.workers}
    for round_number in range(args.rounds):
        order = args.workers if round_number % 2 == 0 else list(reversed(args.workers))
        for workers in order:
            elapsed, summary = run(workers, args.pytest_args)
            times[workers].append(elapsed)
            print(f"round {round_number + 1}  -n {workers}: {elapsed:7.1f} s  ({summary})", flush=True)
    baseline = statistics.median(times[args.workers[0]])
    print(f"\n{'workers':>7}  {'median s':>9}  {'ratio':>6}")
    for workers, values in times.items():
        median = statistics.median(values)
        print(f"{workers:>7}  {median:9.1f}  {median / baseline:6.2f}")


if __name__ == "__main__":
    main()
