"""One synth worker: builds the modules of one provider binding and writes their folders.

Run as ``python -m synthdata_infra.synth.worker STAGING FOLDER...`` by the driver, one process
per binding, so each process imports only its own provider's bindings.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

from synthdata_infra.synth.module_files import module_files
from synthdata_infra.synth.registry import ModuleSpec


def build_stacks(app, specs: list[ModuleSpec]) -> list:
    """Add one module stack per spec to ``app``; a data type's module takes its defaults from
    the bare profile, a monitoring module covers every type."""
    from synthdata_infra.config import DATA_TYPES, resolve

    return [spec.build(app, resolve(spec.name, environment=None) if spec.name in DATA_TYPES else None) for spec in specs]


def synthesize(specs: list[ModuleSpec], staging: Path) -> None:
    """Write ``staging/<layer>/<name>/`` for every spec."""
    from synthdata_infra.cdk import App

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


def main(argv: list[str]) -> int:
    staging, *encoded = argv
    specs = [ModuleSpec(**json.loads(item)) for item in encoded]
    synthesize(specs, Path(staging))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
