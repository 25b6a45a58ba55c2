"""Build modules from configurations given on stdin and print a digest of each module's files.

``python -m tests.key_effects`` reads ``[{"id", "layer", "data_type", "overrides"}, ...]`` (the
layers of one provider binding, e.g. ``kubernetes`` or ``aws``), builds each module from ``resolve(data_type, None,
overrides)`` in one cdktf app, as ``synthdata-infra synth`` builds it from an edited profile, and
prints ``{id: sha256 of the module's files}``. One process per binding keeps the provider
bindings' memory out of the pytest process.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import sys
import tempfile
from pathlib import Path


def digests(entries: list[dict]) -> dict[str, str]:
    from synthdata_infra.cdk import App
    from synthdata_infra.config import resolve
    from synthdata_infra.synth.module_files import module_files
    from synthdata_infra.synth.registry import modules_for

    with tempfile.TemporaryDirectory(prefix="synthdata-key-effects-") as outdir:
        app = App(outdir=outdir, skip_validation=True)
        built = []
        for index, entry in enumerate(entries):
            (spec,) = [s for s in modules_for("all", entry["data_type"]) if s.layer == entry["layer"]]
            stack_id = f"k{index}"
            module_name, _, function = spec.builder.partition(":")
            builder = getattr(importlib.import_module(module_name), function)
            built.append((entry["id"], stack_id, builder(app, stack_id, resolve(entry["data_type"], None, entry["overrides"]))))
        app.synth()
        result = {}
        for entry_id, stack_id, stack in built:
            synthesized = json.loads((Path(outdir) / "stacks" / stack_id / "cdk.tf.json").read_text())
            files = module_files(synthesized, stack.doc)
            text = json.dumps({name: files[name] for name in sorted(files)}, sort_keys=True)
            result[entry_id] = hashlib.sha256(text.encode()).hexdigest()
        return result


if __name__ == "__main__":
    json.dump(digests(json.load(sys.stdin)), sys.stdout)
