"""The examples shipped in each module folder work when the folder is copied alone.

`examples/complete/` calls the cloud module as ``../..`` and the workload module from a registry
(``app.terraform.io/<ORG>/synthdata-<type>/kubernetes``, modules_out/kubernetes/<type> published);
no source leaves the folder. Offline, only the AWS provider is installable, and a registry
module never is: the AWS minimal example is `terraform validate`d in a lone copy of its folder,
and every complete example is checked as text (formatting, sources, and each module's arguments
against its variables.tf.json and outputs.tf.json)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml

from tests.aws.conftest import terraform, terraform_env  # noqa: F401 (terraform_env is a fixture)
from tests.conftest import REPO, TYPES, load

OUT = REPO / "modules_out"
EVERY_COMPLETE = sorted(path.parent for path in OUT.glob("*/*/examples/complete/main.tf"))
# A data type's complete example (cloud + workload module); a platform module's is checked by its provider's tests.
COMPLETE = [path for path in EVERY_COMPLETE if path.parents[1].name != "platform"]
EVERY_EXAMPLE = sorted(path for path in OUT.glob("*/*/examples/*/main.tf"))
REGISTRY_SOURCE = re.compile(r"^app\.terraform\.io/<ORG>/synthdata-(?P<name>[a-z][a-z-]*)/kubernetes$")

# After `terraform fmt`, a module block starts at column 0 and closes with "}" alone on a line;
# its arguments are indented by two spaces (deeper lines belong to multi-line values).
MODULE_BLOCK = re.compile(r'^module "(?P<label>\w+)" \{\n(?P<body>.*?)^\}', re.M | re.S)
ARGUMENT = re.compile(r"^  (?P<name>[a-z_][a-z0-9_]*) +=", re.M)
COMMENTED_ARGUMENT = re.compile(r"^  # (?P<name>[a-z_][a-z0-9_]*) +=", re.M)
SOURCE = re.compile(r'^  source +=\s*"(?P<source>[^"]*)"', re.M)
META_ARGUMENTS = {"source", "version", "providers", "count", "for_each", "depends_on"}


def module_blocks(text: str) -> dict[str, str]:
    return {match["label"]: match["body"] for match in MODULE_BLOCK.finditer(text)}


def module_folder(example: Path, source: str) -> Path:
    """The folder a source stands for: ``../..`` is the example's own module; the registry
    placeholder is modules_out/kubernetes/<type> of the same synth."""
    if source == "../..":
        return example.parents[1]
    match = REGISTRY_SOURCE.match(source)
    assert match, f"{example}: source {source!r} is neither ../.. nor the registry placeholder"
    return OUT / "kubernetes" / match["name"].replace("-", "_")


def check_arguments(example: Path, label: str, body: str, folder: Path) -> None:
    """Every argument is an input of the module, every required input is given, and the
    commented-out (bring-your-own) lines name optional inputs."""
    variables = load(folder, "variables.tf.json")["variable"]
    given = set(ARGUMENT.findall(body)) - META_ARGUMENTS
    assert given <= set(variables), f"{example}: module {label} has no input {sorted(given - set(variables))}"
    required = {name for name, spec in variables.items() if "default" not in spec}
    assert required <= given, f"{example}: module {label} lacks required {sorted(required - given)}"
    for name in COMMENTED_ARGUMENT.findall(body):
        assert name in variables and "default" in variables[name], f"{example}: commented {name} is not an optional input"


def test_every_example_source_stays_inside_its_module_folder():
    cloud_modules = {path.parent for cloud in ("aws", "gcp", "azure") for path in (OUT / cloud).glob("*/main.tf.json")}
    # Every data type's cloud module has one; a platform module may (the AWS one shows its root's providers).
    assert {example.parents[1] for example in COMPLETE} == {module for module in cloud_modules if module.name in TYPES}
    assert {example.parents[1].name for example in EVERY_COMPLETE} - set(TYPES) <= {"platform"}
    for path in EVERY_EXAMPLE:
        sources = SOURCE.findall(path.read_text())
        assert sources, path
        for source in sources:
            assert source == "../.." or REGISTRY_SOURCE.match(source), f"{path}: {source}"
        code = [line for line in path.read_text().splitlines() if not line.lstrip().startswith("#")]
        assert not any("../../.." in line for line in code), path


@pytest.mark.parametrize("example", COMPLETE, ids=lambda path: f"{path.parents[2].name}/{path.parents[1].name}")
def test_complete_example_calls_both_modules_with_their_inputs(example, terraform_env):
    fmt = terraform(terraform_env, example, "fmt", "-check", "-diff")
    assert fmt.returncode == 0, fmt.stdout + fmt.stderr
    text = (example / "main.tf").read_text()
    blocks = module_blocks(text)
    assert set(blocks) == {"cloud", "workload"}
    folders = {}
    for label, body in blocks.items():
        (source,) = SOURCE.findall(body)
        folders[label] = module_folder(example, source)
        check_arguments(example, label, body, folders[label])
    assert SOURCE.findall(blocks["cloud"]) == ["../.."]
    kind = example.parents[1].name
    assert folders["workload"] == OUT / "kubernetes" / kind
    assert re.search(r'^  version += "[^"]+"$', blocks["workload"], re.M), "a registry source needs a version"
    # Every output read from a module exists there.
    for label, name in re.findall(r"\bmodule\.(\w+)\.(\w+)", text):
        assert name in load(folders[label], "outputs.tf.json")["output"], f"{example}: module.{label}.{name}"


@pytest.mark.parametrize("example", COMPLETE, ids=lambda path: f"{path.parents[2].name}/{path.parents[1].name}")
def test_complete_example_uses_the_per_service_namespace(example):
    """One namespace per service and environment, named ``<deployment.namespace>-<service>-<env>``
    as `synthdata-infra deploy` names it, given to both modules."""
    prefix = yaml.safe_load((REPO / "profiles" / "base.yaml").read_text())["deployment"]["namespace"]
    text = (example / "main.tf").read_text()
    assert f'  namespace    = "{prefix}-${{local.service_name}}-${{local.environment}}"' in text
    for body in module_blocks(text).values():
        assert re.search(r"^  namespace +=\s*local\.namespace$", body, re.M)
        assert re.search(r"^  service_name +=\s*local\.service_name$", body, re.M)
    assert re.search(r"^  environment +=\s*local\.environment$", module_blocks(text)["cloud"], re.M)


def test_aws_complete_example_shows_the_bring_your_own_inputs():
    cloud = module_blocks((OUT / "aws" / "tabular" / "examples" / "complete" / "main.tf").read_text())["cloud"]
    assert {"kms_key_arn", "permissions_boundary_arn", "node_role_arn"} <= set(COMMENTED_ARGUMENT.findall(cloud))


def test_a_module_folder_copied_alone_keeps_working_examples(terraform_env, tmp_path):
    """What a team does with one module: copy the folder somewhere else and use its examples."""
    module = tmp_path / "synthdata-tabular-aws"
    shutil.copytree(OUT / "aws" / "tabular", module)
    minimal = module / "examples" / "minimal"
    for step in (("init", "-backend=false", "-input=false"), ("validate",)):
        done = terraform(terraform_env, minimal, *step)
        assert done.returncode == 0, done.stdout + done.stderr
    required = [name for name, body in load(module, "variables.tf.json")["variable"].items() if "default" not in body]
    assert all(f"\n  {name} " in (minimal / "main.tf").read_text() for name in required)
    # The complete example needs the kubernetes provider and a registry: check what resolves offline.
    complete = module / "examples" / "complete"
    assert terraform(terraform_env, complete, "fmt", "-check").returncode == 0
    for body in module_blocks((complete / "main.tf").read_text()).values():
        (source,) = SOURCE.findall(body)
        if source == "../..":
            assert (complete / source).resolve() == module.resolve() and (module / "main.tf.json").is_file()
        else:
            assert REGISTRY_SOURCE.match(source), source
