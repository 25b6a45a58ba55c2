"""One synth worker: builds the modules of one provider binding and writes their folders.

Run as ``python -m synthdata_infra.synth.worker STAGING FOLDER...`` by the driver, one process
per binding, so each process imports only its own provider's bindings. A worker dies with the
driver that started it (its pid is in ``SYNTHDATA_INFRA_SYNTH_PARENT``): the kernel sends it
a signal when the driver dies (Linux ``PR_SET_PDEATHSIG``) or its watcher thread sees the parent
change, and then kills its own process group, jsii's node processes included.
"""

from __future__ import annotations

import ctypes
import json
import os
import signal
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from synthdata_infra.synth.registry import ModuleSpec

# No project import at the top: importing cdktf starts jsii's node process, and the worker must
# be bound to its parent (die_with_parent) before that.


def build_stacks(app, specs: list[ModuleSpec]) -> list:
    """Add one module stack per spec to ``app``; a data type's module takes its defaults from
    the bare profile, a monitoring module covers every type."""
    from synthdata_infra.config import data_types, resolve

    return [spec.build(app, resolve(spec.name, environment=None) if spec.name in data_types() else None) for spec in specs]


def synthesize(specs: list[ModuleSpec], staging: Path) -> None:
    """Write ``staging/<layer>/<name>/`` for every spec."""
    from synthdata_infra.cdk import App
    from synthdata_infra.synth.module_files import module_files

    with tempfile.TemporaryDirectory(prefix="synthdata-cdktf-") as outdir:
        app = App(outdir=outdir, skip_validation=True)
        stacks = list(zip(specs, build_stacks(app, specs)))
        app.synth()
        for spec, stack in stacks:
            synthesized = json.loads((Path(outdir) / "stacks" / spec.stack_id / "cdk.tf.json").read_text())
            target = staging / spec.folder
            target.mkdir(parents=True)
            for name, content in module_files(synthesized, stack.doc).items():
                (target / name).parent.mkdir(parents=True, exist_ok=True)
                (target / name).write_text(content, encoding="utf-8")


PR_SET_PDEATHSIG = 1


def die_with_parent(parent: int | None) -> None:
    """End this worker, and the node processes jsii started for it, as soon as process ``parent``
    (the driver) is gone.

    The driver starts each worker in a session of its own, so the worker leads a process group
    that also holds jsii's node processes; ending means SIGKILL to that whole group. Triggers:
    SIGTERM from the kernel when the parent dies (Linux ``PR_SET_PDEATHSIG``), and a thread that
    watches the parent pid (other systems, or should the signal come while it cannot be handled).
    """
    if not parent:
        return
    leader = os.getpgrp() == os.getpid()

    def end(*_: object) -> None:
        if leader:
            os.killpg(os.getpid(), signal.SIGKILL)
        os._exit(1)

    signal.signal(signal.SIGTERM, end)
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
        except (AttributeError, OSError):
            pass
    if os.getppid() != parent:  # the driver died before the signal was armed
        end()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.2)
        end()

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def main(argv: list[str]) -> int:
    from synthdata_infra.synth.registry import ModuleSpec

    die_with_parent(int(os.environ.get("SYNTHDATA_INFRA_SYNTH_PARENT", "0") or 0))
    staging, *encoded = argv
    specs = [ModuleSpec(**json.loads(item)) for item in encoded]
    synthesize(specs, Path(staging))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
