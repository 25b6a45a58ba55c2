"""Several services in one environment, on one cluster per provider: no Kubernetes object and no
cloud resource name is created by more than one root.

The roots are synthesized in process for a scratch production holding the seed's three services
plus a second service of every provider (two tabular services on one EKS cluster among them).
The name of everything each root creates is then evaluated by Terraform itself: for each module
call, a configuration holding the module's variables (given the root's literal inputs), its
locals and one output per resource count and name expression is applied; references to data
sources stand for the same value in every root (one account, one cluster), references to other
resources of the module are left out (a bucket's policy is named by its bucket)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.conftest import REPO, edit_yaml

EXTRA_SERVICES = [
    {"name": "ledger-synth", "data_type": "tabular", "provider": "aws"},
    {"name": "catalog-text", "data_type": "text", "provider": "gcp"},
    {"name": "call-audio", "data_type": "audio", "provider": "azure"},
    {"name": "claims-synth", "data_type": "tabular", "provider": "azure"},
    {"name": "sensor-series", "data_type": "time_series", "provider": "onprem"},
    {"name": "support-notes", "data_type": "text", "provider": "onprem"},
]
# Attributes that name what a resource creates, at the top level of its block.
NAME_KEYS = ("name", "bucket", "node_group_name", "node_group_name_prefix", "secret_id", "account_id", "bucket_id", "name_prefix", "bucket_prefix", "workspace_id")
# Attributes that place a resource inside another resource of the same module: its name is then
# unique per parent (an inline role policy, a key in a key ring, a container in an account).
PARENT_KEYS = ("role", "key_ring", "key_vault_id", "storage_account_id", "target_resource_id", "plan_id", "service_account_id")
RESOURCE_REF = re.compile(r"(?<![.\w])(?:aws|google|azurerm|kubernetes|terraform|random|time|tls|null)_[a-z0-9_]+\.[a-z0-9_]+(?:\[[0-9]+\])?(?:\.[a-z0-9_]+(?:\[[0-9]+\])?)*")
DATA_REF = re.compile(r"\bdata\.[a-z0-9_]+\.[a-z0-9_]+(?:\[[0-9]+\])?(?:\.[a-z0-9_]+(?:\[[0-9]+\])?)*")
NAMESPACE_REF = re.compile(r"\bkubernetes_namespace_v1\.[a-z0-9_]+\[0\]\.metadata\[0\]\.name")


def production_roots(project: Path, out: Path, services: list[dict]) -> dict[str, Path]:
    from synthdata_infra.config import load_environment
    from synthdata_infra.deploy.plan import Target, plan_environment
    from synthdata_infra.deploy.synth_roots import add_environment_roots, write_roots

    def edit(data: dict) -> None:
        data["services"].extend(services)
        # The on-prem cluster the on-prem services share; its platform root needs its CSI driver.
        data["clusters"]["onprem"] = {"context": "lab", "storage_provisioner": "rook-ceph.rbd.csi.ceph.com"}

    edit_yaml(project / "environments" / "production.yaml", edit)
    plan = plan_environment(load_environment("production", project))
    return write_roots(lambda app: add_environment_roots(app, plan, Target()), Target(), out, REPO / "modules_out")


def _expression(text: str) -> str:
    """A module expression with what differs per apply but not per root made constant."""
    text = NAMESPACE_REF.sub("var.namespace", text)  # the namespace local: created, or given
    return DATA_REF.sub('"data"', text)


def _needed_locals(text: str, locals_: dict) -> set[str]:
    """The locals ``text`` reads, and the locals those read, transitively."""
    needed: set[str] = set()
    pending = set(re.findall(r"\blocal\.([a-z0-9_]+)", text))
    while pending:
        name = pending.pop()
        if name not in needed and name in locals_:
            needed.add(name)
            pending |= set(re.findall(r"\blocal\.([a-z0-9_]+)", json.dumps(locals_[name])))
    return needed


def _reads_resource(text: str, locals_: dict) -> bool:
    """Whether ``text`` reads a resource of the module, directly or through locals (a bucket given
    or created, picked by a local)."""
    return any(RESOURCE_REF.search(part) for part in [text, *(json.dumps(locals_[n]) for n in _needed_locals(text, locals_))])


def _placeholder(declared: dict):
    kind = str(declared.get("type", "string"))
    return {} if kind.startswith(("map", "object")) else [] if kind.startswith(("list", "set", "tuple")) else 0 if kind == "number" else False if kind == "bool" else "ref"


def _created(resource_type: str, body: dict, locals_: dict) -> dict[str, str]:
    """name expressions of what one resource block creates: key -> Terraform template."""
    found: dict[str, str] = {}
    if resource_type.startswith("kubernetes_"):
        metadata = body.get("manifest", {}).get("metadata") if resource_type == "kubernetes_manifest" else body.get("metadata")
        metadata = metadata[0] if isinstance(metadata, list) else metadata
        if metadata:
            found["name"] = metadata.get("name", "")
            found["namespace"] = metadata.get("namespace", "")
        return found
    for key in NAME_KEYS:
        value = body.get(key)
        if isinstance(value, str) and not _reads_resource(value, locals_):
            found[key] = value
    return found


def _scoped(body: dict, locals_: dict) -> bool:
    return any(isinstance(body.get(key), str) and _reads_resource(body[key], locals_) for key in PARENT_KEYS)


def evaluate_names(root: str, folder: Path, call: dict, work: Path) -> set[tuple]:
    """(resource type, scope, names...) of everything ``call`` creates, values from Terraform."""
    module = folder / call["source"]
    main = json.loads((module / "main.tf.json").read_text())
    declared = json.loads((module / "variables.tf.json").read_text())["variable"]
    outputs, meta = {}, {}
    for resource_type, blocks in main.get("resource", {}).items():
        for label, body in blocks.items():
            names = _created(resource_type, body, main.get("locals", {}))
            if not names:
                continue
            key = f"{resource_type}__{label}"
            meta[key] = (resource_type, root if _scoped(body, main.get("locals", {})) else "", sorted(names))
            outputs[key] = {"value": {"count": _expression(str(body.get("count", 1))), **{n: _expression(v) for n, v in names.items()}}}
    inputs = {}
    for name, value in call.items():
        if name in ("source", "//"):
            continue
        has_ref = isinstance(value, str) and "${" in value or "${" in json.dumps(value)
        inputs[name] = _placeholder(declared[name]) if has_ref else value
    locals_ = {name: _expression(value) if isinstance(value, str) else value for name, value in main.get("locals", {}).items()}
    locals_ = {name: locals_[name] for name in _needed_locals(json.dumps(outputs), locals_)}  # not those reading resources
    work.mkdir(parents=True)
    (work / "variables.tf.json").write_text(json.dumps({"variable": declared}))
    (work / "main.tf.json").write_text(json.dumps({"locals": locals_, "output": outputs} if locals_ else {"output": outputs}))
    (work / "inputs.auto.tfvars.json").write_text(json.dumps(inputs))
    env = {**os.environ, "TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1"}
    for args in (["init", "-input=false", "-backend=false"], ["apply", "-auto-approve", "-input=false"]):
        done = subprocess.run(["terraform", *args, "-no-color"], cwd=work, env=env, capture_output=True, text=True, check=False)
        assert done.returncode == 0, f"{root} {call['source']}: {done.stdout}{done.stderr}"
    shown = subprocess.run(["terraform", "output", "-json"], cwd=work, env=env, capture_output=True, text=True, check=True)
    values = {key: body["value"] for key, body in json.loads(shown.stdout).items()}
    created = set()
    for key, (resource_type, scope, names) in meta.items():
        value = values[key]
        for index in range(int(value["count"])):
            created.add((resource_type, scope, *(str(value[n]) for n in names), index))
    return created


def created_by_root(roots: dict[str, Path], work: Path) -> dict[str, set[tuple]]:
    calls = []
    for name, folder in sorted(roots.items()):
        stack = json.loads((folder / "cdk.tf.json").read_text())
        if name.startswith(("monitoring-", "workspaces-")):
            continue  # one per environment and provider: nothing else creates their objects
        calls += [(name, folder, label, call) for label, call in sorted(stack.get("module", {}).items())]
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = pool.map(lambda c: (c[0], evaluate_names(c[0], c[1], c[3], work / f"{c[0]}-{c[2]}")), calls)
        by_root: dict[str, set[tuple]] = {}
        for name, created in results:
            # Cluster-wide objects (a namespace, a Helm release, a StorageClass) are one cluster's: the
            # environment has one cluster per provider, and objects on two providers' clusters never meet.
            cluster = cluster_of(name, json.loads((roots[name] / "cdk.tf.json").read_text()))
            by_root.setdefault(name, set()).update(
                (item[0], cluster, *item[2:]) if item[0].startswith(("kubernetes_", "helm_")) and item[1] == "" else item for item in created
            )
    return by_root


def cluster_of(root: str, stack: dict) -> str:
    """The provider whose cluster ``root`` applies its Kubernetes objects to: a platform root's own,
    or the cloud module's provider of a service root (none: on premises)."""
    if root.startswith("platform-"):
        return root.split("-")[1]
    layers = {call["source"].split("/")[2] for call in stack.get("module", {}).values()}
    clouds = layers - {"kubernetes"}
    return clouds.pop() if clouds else "onprem"


def collisions(by_root: dict[str, set[tuple]]) -> dict[tuple, list[str]]:
    owners: dict[tuple, list[str]] = {}
    for root, created in by_root.items():
        for item in created:
            owners.setdefault(item, []).append(root)
    return {item: sorted(roots) for item, roots in owners.items() if len(roots) > 1}


@pytest.fixture(scope="module")
def shared_cluster_names(tmp_path_factory):
    base = tmp_path_factory.mktemp("isolation")
    project = base / "project"
    for folder in ("profiles", "environments"):
        shutil.copytree(REPO / folder, project / folder)
    os.environ["SYNTHDATA_INFRA_ROOT"] = str(project)
    try:
        roots = production_roots(project, base / "stacks", EXTRA_SERVICES)
    finally:
        del os.environ["SYNTHDATA_INFRA_ROOT"]
    return roots, created_by_root(roots, base / "evaluated")


@pytest.mark.integration
def test_services_on_one_cluster_create_no_object_twice(shared_cluster_names):
    roots, by_root = shared_cluster_names
    services = {"customer-synth", "product-images", "marketing-videos", *(s["name"] for s in EXTRA_SERVICES)}
    assert {f"{s}-production" for s in services} <= set(by_root)
    assert collisions(by_root) == {}
    # Every service root creates its own namespace, and every object of its workload lives there.
    for service in services:
        created = by_root[f"{service}-production"]
        (namespace,) = [item[2] for item in created if item[0] == "kubernetes_namespace_v1"]
        assert service in namespace and namespace.endswith("-production")
        namespaced = [item for item in created if item[0].startswith("kubernetes_") and item[0] != "kubernetes_namespace_v1"]
        assert namespaced and all(item[3] == namespace for item in namespaced), service


@pytest.mark.integration
def test_cloud_names_differ_for_two_services_of_one_type_on_one_cluster(shared_cluster_names):
    """customer-synth and ledger-synth are both tabular on the production EKS cluster."""
    _, by_root = shared_cluster_names
    names = {root: {item for item in by_root[root] if item[0].startswith("aws_")} for root in ("customer-synth-production", "ledger-synth-production")}
    kinds = {item[0] for item in names["customer-synth-production"]}
    assert {"aws_s3_bucket", "aws_iam_role", "aws_eks_node_group", "aws_secretsmanager_secret", "aws_cloudwatch_log_group"} <= kinds
    assert not names["customer-synth-production"] & names["ledger-synth-production"]


@pytest.mark.integration
def test_the_check_finds_a_shared_object(shared_cluster_names):
    """The check is not vacuous: two roots creating one namespace (the first wave's design) collide."""
    _, by_root = shared_cluster_names
    planted = {root: set(created) for root, created in by_root.items()}
    planted["ledger-synth-production"].add(("kubernetes_namespace_v1", "", "synthdata", "", 0))
    planted["customer-synth-production"].add(("kubernetes_namespace_v1", "", "synthdata", "", 0))
    assert list(collisions(planted)) == [("kubernetes_namespace_v1", "", "synthdata", "", 0)]
