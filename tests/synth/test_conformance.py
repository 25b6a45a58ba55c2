"""One conformance suite for every module the registry synthesizes (every layer, every provider,
monitoring included): the files a module consists of, the child-module rules, readable logical
ids whose references resolve, a README documenting every input and output.

Determinism is proven without a second synth of every module: the golden check
(test_synth_pipeline) compares the run's fresh synth with the committed modules_out/, written by
another process (Python randomizes string hashing per process, so set and dict orders differ
between the two), and the cdktf CLI's synth, a third process, must build the same main.tf.json.

Provider-specific facts stay in the provider's test files; what holds for every module is
checked here, once, for every module."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from synthdata_infra import providers
from synthdata_infra.components.platform.charts import NODE_HOST_PATHS
from synthdata_infra.monitoring.rules import rules_files
from synthdata_infra.synth.registry import DASHBOARDS, MONITORING, PLATFORM, ModuleSpec, modules_for
from tests.conftest import REPO, TYPES, load

SPECS = modules_for("all", "all")
MODULE_FILES = {"main.tf.json", "variables.tf.json", "outputs.tf.json", "versions.tf.json", "README.md"}
JSON_FILES = sorted(MODULE_FILES - {"README.md"})
# What each file's top level may hold: no provider block, no backend, no cloud block.
TOP_LEVEL = {
    "main.tf.json": {"resource", "data", "locals"},
    "variables.tf.json": {"variable"},
    "outputs.tf.json": {"output"},
    "versions.tf.json": {"terraform"},
}
# Folder under the output -> (provider local name, source, version range). The lower bound is the
# oldest provider a module is tested with: aws the machine's provider mirror (5.100.0, applied
# against moto), the others the provider schema of the cdktf binding that builds them.
REQUIREMENTS = {
    "kubernetes": ("kubernetes", "hashicorp/kubernetes", ">= 2.38.0, < 3.0.0"),
    "aws": ("aws", "hashicorp/aws", ">= 5.100.0, < 7.0.0"),
    "gcp": ("google", "hashicorp/google", ">= 6.50.0, < 8.0.0"),
    "azure": ("azurerm", "hashicorp/azurerm", ">= 4.55.0, < 5.0.0"),
    "onprem": ("kubernetes", "hashicorp/kubernetes", ">= 2.38.0, < 3.0.0"),
}
PLATFORM_REQUIREMENTS = (
    ("kubernetes", "hashicorp/kubernetes", ">= 2.38.0, < 3.0.0"),
    ("helm", "hashicorp/helm", ">= 3.1.1, < 4.0.0"),
)
# Host paths on cluster nodes the platform modules mount (GKE's NVIDIA driver libraries).
NODE_PATHS = NODE_HOST_PATHS
CLOUD_LAYERS = {p.cloud_folder for p in providers.REGISTRY.values() if p.cloud_folder}
LOGICAL_ID = re.compile(r"[a-z][a-z0-9]*(_[a-z0-9]+)*")
REFERENCE = re.compile(r"(data\.)?\b((?:aws|kubernetes|google|azurerm|helm|grafana|terraform)_[a-z0-9_]+)\.([a-z0-9_]+)\b")
# The dashboards import (<provider>/grafana) requires the grafana provider only, whatever its folder.
DASHBOARDS_REQUIREMENT = ("grafana", "grafana/grafana", ">= 4.0.0, < 5.0.0")


def ids(spec: ModuleSpec) -> str:
    return spec.folder


def files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_the_synth_writes_exactly_the_registrys_modules(fresh_modules):
    folders = {p.relative_to(fresh_modules).as_posix() for p in fresh_modules.glob("*/*") if p.is_dir()}
    assert folders == {spec.folder for spec in SPECS}
    assert {spec.layer for spec in SPECS} == set(REQUIREMENTS)
    with_platform = {PLATFORM} if any(p.platform for p in providers.REGISTRY.values()) else set()
    assert {spec.name for spec in SPECS} == {*TYPES, MONITORING, DASHBOARDS, *with_platform}


@pytest.mark.parametrize("spec", SPECS, ids=ids)
def test_module_files(fresh_modules, spec):
    """The five module files, examples/minimal (and examples/complete for a cloud module), and for
    monitoring the rules files and one dashboard per data type plus the unified one."""
    module = fresh_modules / spec.folder
    names = set(files(module))
    expected = MODULE_FILES | {"examples/minimal/main.tf"}
    if spec.name == MONITORING:
        rules = rules_files()
        expected |= {f"rules/{name}" for name in rules} | {f"dashboards/{kind}.json" for kind in TYPES} | {"dashboards/unified.json"}
        for name, text in rules.items():
            assert (module / "rules" / name).read_text() == text
    elif spec.name == DASHBOARDS:
        expected |= {f"dashboards/{kind}.json" for kind in TYPES} | {"dashboards/unified.json"}
    elif spec.name == PLATFORM:  # its README shows the call; a complete example (its root's providers) is optional
        expected |= names & {"examples/complete/main.tf"}
    elif spec.layer in CLOUD_LAYERS:  # a cloud module per data type
        expected |= {"examples/complete/main.tf"}
    assert names == expected


@pytest.mark.parametrize("spec", SPECS, ids=ids)
def test_child_module_rules(fresh_modules, spec):
    module = fresh_modules / spec.folder
    documents = {name: load(module, name) for name in JSON_FILES}
    for name, document in documents.items():
        assert set(document) <= TOP_LEVEL[name], name
        assert "provider" not in document and "backend" not in json.dumps(document.get("terraform", {})), name
        if spec.name in (MONITORING, DASHBOARDS):  # no resource of a monitoring module has a field of these names either
            text = (module / name).read_text()
            assert '"provider"' not in text and '"backend"' not in text, name
    assert set(documents["versions.tf.json"]["terraform"]) == {"required_providers", "required_version"}
    local_name, source, version = DASHBOARDS_REQUIREMENT if spec.name == DASHBOARDS else REQUIREMENTS[spec.layer]
    assert local_name == spec.binding
    required = {local_name: {"source": source, "version": version}}
    if spec.name == PLATFORM:  # charts through the helm provider, CRD objects and StorageClasses through kubernetes
        required |= {name: {"source": source, "version": version} for name, source, version in PLATFORM_REQUIREMENTS}
    assert documents["versions.tf.json"]["terraform"]["required_providers"] == required
    for requirement in required.values():
        assert re.fullmatch(r">= \d+\.\d+\.\d+, < \d+\.0\.0", requirement["version"])
    # No cdktf metadata and no absolute path anywhere in the folder (examples and README included);
    # paths on the cluster's nodes that a chart mounts are not paths of this machine.
    for name, content in files(module).items():
        text = content.decode()
        for node_path in NODE_PATHS:
            text = text.replace(node_path, "")
        assert '"//"' not in text, name
        for absolute in (str(REPO), str(fresh_modules), str(module), os.path.expanduser("~") + "/", "/tmp/", "/work/", "/home/"):
            assert absolute not in text, (name, absolute)
    for name, variable in documents["variables.tf.json"]["variable"].items():
        assert variable.get("type") and variable.get("description"), name
    for name, output in documents["outputs.tf.json"]["output"].items():
        assert output.get("description"), name


@pytest.mark.parametrize("spec", SPECS, ids=ids)
def test_logical_ids_are_readable_and_references_resolve(fresh_modules, spec):
    """Path-based, lower-case ids without cdktf hash suffixes (a renamed id replaces real
    resources), and every reference in the module and its outputs names something it declares."""
    module = fresh_modules / spec.folder
    main = load(module, "main.tf.json")
    for block in ("resource", "data"):
        for resource_type, instances in main.get(block, {}).items():
            for name in instances:
                assert LOGICAL_ID.fullmatch(name) and not re.search(r"_[0-9A-F]{8}$", name), f"{resource_type}.{name}"
    variables = load(module, "variables.tf.json")["variable"]
    text = json.dumps(main) + json.dumps(load(module, "outputs.tf.json"))
    for prefix, resource_type, name in set(REFERENCE.findall(text)):
        block = "data" if prefix else "resource"
        assert name in main.get(block, {}).get(resource_type, {}), f"dangling reference {prefix}{resource_type}.{name}"
    for name in set(re.findall(r"\blocal\.([a-z0-9_]+)", text)):
        assert name in main["locals"], f"dangling reference local.{name}"
    for name in set(re.findall(r"\bvar\.([a-z0-9_]+)", text)):
        assert name in variables, f"undeclared input var.{name}"


@pytest.mark.parametrize("spec", SPECS, ids=ids)
def test_readme_documents_every_input_and_output(fresh_modules, spec):
    module = fresh_modules / spec.folder
    readme = (module / "README.md").read_text()
    variables = load(module, "variables.tf.json")["variable"]
    for name in [*variables, *load(module, "outputs.tf.json")["output"]]:
        assert f"| `{name}` |" in readme, name
    usage = readme.split("```hcl", 1)[1]
    assert f'source = "../../modules_out/{spec.folder}"' in usage
    required = [name for name, variable in variables.items() if "default" not in variable]
    for name in required:
        assert re.search(rf"^\s+{name}\s+= \S", usage, re.M), f"usage example lacks required input {name}"
