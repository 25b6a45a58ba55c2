"""Turn a synthesized cdktf stack into the files of a child module.

cdktf writes one ``cdk.tf.json`` per stack, with its own metadata and a local backend. A
child module gets the standard split instead (main, variables, outputs, versions), no
``"//"`` metadata, no backend and no provider configuration.
"""

from __future__ import annotations

import json
from typing import Any

from synthdata_infra.errors import SynthdataError
from synthdata_infra.synth.module_stack import ModuleDoc
from synthdata_infra.synth.readme import EXAMPLE_PROVIDERS, render_minimal_example, render_readme

MAIN_BLOCKS = ("locals", "data", "resource")


def strip_metadata(value: Any) -> Any:
    """Remove cdktf's ``"//"`` keys at every level."""
    if isinstance(value, dict):
        return {key: strip_metadata(item) for key, item in value.items() if key != "//"}
    if isinstance(value, list):
        return [strip_metadata(item) for item in value]
    return value


def module_files(stack: dict[str, Any], doc: ModuleDoc) -> dict[str, str]:
    """File name -> content of the module synthesized as ``stack``."""
    stack = strip_metadata(stack)
    if "provider" in stack:
        raise SynthdataError(f"{doc.title}: a child module must not configure providers ({sorted(stack['provider'])})")
    terraform = {key: value for key, value in stack.get("terraform", {}).items() if key != "backend"}
    variables = stack.get("variable", {})
    for name in doc.null_defaults:
        variables[name]["default"] = None
    unexpected = set(stack) - {"terraform", "variable", "output", *MAIN_BLOCKS}
    if unexpected:
        raise SynthdataError(f"{doc.title}: unexpected top-level blocks {sorted(unexpected)}")
    files = {
        "main.tf.json": {key: stack[key] for key in MAIN_BLOCKS if key in stack},
        "variables.tf.json": {"variable": variables},
        "outputs.tf.json": {"output": stack.get("output", {})},
        "versions.tf.json": {"terraform": terraform},
    }
    rendered = {name: to_json(content) for name, content in files.items()}
    rendered["README.md"] = render_readme(doc, files["main.tf.json"], variables, files["outputs.tf.json"]["output"], terraform)
    if all(name in EXAMPLE_PROVIDERS for name in terraform.get("required_providers", {})) and terraform.get("required_providers"):
        rendered["examples/minimal/main.tf"] = render_minimal_example(doc, variables, terraform)
    rendered.update(doc.extra_files)
    return rendered


def to_json(document: Any) -> str:
    """Stable bytes: sorted keys, two-space indent, trailing newline."""
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
