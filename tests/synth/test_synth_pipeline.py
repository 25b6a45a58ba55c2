"""The synth pipeline: golden output, determinism, child-module rules, atomic writes."""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path

import pytest

from synthdata_infra.synth.driver import SynthFailure, replace_atomically
from tests.conftest import REPO, TYPES, edit_yaml
from tests.conftest import LAYERS, MODULES, load, run_cli

MODULE_FILES = {"main.tf.json", "variables.tf.json", "outputs.tf.json", "versions.tf.json", "README.md"}


def tree_digest(folder: Path) -> dict[str, str]:
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def test_writes_one_module_folder_per_layer_and_data_type(fresh_modules):
    folders = {(p.parent.name, p.name) for p in fresh_modules.glob("*/*") if p.is_dir()}
    assert folders == set(MODULES)
    for layer, kind in MODULES:
        files = {p.name for p in (fresh_modules / layer / kind).iterdir() if p.is_file()}
        assert files == MODULE_FILES, (layer, kind)


def test_committed_modules_match_a_fresh_synth(fresh_modules):
    """modules_out/ is golden output: regenerate it (make synth) in the commit that changes it."""
    assert tree_digest(REPO / "modules_out") == tree_digest(fresh_modules), "modules_out is stale: run `make synth`"


def test_two_runs_give_identical_bytes(fresh_modules, tmp_path):
    again = tmp_path / "again"
    assert run_cli("synth", "--provider", "all", "--out", str(again)).returncode == 0
    assert tree_digest(again) == tree_digest(fresh_modules)


def test_one_type_replaces_only_its_folder(fresh_modules, tmp_path):
    out = tmp_path / "out"
    assert run_cli("synth", "--provider", "onprem", "--out", str(out)).returncode == 0
    edited = out / "kubernetes" / "audio" / "README.md"  # a generated file someone edited: not synth's to undo here
    edited.write_text("left alone")
    done = run_cli("synth", "--provider", "onprem", "--type", "video", "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert edited.read_text() == "left alone"
    assert tree_digest(out / "kubernetes" / "video") == tree_digest(fresh_modules / "kubernetes" / "video")


@pytest.mark.parametrize(("layer", "kind"), MODULES)
def test_child_module_rules(fresh_modules, layer, kind):
    module = fresh_modules / layer / kind
    documents = {name: load(module, name) for name in MODULE_FILES - {"README.md"}}
    for name, document in documents.items():
        assert "provider" not in document, name
        assert "backend" not in json.dumps(document.get("terraform", {})), name
        assert '"//"' not in (module / name).read_text(), name
    text = "".join((module / name).read_text() for name in MODULE_FILES)
    for absolute in (str(REPO), str(fresh_modules), os.path.expanduser("~") + "/", "/tmp/", "/work/"):
        assert absolute not in text
    requirements = documents["versions.tf.json"]["terraform"]["required_providers"]
    local_name, source = LAYERS[layer]
    assert list(requirements) == [local_name]
    assert requirements[local_name]["source"] == source
    assert re.fullmatch(r">= \d+\.\d+\.\d+, < \d+\.0\.0", requirements[local_name]["version"])
    for name, variable in documents["variables.tf.json"]["variable"].items():
        assert variable.get("type") and variable.get("description"), name
    for name, output in documents["outputs.tf.json"]["output"].items():
        assert output.get("description"), name


@pytest.mark.parametrize(("layer", "kind"), MODULES)
def test_logical_ids_are_readable_and_stable(fresh_modules, layer, kind):
    main = load(fresh_modules / layer / kind, "main.tf.json")
    for block in ("resource", "data"):
        for resource_type, instances in main.get(block, {}).items():
            for name in instances:
                assert re.fullmatch(r"[a-z0-9]+(_[a-z0-9]+)*", name) and not re.search(r"_[0-9A-F]{8}$", name), name
    text = json.dumps(main)
    for prefix, resource_type, name in set(re.findall(r"(data\.)?\b((?:aws|kubernetes|google|azurerm)_[a-z0-9_]+)\.([a-z0-9_]+)\b", text)):
        block = "data" if prefix else "resource"
        assert name in main.get(block, {}).get(resource_type, {}), f"dangling reference {prefix}{resource_type}.{name}"
    for name in set(re.findall(r"\blocal\.([a-z0-9_]+)", text)):
        assert name in main["locals"], f"dangling reference local.{name}"


@pytest.mark.parametrize(("layer", "kind"), MODULES)
def test_readme_documents_every_input_and_output(fresh_modules, layer, kind):
    module = fresh_modules / layer / kind
    readme = (module / "README.md").read_text()
    variables = load(module, "variables.tf.json")["variable"]
    for name in [*variables, *load(module, "outputs.tf.json")["output"]]:
        assert f"| `{name}` |" in readme
    usage = readme.split("```hcl", 1)[1]
    assert f'source = "../../modules_out/{layer}/{kind}"' in usage
    for name, variable in variables.items():
        if "default" not in variable:
            assert re.search(rf"^\s+{name}\s+= \S", usage, re.M), f"usage example lacks required input {name}"


def test_failed_build_leaves_output_untouched(fresh_modules, tmp_path):
    out = tmp_path / "modules_out"
    assert run_cli("synth", "--provider", "onprem", "--out", str(out)).returncode == 0
    before = tree_digest(out)

    def build(staging: Path) -> None:
        (staging / "kubernetes" / "tabular").mkdir(parents=True)
        (staging / "kubernetes" / "tabular" / "main.tf.json").write_text("{}")
        raise RuntimeError("worker died half way")

    with pytest.raises(RuntimeError):
        replace_atomically(out, ["kubernetes/tabular", "kubernetes/image"], build)
    assert tree_digest(out) == before
    assert [p.name for p in tmp_path.iterdir()] == ["modules_out"], "staging folder left behind"


def test_missing_module_after_build_leaves_output_untouched(tmp_path):
    out = tmp_path / "modules_out"
    (out / "kubernetes" / "tabular").mkdir(parents=True)
    (out / "kubernetes" / "tabular" / "main.tf.json").write_text('{"old": true}')
    with pytest.raises(SynthFailure):
        replace_atomically(out, ["kubernetes/tabular"], lambda staging: None)
    assert (out / "kubernetes" / "tabular" / "main.tf.json").read_text() == '{"old": true}'


def test_crashing_worker_leaves_output_untouched(fresh_modules, tmp_path):
    """A worker process that dies (here: its binding package cannot be imported)."""
    out = tmp_path / "modules_out"
    assert run_cli("synth", "--provider", "onprem", "--out", str(out)).returncode == 0
    before = tree_digest(out)
    broken = tmp_path / "broken"
    (broken / "cdktf_cdktf_provider_kubernetes").mkdir(parents=True)
    (broken / "cdktf_cdktf_provider_kubernetes" / "__init__.py").write_text("raise ImportError('no bindings')\n")
    done = run_cli("synth", "--provider", "onprem", "--no-cache", "--out", str(out), env={"PYTHONPATH": str(broken)})
    assert done.returncode == 1
    assert "the output folder is unchanged" in done.stderr
    assert tree_digest(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["broken", "modules_out"]


def test_bad_profile_exits_2_and_writes_nothing(project, tmp_path):
    out = tmp_path / "modules_out"
    edit_yaml(project / "profiles/video/profile.yaml", lambda d: d["resources"].update(memory="lots"))
    done = run_cli("synth", "--provider", "onprem", "--out", str(out), env={"SYNTHDATA_INFRA_ROOT": str(project)})
    assert done.returncode == 2
    assert done.stderr.strip() == "error: resources.memory: got 'lots'; expected a Kubernetes memory quantity such as 512Mi, 16Gi or 1Ti"
    assert not out.exists() or not any(out.iterdir())


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--provider", "openstack"], "error: --provider: got 'openstack'; expected one of aws, gcp, azure, onprem, all"),
        (["--type", "pictures"], f"error: --type: got 'pictures'; expected one of {', '.join(TYPES)}, all"),
    ],
)
def test_synth_bad_options_exit_2(args, message, tmp_path):
    done = run_cli("synth", *args, "--out", str(tmp_path / "out"))
    assert done.returncode == 2 and done.stderr.strip() == message
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_cdktf_synth_builds_the_same_stacks(fresh_modules, cdktf_out):
    """The real `cdktf synth` (npm cdktf-cli, running main.py): same resources as the modules."""
    for layer, kind in MODULES:
        stack = json.loads((cdktf_out / "stacks" / f"{layer}-{kind.replace('_', '-')}" / "cdk.tf.json").read_text())
        module = load(fresh_modules / layer / kind, "main.tf.json")
        assert _without_metadata(stack["resource"]) == module["resource"]


def _without_metadata(value):
    if isinstance(value, dict):
        return {k: _without_metadata(v) for k, v in value.items() if k != "//"}
    if isinstance(value, list):
        return [_without_metadata(v) for v in value]
    return value
