"""The synth pipeline: validate, run one worker process per provider binding, swap atomically.

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
from dataclasses import asdict
from pathlib import Path

from synthdata_infra.config import project_root, resolve
from synthdata_infra.errors import SynthdataError
from synthdata_infra.synth.registry import ModuleSpec, modules_for


class SynthFailure(SynthdataError):
    """The generator itself failed (not the input): exit status 1."""

    exit_code = 1


def synth(
    provider: str = "all",
    data_type: str = "all",
    out: Path = Path("modules_out"),
    jobs: int | None = None,
    log: Callable[[str], None] = lambda line: None,
) -> list[str]:
    """Synthesize the modules of ``provider`` x ``data_type`` into ``out``; returns their folders."""
    specs = modules_for(provider, data_type)
    for spec in specs:  # bad input fails here, before any process starts or file is written
        resolve(spec.name, environment=None)
    groups: dict[str, list[ModuleSpec]] = {}
    for spec in specs:
        groups.setdefault(spec.binding, []).append(spec)

    def build(staging: Path) -> None:
        run_workers(groups, staging, jobs or os.cpu_count() or 1, log)

    folders = [spec.folder for spec in specs]
    replace_atomically(Path(out), folders, build)
    return folders


def run_workers(groups: dict[str, list[ModuleSpec]], staging: Path, jobs: int, log: Callable[[str], None]) -> None:
    env = {**os.environ, "SYNTHDATA_INFRA_ROOT": str(project_root()), "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20"}
    pending = list(groups.items())
    running: list[tuple[str, subprocess.Popen[bytes], float]] = []
    failures: list[str] = []
    while pending or running:
        while pending and len(running) < jobs:
            binding, specs = pending.pop(0)
            command = [sys.executable, "-m", "synthdata_infra.synth.worker", str(staging)]
            command += [json.dumps(asdict(spec)) for spec in specs]
            log(f"synthesizing {len(specs)} {binding} module(s)")
            process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            running.append((binding, process, time.monotonic()))
        binding, process, started = running.pop(0)
        _, stderr = process.communicate()
        if process.returncode != 0:
            failures.append(f"{binding} worker exited with {process.returncode}:\n{stderr.decode(errors='replace')[-4000:]}")
        else:
            log(f"{binding} done in {time.monotonic() - started:.1f}s")
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
