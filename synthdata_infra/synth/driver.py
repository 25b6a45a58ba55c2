"""The synth pipeline: validate, reuse cached modules, run one worker process per provider
binding for the rest, swap atomically.

Nothing under ``out`` changes until every module of the run is written: the workers write into
a staging folder beside ``out``, and only then are the module folders renamed into place. A
failure at any point before that leaves ``out`` exactly as it was.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from synthdata_infra.config import DATA_TYPES, project_root, resolve
from synthdata_infra.errors import SynthdataError
from synthdata_infra.synth.cache import SynthCache, cache_root, module_key, tree_digest
from synthdata_infra.synth.progress import SynthProgress
from synthdata_infra.synth.registry import ModuleSpec, modules_for


class SynthFailure(SynthdataError):
    """The generator itself failed (not the input): exit status 1."""

    exit_code = 1


@dataclass
class SynthReport:
    written: list[str] = field(default_factory=list)  # folders replaced in the output
    synthesized: list[str] = field(default_factory=list)  # built by a worker this run
    cached: list[str] = field(default_factory=list)  # copied from the cache
    unchanged: list[str] = field(default_factory=list)  # already up to date in the output


def synth(
    provider: str = "all",
    data_type: str = "all",
    out: Path = Path("modules_out"),
    jobs: int | None = None,
    use_cache: bool = True,
    progress: SynthProgress | None = None,
) -> SynthReport:
    """Synthesize the modules of ``provider`` x ``data_type`` into ``out``.

    Modules whose inputs are unchanged come from the cache (no worker, no provider binding
    import); modules already identical in ``out`` are left alone.
    """
    specs = modules_for(provider, data_type)
    for kind in DATA_TYPES:  # bad input fails here, before any process starts or file is written
        resolve(kind, environment=None)
    out = Path(out)
    cache = SynthCache(cache_root()) if use_cache else None
    keys = {spec.folder: module_key(spec) for spec in specs}
    hits = {spec.folder: entry for spec in specs if cache and (entry := cache.get(keys[spec.folder]))}
    report = SynthReport()
    report.unchanged = [f for f, entry in hits.items() if tree_digest(entry) == tree_digest(out / f)]
    report.cached = [f for f in hits if f not in report.unchanged]
    misses = [spec for spec in specs if spec.folder not in hits]
    report.synthesized = [spec.folder for spec in misses]
    report.written = report.cached + report.synthesized
    if not report.written:
        return report

    groups: dict[str, list[ModuleSpec]] = {}
    for spec in misses:
        groups.setdefault(spec.binding, []).append(spec)
    progress = progress or SynthProgress()

    def build(staging: Path) -> None:
        for folder in report.cached:
            shutil.copytree(hits[folder], staging / folder)
        run_workers(groups, staging, jobs or os.cpu_count() or 1, progress)
        if cache:
            for spec in misses:
                cache.put(keys[spec.folder], staging / spec.folder)

    with progress:
        for binding in {s.binding for s in specs} - set(groups):
            progress.set(binding, "cached")
        replace_atomically(out, report.written, build)
        for binding in groups:
            progress.set(binding, "written")
    return report


def run_workers(groups: dict[str, list[ModuleSpec]], staging: Path, jobs: int, progress: SynthProgress) -> None:
    """One process per provider binding, at most ``jobs`` at a time."""
    env = {**os.environ, "SYNTHDATA_INFRA_ROOT": str(project_root()), "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20"}
    pending = list(groups.items())
    running: list[tuple[str, subprocess.Popen[bytes], float]] = []
    failures: list[str] = []
    while pending or running:
        while pending and len(running) < jobs:
            binding, specs = pending.pop(0)
            command = [sys.executable, "-m", "synthdata_infra.synth.worker", str(staging)]
            command += [json.dumps(asdict(spec)) for spec in specs]
            progress.set(binding, "synthesizing", f"{len(specs)} module(s)")
            process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            running.append((binding, process, time.monotonic()))
        binding, process, started = running.pop(0)
        _, stderr = process.communicate()
        if process.returncode != 0:
            progress.set(binding, "failed")
            failures.append(f"{binding} worker exited with {process.returncode}:\n{stderr.decode(errors='replace')[-4000:]}")
        else:
            progress.set(binding, "done", f"{time.monotonic() - started:.1f}s")
    if failures:
        raise SynthFailure("synth failed; the output folder is unchanged.\n" + "\n".join(failures))


def replace_atomically(out: Path, folders: Iterable[str], build: Callable[[Path], None]) -> None:
    """Run ``build(staging)``, then move each of ``folders`` from staging into ``out``.

    If ``build`` raises, or a folder is missing, ``out`` is untouched. If a rename fails half
    way, the folders already moved are put back.
    """
    folders = list(folders)
    out.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.staging-", dir=out.parent))
    try:
        build(staging)
        missing = [folder for folder in folders if not (staging / folder).is_dir()]
        if missing:
            raise SynthFailure(f"synth produced no module for {', '.join(missing)}; the output folder is unchanged")
        trash = staging / ".previous"
        moved: list[str] = []
        try:
            for folder in folders:
                target = out / folder
                if target.exists():
                    (trash / folder).parent.mkdir(parents=True, exist_ok=True)
                    target.rename(trash / folder)
                target.parent.mkdir(parents=True, exist_ok=True)
                (staging / folder).rename(target)
                moved.append(folder)
        except OSError:
            for folder in reversed(folders):
                if folder in moved:
                    (out / folder).rename(staging / folder)
                if (trash / folder).exists():
                    (trash / folder).rename(out / folder)
            raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
