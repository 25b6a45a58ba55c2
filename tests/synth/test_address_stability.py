"""A resource address is part of a module's contract: renaming or dropping one makes Terraform
destroy the real resource (and create a new one) in every team's state.

Each module's addresses are compared with the previous committed version of the same module
(the newest commit whose ``main.tf.json`` differs from the one now in the tree). An address
that is gone must be the ``from`` of a ``moved`` block in the new version, or be listed with a
reason in ``synthdata_infra/synth/data/removed_addresses.yaml`` (a deliberate removal)."""

from __future__ import annotations

import json
import subprocess

import pytest
import yaml

from tests.conftest import REPO

MODULES = sorted(str(path.parent.relative_to(REPO / "modules_out")) for path in (REPO / "modules_out").glob("*/*/main.tf.json"))
REMOVED = REPO / "synthdata_infra" / "synth" / "data" / "removed_addresses.yaml"


def git(*args: str) -> str:
    done = subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True, check=False)
    assert done.returncode == 0, f"git {' '.join(args)}: {done.stderr} (the test needs the repository's history)"
    return done.stdout


def addresses(main: dict) -> set[str]:
    found = {f"{kind}.{name}" for kind, blocks in main.get("resource", {}).items() for name in blocks}
    found |= {f"data.{kind}.{name}" for kind, blocks in main.get("data", {}).items() for name in blocks}
    return found


def previous_version(path: str) -> dict | None:
    """The module's main.tf.json before its newest change (None for a module new in this change)."""
    current = (REPO / path).read_text()
    for commit in git("log", "--format=%H", "--", path).split():
        text = git("show", f"{commit}:{path}")
        if text != current:
            return json.loads(text)
    return None


def unaccounted(before: dict, after: dict, module: str) -> set[str]:
    """Addresses of ``before`` that ``after`` neither keeps, moves, nor removes on purpose."""
    moved = {block["from"] for block in after.get("moved", [])}
    removed = set((yaml.safe_load(REMOVED.read_text()) or {}).get(module, {})) if REMOVED.is_file() else set()
    gone = {address for address in addresses(before) - addresses(after) if not address.startswith("data.")}
    return gone - moved - removed


@pytest.mark.parametrize("module", MODULES)
def test_no_resource_address_is_renamed_or_dropped_without_a_moved_block(module):
    path = f"modules_out/{module}/main.tf.json"
    before = previous_version(path)
    if before is None:
        return  # a new module: nothing to keep
    after = json.loads((REPO / path).read_text())
    assert unaccounted(before, after, module) == set(), f"{module}: add moved blocks, or list deliberate removals in {REMOVED.name}"


def test_a_planted_rename_is_caught():
    main = json.loads((REPO / "modules_out" / "aws" / "tabular" / "main.tf.json").read_text())
    renamed = json.loads(json.dumps(main))
    renamed["resource"]["aws_s3_bucket"]["bucket"] = renamed["resource"]["aws_s3_bucket"].pop("data_bucket")
    assert unaccounted(main, renamed, "aws/tabular") == {"aws_s3_bucket.data_bucket"}
    renamed["moved"] = [{"from": "aws_s3_bucket.data_bucket", "to": "aws_s3_bucket.bucket"}]
    assert unaccounted(main, renamed, "aws/tabular") == set()
