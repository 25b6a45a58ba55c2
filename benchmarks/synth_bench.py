"""Benchmark of `synthdata-infra synth`: wall time and peak RSS of the whole process tree.

Scenarios, measured in one invocation so their figures compare:
  a. naive baseline: every module in ONE process that imports all four provider binding
     packages the plain way (benchmarks/naive_synth.py), no cache
  b. cold parallel synth: `synth --no-cache` (one worker per binding, --jobs = CPU count)
  c. warm no-op synth: `synth` when every module is cached and up to date
  d. one changed profile: a one-line change to profiles/audio/profile.yaml, then `synth`

Run: .venv/bin/python benchmarks/synth_bench.py [--repeat 3]
Prints medians of the repeats and each scenario's ratio to the baseline.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PAGE = os.sysconf("SC_PAGE_SIZE")


def tree_rss(root: int) -> int:
    """Resident bytes of ``root`` and all its descendants, from /proc."""
    parents: dict[int, int] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
            fields = stat[stat.rindex(")") + 2 :].split()
            parents[int(entry)] = int(fields[1])
            rss[int(entry)] = int(fields[21]) * PAGE
        except (OSError, ValueError, IndexError):
            continue
    tree, frontier = {root}, [root]
    while frontier:
        parent = frontier.pop()
        children = [pid for pid, ppid in parents.items() if ppid == parent and pid not in tree]
        tree.update(children)
        frontier.extend(children)
    return sum(rss.get(pid, 0) for pid in tree)


def measure(command: list[str], env: dict[str, str]) -> tuple[float, int]:
    """Wall seconds and peak tree RSS (sampled every 20 ms) of one run; fails loudly."""
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = 0
    while process.poll() is None:
        peak = max(peak, tree_rss(process.pid))
        time.sleep(0.02)
    wall = time.perf_counter() - started
    stderr = process.stderr.read().decode() if process.stderr else ""
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{stderr[-3000:]}")
    return wall, peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    from synthdata_infra.synth.registry import modules_for

    scratch = Path(tempfile.mkdtemp(prefix="synth-bench-"))
    project = scratch / "project"
    for folder in ("profiles", "environments"):
        shutil.copytree(REPO / folder, project / folder)
    env = {
        **os.environ,
        "SYNTHDATA_INFRA_ROOT": str(project),
        "SYNTHDATA_INFRA_CACHE": str(scratch / "cache"),
        "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
    }
    cli = str(Path(sys.executable).with_name("synthdata-infra"))
    all_specs = [json.dumps(asdict(spec)) for spec in modules_for("all", "all")]
    results: dict[str, list[tuple[float, int]]] = {}

    def run(name: str, command: list[str], before=None) -> None:
        for index in range(args.repeat):
            if before:
                before(index)
            results.setdefault(name, []).append(measure(command, env))

    def fresh_staging(index: int) -> None:
        shutil.rmtree(scratch / "naive", ignore_errors=True)
        (scratch / "naive").mkdir()

    naive = [sys.executable, str(REPO / "benchmarks" / "naive_synth.py"), str(scratch / "naive"), *all_specs]
    run("a. naive: one process, all bindings", naive, fresh_staging)
    run("b. cold parallel (--no-cache)", [cli, "synth", "--no-cache", "--out", str(scratch / "cold")])
    measure([cli, "synth", "--out", str(scratch / "warm")], env)  # fill the cache and the output
    run("c. warm no-op", [cli, "synth", "--out", str(scratch / "warm")])

    audio = project / "profiles" / "audio" / "profile.yaml"
    original = audio.read_text()

    def change_profile(index: int) -> None:
        audio.write_text(original.replace("size: 1Ti", f"size: {1100 + index}Gi"))

    run("d. one profile changed", [cli, "synth", "--out", str(scratch / "warm")], change_profile)
    audio.write_text(original)

    baseline_wall = statistics.median(w for w, _ in results["a. naive: one process, all bindings"])
    baseline_rss = statistics.median(r for _, r in results["a. naive: one process, all bindings"])
    print(f"synth benchmark: {os.cpu_count()} CPUs, median of {args.repeat} runs, {len(all_specs)} modules")
    print(f"{'scenario':40} {'wall s':>8} {'x base':>7} {'peak RSS GiB':>13} {'x base':>7}")
    for name, samples in results.items():
        wall = statistics.median(w for w, _ in samples)
        rss = statistics.median(r for _, r in samples)
        print(f"{name:40} {wall:8.2f} {wall / baseline_wall:7.2f} {rss / 2**30:13.2f} {rss / baseline_rss:7.2f}")
    shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
