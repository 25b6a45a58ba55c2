"""What the other layers assume a cluster has, checked against what each provider's platform module
(``modules_out/<provider>/platform/``) installs, from the generated JSON and the catalogs:

1. every StorageClass a workload on provider P can reference is created by P's platform module;
2. every custom resource kind a workload module or P's monitoring module creates is served by a
   chart P's platform installs (``charts.py`` CRDs) or by P's managed cluster itself;
3. every metric an HPA or a KEDA ScaledObject reads (``monitoring/scaling_signals.py``) is a
   recording rule or a catalog metric, and the exporter producing it runs on P's clusters;
4. on EKS every node group the AWS cloud modules create is one the installed node autoscaler
   manages (Cluster Autoscaler's auto-discovery tags; or a Karpenter install).

Each check is a function returning its findings, run over the committed modules and shown to
report a planted defect (a StorageClass removed, a chart removed, a metric renamed, a tag
dropped). A provider without a platform module is reported by name, never passed.
"""

from __future__ import annotations

import copy
import dataclasses
import json
from pathlib import Path

import pytest

from synthdata_infra import providers
from synthdata_infra.catalog import storage_class_for, storage_classes
from synthdata_infra.components.platform.charts import CHARTS, CLUSTER_EXPORTERS, MANAGED_CRDS, MANAGED_EXPORTERS, Chart
from synthdata_infra.config import data_types
from synthdata_infra.monitoring.catalog import metric_catalog
from synthdata_infra.monitoring.rules import rule_groups
from synthdata_infra.monitoring.scaling_signals import SIGNALS, ScalingSignal
from synthdata_infra.synth.registry import MONITORING, PLATFORM
from tests.conftest import REPO
from tests.monitoring.promql import metric_names

MODULES = REPO / "modules_out"
ALL = sorted(providers.REGISTRY)
WITH_PLATFORM = [name for name in ALL if providers.get(name).platform is not None]
NODE_AUTOSCALER_CHARTS = ("cluster-autoscaler", "karpenter")
EKS_DISCOVERY_ENABLED = "k8s.io/cluster-autoscaler/enabled"
EKS_DISCOVERY_CLUSTER = "k8s.io/cluster-autoscaler/${var.cluster_name}"


def main(folder: str) -> dict:
    path = MODULES / folder / "main.tf.json"
    return json.loads(path.read_text()) if path.is_file() else {}


def platform_main(provider: str) -> dict:
    layer = providers.get(provider).platform
    if layer is None:
        pytest.skip(f"{provider}: no platform module yet (Provider.platform is None) - nothing installs what its services assume")
    return main(f"{layer.folder}/{PLATFORM}")


def resources(document: dict, kind: str) -> dict[str, dict]:
    return document.get("resource", {}).get(kind, {})


# -- what a platform module installs ------------------------------------------------------------


def installed_charts(platform: dict, table: dict[str, Chart] = CHARTS) -> tuple[list[Chart], list[str]]:
    """The table's charts the platform's helm releases install, and the releases not in the table."""
    by_identity = {(c.repository, c.chart, c.version): c for c in table.values()}
    found, unknown = [], []
    for name, release in sorted(resources(platform, "helm_release").items()):
        chart = by_identity.get((release.get("repository"), release.get("chart"), release.get("version")))
        if chart is None:
            unknown.append(f"helm_release.{name} installs {release.get('chart')} {release.get('version')}, which charts.py does not pin")
        else:
            found.append(chart)
    return found, unknown


def created_storage_classes(platform: dict) -> dict[str, dict]:
    return {sc["metadata"]["name"]: sc for sc in resources(platform, "kubernetes_storage_class_v1").values()}


# -- 1. StorageClasses ------------------------------------------------------------------------


def referenced_storage_classes(provider: str) -> set[str]:
    """Every StorageClass a service on ``provider`` can name: the catalog's name for each of our
    classes (a service may override storage.storage_class), plus what the generated modules
    output or default to (the cloud module's ``storage_class_name``; the workload's default on
    premises, where no cloud module passes one)."""
    names = {storage_class_for(provider, name).storage_class_name for name in storage_classes()}
    p = providers.get(provider)
    for kind in data_types():
        if p.cloud_folder:
            outputs = json.loads((MODULES / p.cloud_folder / kind / "outputs.tf.json").read_text())["output"]
            names.add(outputs["storage_class_name"]["value"])
        else:
            variables = json.loads((MODULES / "kubernetes" / kind / "variables.tf.json").read_text())["variable"]
            names.add(variables["storage_class_name"]["default"])
    return names


def storage_class_problems(provider: str, platform: dict, referenced: set[str]) -> list[str]:
    created = created_storage_classes(platform)
    problems = [f"{provider}: StorageClass {name} is referenced but the platform module does not create it" for name in sorted(referenced - set(created))]
    for name in storage_classes():  # and created with the catalog's CSI driver (on-prem: the operator's)
        mapping = storage_class_for(provider, name)
        sc = created.get(mapping.storage_class_name)
        if sc is not None and not sc["storage_provisioner"].startswith("${") and sc["storage_provisioner"] != mapping.provisioner:
            problems.append(f"{provider}: StorageClass {mapping.storage_class_name} uses {sc['storage_provisioner']}, the catalog says {mapping.provisioner}")
    return problems


# -- 2. CRDs --------------------------------------------------------------------------------


def manifests(document: dict) -> list[tuple[str, str, str]]:
    """(resource name, apiVersion, kind) of every kubernetes_manifest."""
    return [(name, m["manifest"]["apiVersion"], m["manifest"]["kind"]) for name, m in sorted(resources(document, "kubernetes_manifest").items())]


def used_custom_resources(provider: str) -> list[tuple[str, str, str]]:
    """(where, apiVersion, kind) of the custom resources the workload modules and ``provider``'s
    monitoring module create on its clusters. The workload module holds every provider's scrape
    object (one created per provider): another provider's scrape kind is not created here."""
    mine = providers.get(provider).scrape_kind
    others = {p.scrape_kind for p in providers.REGISTRY.values() if p.scrape_kind and p.scrape_kind != mine}
    used = [(f"kubernetes/{kind}:{name}", api, k) for kind in data_types() for name, api, k in manifests(main(f"kubernetes/{kind}")) if k not in others]
    monitoring = f"{providers.get(provider).monitoring.folder}/{MONITORING}"
    used += [(f"{monitoring}:{name}", api, k) for name, api, k in manifests(main(monitoring))]
    return used


def crd_problems(provider: str, platform: dict, used: list[tuple[str, str, str]], table: dict[str, Chart] = CHARTS) -> list[str]:
    charts, unknown = installed_charts(platform, table)
    served = set(MANAGED_CRDS.get(provider, frozenset())).union(*(c.crds for c in charts))
    problems = [f"{provider}: {u}" for u in unknown]
    problems += [
        f"{provider}: {where} creates {api} {kind}, which no chart of the platform module (nor the managed cluster) serves"
        for where, api, kind in used
        if (api, kind) not in served
    ]
    return problems


# -- 3. metrics the autoscalers read ------------------------------------------------------------


def recorded_series() -> set[str]:
    return {rule["record"] for group in rule_groups() for rule in group["rules"] if "record" in rule}


def signal_metrics(signal: ScalingSignal) -> set[str]:
    """Series a signal reads: its KEDA query's selectors, and the HPA's Pods/External metric."""
    query = signal.query.format(selector='namespace="n", pod=~"p-.*"', service="s")
    used = {name.removesuffix("_bucket") for name in metric_names(query)}
    return used | ({signal.name} if signal.source != "resource" else set())


def metric_problems(provider: str, platform: dict, signals: dict[str, ScalingSignal], catalog=None, table: dict[str, Chart] = CHARTS) -> list[str]:
    catalog = catalog or metric_catalog()
    by_name = {m.name: m for m in catalog.every()}
    recorded = recorded_series()
    charts, _ = installed_charts(platform, table)
    exporters = {*CLUSTER_EXPORTERS, *MANAGED_EXPORTERS.get(provider, ()), *(e for c in charts for e in c.exports)}
    if "keda" not in {c.component for c in charts}:
        return [f"{provider}: the platform module does not install KEDA, which serves every scaling trigger's query"]
    problems = []
    for trigger, signal in sorted(signals.items()):
        for name in sorted(signal_metrics(signal)):
            metric = by_name.get(name)
            if metric is None and name not in recorded:
                problems.append(f"{provider}: {trigger} reads {name}, which no recording rule and no catalog metric produces")
            elif metric is not None and metric.exporter and metric.exporter not in exporters:
                problems.append(f"{provider}: {trigger} reads {name} from {metric.exporter}, which nothing on its clusters runs")
    return problems


# -- 4. EKS node groups and the node autoscaler ---------------------------------------------------


def node_group_problems(provider: str, platform: dict, cloud_modules: dict[str, dict], table: dict[str, Chart] = CHARTS) -> list[str]:
    groups = {f"{folder}:{name}": group for folder, document in cloud_modules.items() for name, group in resources(document, "aws_eks_node_group").items()}
    if not groups:
        return []
    charts, _ = installed_charts(platform, table)
    installed = {c.chart for c in charts}
    if not installed & set(NODE_AUTOSCALER_CHARTS):
        return [f"{provider}: node groups ({len(groups)}) but no node autoscaler ({' or '.join(NODE_AUTOSCALER_CHARTS)}) in the platform module"]
    if "karpenter" in installed:
        return []  # Karpenter provisions its own nodes; the node pools are its NodePools' business
    problems = []
    for where, group in sorted(groups.items()):
        tags = group.get("tags") or {}
        # A map, or an expression (``${merge(var.tags, {...})}``) whose literal part must name the tags.
        missing = [key for key in (EKS_DISCOVERY_ENABLED, EKS_DISCOVERY_CLUSTER) if key not in tags]
        problems += [f"{provider}: {where} lacks the Cluster Autoscaler discovery tag {key}" for key in missing]
    return problems


def cloud_modules(provider: str) -> dict[str, dict]:
    folder = providers.get(provider).cloud_folder
    return {f"{folder}/{kind}": main(f"{folder}/{kind}") for kind in data_types()} if folder else {}


# -- the checks over the committed modules --------------------------------------------------------


def test_every_provider_has_a_platform_module():
    """The issue asks for four: a provider whose services run on clusters nothing prepares is reported."""
    missing = [name for name in ALL if providers.get(name).platform is None]
    assert not missing, f"no platform module for: {', '.join(missing)} (their StorageClasses, CRDs and exporters are unchecked)"


@pytest.mark.parametrize("provider", ALL)
def test_every_storage_class_a_workload_can_name_is_created(provider):
    platform = platform_main(provider)
    assert storage_class_problems(provider, platform, referenced_storage_classes(provider)) == []


@pytest.mark.parametrize("provider", ALL)
def test_every_custom_resource_kind_used_is_served_by_the_platform(provider):
    platform = platform_main(provider)
    assert crd_problems(provider, platform, used_custom_resources(provider)) == []


@pytest.mark.parametrize("provider", ALL)
def test_every_metric_the_autoscalers_read_is_produced_on_the_providers_clusters(provider):
    platform = platform_main(provider)
    assert metric_problems(provider, platform, SIGNALS) == []


@pytest.mark.parametrize("provider", ALL)
def test_every_eks_node_group_is_managed_by_the_node_autoscaler(provider):
    platform = platform_main(provider)
    assert node_group_problems(provider, platform, cloud_modules(provider)) == []


# -- each check fails on a planted defect -------------------------------------------------------


@pytest.fixture(params=WITH_PLATFORM or [None])
def planted(request):
    if request.param is None:
        pytest.skip("no provider has a platform module")
    return request.param, copy.deepcopy(platform_main(request.param))


def test_a_removed_storage_class_is_reported(planted):
    provider, platform = planted
    victim = storage_class_for(provider, "fast-ssd").storage_class_name
    classes = resources(platform, "kubernetes_storage_class_v1")
    (key,) = [k for k, sc in classes.items() if sc["metadata"]["name"] == victim]
    del classes[key]
    assert storage_class_problems(provider, platform, referenced_storage_classes(provider)) == [
        f"{provider}: StorageClass {victim} is referenced but the platform module does not create it"
    ]


def test_a_removed_chart_is_reported(planted):
    provider, platform = planted
    used = [("a workload", "keda.sh/v1alpha1", "ScaledObject"), ("a workload", "cert-manager.io/v1", "ClusterIssuer")]
    assert crd_problems(provider, platform, used) == []
    releases = resources(platform, "helm_release")
    (key,) = [k for k, r in releases.items() if r["chart"] == "keda"]
    del releases[key]
    assert crd_problems(provider, platform, used) == [
        f"{provider}: a workload creates keda.sh/v1alpha1 ScaledObject, which no chart of the platform module (nor the managed cluster) serves"
    ]


def test_a_chart_missing_from_the_table_is_reported(planted):
    provider, platform = planted
    table = {name: chart for name, chart in CHARTS.items() if name != "cert-manager"}
    (problem,) = crd_problems(provider, platform, [], table)
    assert "installs cert-manager" in problem and "charts.py does not pin" in problem


def test_a_renamed_metric_is_reported(planted):
    provider, platform = planted
    renamed = {**SIGNALS, "gpu_utilization": dataclasses.replace(SIGNALS["gpu_utilization"], query=SIGNALS["gpu_utilization"].query.replace("GPU_UTIL", "GPU_UTILIZATION"))}
    assert metric_problems(provider, platform, renamed) == [
        f"{provider}: gpu_utilization reads DCGM_FI_DEV_GPU_UTILIZATION, which no recording rule and no catalog metric produces"
    ]


def test_an_exporter_the_platform_no_longer_runs_is_reported(planted):
    provider, platform = planted
    releases = resources(platform, "helm_release")
    for key in [k for k, r in releases.items() if r["chart"] == "dcgm-exporter"]:
        del releases[key]
    problems = metric_problems(provider, platform, SIGNALS)
    assert f"{provider}: gpu_utilization reads DCGM_FI_DEV_GPU_UTIL from dcgm-exporter, which nothing on its clusters runs" in problems


def test_node_groups_without_discovery_tags_or_autoscaler_are_reported():
    """On a made-up EKS layout (the check does not wait for the AWS platform module to exist)."""
    autoscaler = Chart("cluster-autoscaler", "https://kubernetes.github.io/autoscaler", "cluster-autoscaler", "9.0.0", "kube-system", "test")
    table = {**CHARTS, "cluster-autoscaler": autoscaler}
    platform = {"resource": {"helm_release": {"ca": {"repository": autoscaler.repository, "chart": autoscaler.chart, "version": autoscaler.version}}}}
    tagged = {EKS_DISCOVERY_ENABLED: "true", EKS_DISCOVERY_CLUSTER: "owned"}
    modules = {"aws/image": {"resource": {"aws_eks_node_group": {"nodes_node_group": {"tags": dict(tagged)}}}}}
    assert node_group_problems("aws", platform, modules, table) == []
    del modules["aws/image"]["resource"]["aws_eks_node_group"]["nodes_node_group"]["tags"][EKS_DISCOVERY_CLUSTER]
    assert node_group_problems("aws", platform, modules, table) == [f"aws: aws/image:nodes_node_group lacks the Cluster Autoscaler discovery tag {EKS_DISCOVERY_CLUSTER}"]
    assert node_group_problems("aws", {}, modules, table) == ["aws: node groups (1) but no node autoscaler (cluster-autoscaler or karpenter) in the platform module"]
