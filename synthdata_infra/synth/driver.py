"""The synth pipeline: validate, reuse cached modules, run one worker process per provider
binding for the rest, swap the whole output tree atomically.

Nothing under ``out`` changes until the complete new tree is built: it is assembled in a staging
folder beside ``out`` (unchanged modules linked from the old tree, cached modules copied and
checked against their manifest, the rest written by the workers) and then swapped in with
renames; see :mod:`synthdata_infra.synth.output` for the protocol and how the next run recovers
from a run killed half way. Worker processes, and the node processes jsii starts for them, die
with the driver: each worker leads a process group of its own and kills that group when its
parent dies (``PR_SET_PDEATHSIG``, plus a thread watching the parent pid); see ``worker``.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from synthdata_infra.config import data_types, project_root, resolve
from synthdata_infra.errors import SynthdataError
from synthdata_infra.synth.cache import CacheEntry, SynthCache, cache_root, module_key
from synthdata_infra.synth.output import build_and_swap, check_out, output_lock, owned_files, recover
from synthdata_infra.synth.progress import SynthProgress
from synthdata_infra.synth.registry import ModuleSpec, modules_for

PARENT_PID_ENV = "SYNTHDATA_INFRA_SYNTH_PARENT"


class SynthFailure(SynthdataError):
    """The generator itself failed (not the input): exit status 1."""

    exit_code = 1


@dataclass
class SynthReport:
    written: list[str] = field(default_factory=list)  # folders replaced in the output
    synthesized: list[str] = field(default_factory=list)  # built by a worker this run
    cached: list[str] = field(default_factory=list)  # copied from the cache
    unchanged: list[str] = field(default_factory=list)  # already up to date in the output


def warn_on_stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def synth(
    provider: str = "all",
    data_type: str = "all",
    out: Path = Path("modules_out"),
    jobs: int | None = None,
    use_cache: bool = True,
    progress: SynthProgress | None = None,
    warn: Callable[[str], None] = warn_on_stderr,
) -> SynthReport:
    """Synthesize the modules of ``provider`` x ``data_type`` into ``out``.

    Modules whose inputs are unchanged come from the cache (no worker, no provider binding
    import); modules already identical in ``out`` are left alone. A corrupt cache entry is
    reported through ``warn`` (one line naming the module), discarded and synthesized again.
    """
    specs = modules_for(provider, data_type)
    for kind in data_types():  # bad input fails here, before any process starts or file is written
        resolve(kind, environment=None)
    shown = str(out)
    out = check_out(Path(out))
    cache = SynthCache(cache_root()) if use_cache else None
    with output_lock(out):
        recover(out)
        old_files = owned_files(out, shown)
        keys = {spec.folder: module_key(spec) for spec in specs}
        hits: dict[str, CacheEntry] = {}
        for spec in specs:
            if cache is None:
                continue
            entry, problem = cache.lookup(keys[spec.folder])
            if problem:
                warn(f"warning: cache entry of {spec.folder} is corrupt ({problem}); discarded, synthesizing it again")
            if entry:
                hits[spec.folder] = entry
        report = SynthReport()
        report.unchanged = [f for f, entry in hits.items() if entry.problem(out / f) is None]
        report.cached = [f for f in hits if f not in report.unchanged]
        report.synthesized = [spec.folder for spec in specs if spec.folder not in hits]
        report.written = report.cached + report.synthesized
        if not report.written and old_files:  # every module already in place, the marker too
            return report
        progress = progress or SynthProgress()

        def build(staging: Path) -> None:
            for folder in list(report.cached):
                entry = hits[folder]
                shutil.copytree(entry.folder, staging / folder)
                problem = entry.problem(staging / folder)  # check what is written, not what was read
                if problem:
                    warn(f"warning: cache entry of {folder} is corrupt ({problem}); discarded, synthesizing it again")
                    cache.discard(entry.key)
                    shutil.rmtree(staging / folder)
                    report.cached.remove(folder)
                    report.synthesized.append(folder)
            misses = [spec for spec in specs if spec.folder in report.synthesized]
            groups: dict[str, list[ModuleSpec]] = {}
            for spec in misses:
                groups.setdefault(spec.binding, []).append(spec)
            for binding in {s.binding for s in specs} - set(groups):
                progress.set(binding, "cached")
            run_workers(groups, staging, jobs or os.cpu_count() or 1, progress)
            if cache:
                for spec in misses:
                    cache.put(keys[spec.folder], staging / spec.folder)
            for binding in groups:
                progress.set(binding, "written")

        with progress:
            build_and_swap(out, report.written, build, check=lambda staging: _check_built(staging, report.written))
    return report


def _check_built(staging: Path, folders: Iterable[str]) -> None:
    missing = [folder for folder in folders if not (staging / folder).is_dir()]
    if missing:
        raise SynthFailure(f"synth produced no module for {', '.join(missing)}; the output folder is unchanged")


def run_workers(groups: dict[str, list[ModuleSpec]], staging: Path, jobs: int, progress: SynthProgress) -> None:
    """One process per provider binding, at most ``jobs`` at a time; they die with this process."""
    env = {
        **os.environ,
        "SYNTHDATA_INFRA_ROOT": str(project_root()),
        "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
        PARENT_PID_ENV: str(os.getpid()),
    }
    pending = list(groups.items())
    running: list[tuple[str, subprocess.Popen[bytes], float]] = []
    failures: list[str] = []
    try:
        while pending or running:
            while pending and len(running) < jobs:
                binding, specs = pending.pop(0)
                command = [sys.executable, "-m", "synthdata_infra.synth.worker", str(staging)]
                command += [json.dumps(asdict(spec)) for spec in specs]
                progress.set(binding, "synthesizing", f"{len(specs)} module(s)")
                # a session of its own: the worker can end its group (jsii's node processes) and so can we
                process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
                running.append((binding, process, time.monotonic()))
            binding, process, started = running[0]
            _, stderr = process.communicate()
            running.pop(0)
            if process.returncode != 0:
                progress.set(binding, "failed")
                failures.append(f"{binding} worker exited with {process.returncode}:\n{stderr.decode(errors='replace')[-4000:]}")
            else:
                progress.set(binding, "done", f"{time.monotonic() - started:.1f}s")
    finally:  # an exception (Ctrl-C, SIGTERM turned into SystemExit): no worker outlives the run
        for _, process, _ in running:
            if process.poll() is None:
                try:
                    os.killpg(process.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                process.wait()
    if failures:
        raise SynthFailure("synth failed; the output folder is unchanged.\n" + "\n".join(failures))


def replace_atomically(out: Path, folders: Iterable[str], build: Callable[[Path], None]) -> None:
    """Run ``build(staging)``, then make ``out`` the old tree with each of ``folders`` replaced by
    what ``build`` wrote there, in one swap.

    If ``build`` raises, or a folder is missing, ``out`` is untouched and no staging folder is
    left; if the process is killed, the next run recovers (see ``synth.output``).
    """
    folders = list(folders)
    out = Path(os.path.abspath(out))
    with output_lock(out):
        recover(out)
        build_and_swap(out, folders, build, check=lambda staging: _check_built(staging, folders))
