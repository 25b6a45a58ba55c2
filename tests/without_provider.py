"""Evaluate a cloud module's inputs, locals, outputs and preconditions with Terraform alone.

The google and azurerm providers are not on this machine's provider mirror, so their modules
cannot be planned here. Terraform itself still evaluates everything that needs no provider: a
configuration holding the module's variables (with their validations), its locals, its outputs
and its resources' preconditions (as preconditions of one output), where every reference to a
resource or data source stands for a placeholder string naming it (or a value the test gives).
``one(<resource>[*].<attribute>)`` of a resource under ``count`` becomes null exactly when its
count expression (which reads inputs only) is 0, so the created and the given paths both evaluate
as Terraform would evaluate them. (Used by the Azure tests too.)
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

RESOURCE = r"(?:google|azurerm)_[a-z0-9_]+\.[a-z0-9_]+"
ONE_OF = re.compile(rf"one\(({RESOURCE})\[\*\]\.([a-z0-9_]+)\)")
REFERENCE = re.compile(rf"(?<![\w.\"])((?:data\.)?{RESOURCE})(?:\[0\])?\.([a-z0-9_]+)")


@dataclass
class Evaluation:
    ok: bool
    outputs: dict[str, Any]
    errors: str  # terraform's messages on one line, without its box drawing


def evaluate(module: Path, workdir: Path, inputs: dict[str, Any], known: dict[str, str] | None = None) -> Evaluation:
    """Apply a provider-free copy of ``module`` in ``workdir`` with ``inputs``; ``known`` maps
    ``<type>.<name>.<attribute>`` to the value to stand for it (a placeholder string otherwise)."""
    main = json.loads((module / "main.tf.json").read_text())
    counts = {
        f"{kind}.{name}": body["count"][2:-1]
        for kind, blocks in main.get("resource", {}).items()
        for name, body in blocks.items()
        if "count" in body
    }

    def stand_in(address: str, attribute: str) -> str:
        return json.dumps((known or {}).get(f"{address}.{attribute}", f"{address}.{attribute}"))

    def replace(text: str) -> str:
        def one_of(match: re.Match) -> str:
            address, attribute = match.groups()
            value = stand_in(address, attribute)
            return f"(({counts[address]}) == 0 ? null : {value})" if address in counts else value

        text = ONE_OF.sub(one_of, text)
        return REFERENCE.sub(lambda match: stand_in(*match.groups()), text)

    def replaced(value: Any) -> Any:
        if isinstance(value, str):
            return replace(value)
        if isinstance(value, list):
            return [replaced(item) for item in value]
        if isinstance(value, dict):
            return {key: replaced(item) for key, item in value.items()}
        return value

    preconditions = [
        check
        for blocks in main.get("resource", {}).values()
        for body in blocks.values()
        if "count" not in body
        for check in body.get("lifecycle", {}).get("precondition", [])
    ]
    outputs = {
        name: {"value": replaced(body["value"])} for name, body in json.loads((module / "outputs.tf.json").read_text())["output"].items()
    }
    outputs["resource_preconditions"] = {"value": True, "precondition": preconditions}
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "variables.tf.json").write_text((module / "variables.tf.json").read_text())
    (workdir / "main.tf.json").write_text(json.dumps({"locals": replaced(main.get("locals", {})), "output": outputs}))
    (workdir / "terraform.tfvars.json").write_text(json.dumps(inputs))
    env = {**os.environ, "TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1"}

    def terraform(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["terraform", *args, "-no-color"], cwd=workdir, env=env, capture_output=True, text=True, check=False)

    init = terraform("init", "-input=false")
    assert init.returncode == 0, init.stderr
    applied = terraform("apply", "-auto-approve", "-input=false")
    if applied.returncode != 0:
        return Evaluation(ok=False, outputs={}, errors=" ".join(applied.stderr.replace("│", " ").split()))
    shown = json.loads(terraform("output", "-json").stdout)
    return Evaluation(ok=True, outputs={name: item["value"] for name, item in shown.items()}, errors="")
