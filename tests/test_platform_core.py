"""The platform core as synthesized JSON: the pinned charts with the values they need (the keys
were checked against each chart's values.yaml at its version), Pod Security labels per namespace,
the ClusterIssuer, the catalog's StorageClasses with the provider's encryption hook, and the
ServiceMonitor switch that follows the charts installed."""

from __future__ import annotations

import json

import pytest

from synthdata_infra.catalog import storage_class_for, storage_classes
from synthdata_infra.components.node_placement import ACCELERATOR_LABEL, GPU_TAINT_KEY
from synthdata_infra.components.platform.charts import CHARTS, EXTRA_NAMESPACES
from synthdata_infra.naming import CLUSTER_ISSUER, INGRESS_CLASS, INGRESS_NAMESPACE
from tests.conftest import REPO

ONPREM = REPO / "modules_out" / "onprem" / "platform"
GPU_AFFINITY = {
    "nodeAffinity": {
        "requiredDuringSchedulingIgnoredDuringExecution": {
            "nodeSelectorTerms": [{"matchExpressions": [{"key": ACCELERATOR_LABEL, "operator": "Exists"}]}]
        }
    }
}


def synth_core(tmp_path, **props) -> dict:
    """A module stack holding only a PlatformCore with ``props`` (beside the required ones)."""
    from synthdata_infra.cdk import App
    from synthdata_infra.components.platform.core import PlatformCore, PlatformCoreProps
    from synthdata_infra.synth.module_stack import ModuleDoc, ModuleStack

    app = App(outdir=str(tmp_path), skip_validation=True)
    stack = ModuleStack(app, "core", providers=("kubernetes", "helm"), doc=ModuleDoc(label="x", title="x", summary="x", source="x"))
    settings = {"acme_email": "${var.acme_email}", "acme_server": "${var.acme_server}", "enable_crds": "${var.enable_crds}"} | props
    PlatformCore(stack, "platform", PlatformCoreProps(**settings))
    stack.check_logical_ids()
    app.synth()
    return json.loads((tmp_path / "stacks" / "core" / "cdk.tf.json").read_text())


def releases(document: dict) -> dict[str, dict]:
    return {r["name"]: r for r in document["resource"]["helm_release"].values()}


def values(release: dict) -> dict:
    (text,) = release["values"]
    return json.loads(text)


@pytest.fixture(scope="module")
def onprem() -> dict:
    return json.loads((ONPREM / "main.tf.json").read_text())


def test_every_release_is_a_pinned_chart_of_the_table(onprem):
    found = releases(onprem)
    # on-prem: kube-prometheus-stack brings kube-state-metrics; cluster-autoscaler is EKS's (AWS platform only)
    assert set(found) == set(CHARTS) - {"kube-state-metrics", "cluster-autoscaler"}
    for name, release in found.items():
        chart = CHARTS[name]
        assert (release["repository"], release["chart"], release["version"]) == (chart.repository, chart.chart, chart.version)
        assert release["version"][0] in "v0123456789" and "latest" not in release["version"]
        assert release["namespace"] == f"${{kubernetes_namespace_v1.platform_namespace_{chart.namespace.replace('-', '_')}.metadata[0].name}}"


def test_namespaces_carry_pod_security_labels_and_say_why_when_not_restricted(onprem):
    namespaces = {ns["metadata"]["name"]: ns["metadata"] for ns in onprem["resource"]["kubernetes_namespace_v1"].values()}
    assert set(namespaces) == {c.namespace for c in CHARTS.values() if c.component not in ("kube-state-metrics", "cluster-autoscaler")} | set(EXTRA_NAMESPACES)
    privileged = {"nvidia-gpu", "node-exporter"}
    for name, metadata in namespaces.items():
        level = "privileged" if name in privileged else "restricted"
        assert {metadata["labels"][f"pod-security.kubernetes.io/{mode}"] for mode in ("enforce", "audit", "warn")} == {level}
        assert bool(metadata.get("annotations", {}).get("synthdata.io/pod-security-reason")) == (name in privileged)
    assert INGRESS_NAMESPACE in namespaces


def test_chart_values_the_other_layers_rely_on(onprem):
    found = releases(onprem)
    nginx = values(found["ingress-nginx"])["controller"]
    assert nginx["ingressClass"] == INGRESS_CLASS and nginx["ingressClassResource"] == {"enabled": True, "name": INGRESS_CLASS, "default": False}
    assert values(found["cert-manager"])["crds"] == {"enabled": True, "keep": True}
    assert values(found["keda"])["crds"] == {"install": True}
    assert values(found["external-secrets"])["installCRDs"] is True
    toleration = {"key": GPU_TAINT_KEY, "operator": "Exists", "effect": "NoSchedule"}
    for name in ("dcgm-exporter", "nvidia-device-plugin"):  # on the GPU nodes the workload's GPU pods land on
        gpu = values(found[name])
        assert gpu["affinity"] == GPU_AFFINITY and toleration in gpu["tolerations"]
    # kube-prometheus-stack serves ServiceMonitor on-prem: DCGM's is on, keeps the consumer pod's labels, waits for the CRD.
    assert values(found["dcgm-exporter"])["serviceMonitor"] == {"enabled": True, "honorLabels": True, "additionalLabels": {}}
    assert found["dcgm-exporter"]["depends_on"] == ["helm_release.platform_kube_prometheus_stack"]
    kps = values(found["kube-prometheus-stack"])
    assert kps["prometheus-node-exporter"]["namespaceOverride"] == "node-exporter"
    assert kps["prometheus"]["prometheusSpec"]["serviceMonitorSelectorNilUsesHelmValues"] is False
    assert found["nvidia-device-plugin"]["count"] == "${var.enable_device_plugin ? 1 : 0}"


def test_the_cluster_issuer_the_profiles_name(onprem):
    (issuer,) = onprem["resource"]["kubernetes_manifest"].values()
    manifest = issuer["manifest"]
    assert (manifest["apiVersion"], manifest["kind"], manifest["metadata"]["name"]) == ("cert-manager.io/v1", "ClusterIssuer", CLUSTER_ISSUER)
    acme = manifest["spec"]["acme"]
    assert acme["email"] == "${var.acme_email}" and acme["server"] == "${var.acme_server}"
    assert acme["solvers"] == [{"http01": {"ingress": {"ingressClassName": INGRESS_CLASS}}}]
    assert issuer["count"] == "${var.enable_crds ? 1 : 0}"
    assert set(issuer["depends_on"]) == {"helm_release.platform_cert_manager", "helm_release.platform_ingress_nginx"}
    assert CHARTS["cert-manager"].serves(manifest["apiVersion"], manifest["kind"])


def test_onprem_storage_classes_use_the_operators_driver(onprem):
    classes = {c["metadata"]["name"]: c for c in onprem["resource"]["kubernetes_storage_class_v1"].values()}
    assert set(classes) == {storage_class_for("onprem", name).storage_class_name for name in storage_classes()}
    for name, created in classes.items():
        local = created["storage_provisioner"] == "kubernetes.io/no-provisioner"
        assert created["volume_binding_mode"] == "WaitForFirstConsumer"
        if not local:
            assert created["storage_provisioner"] == "${var.storage_provisioner}"
            assert created["parameters"] == f'${{merge(lookup(var.storage_parameters, "{name}", {{}}))}}'
    assert sum(c["storage_provisioner"] == "kubernetes.io/no-provisioner" for c in classes.values()) == 1


def test_a_cloud_core_gets_catalog_parameters_plus_its_key_and_no_service_monitors(tmp_path):
    document = synth_core(tmp_path, provider="aws", device_plugin=True, storage_parameters={"encrypted": "true", "kmsKeyId": "${var.kms_key_arn}"})
    classes = {c["metadata"]["name"]: c for c in document["resource"]["kubernetes_storage_class_v1"].values()}
    for name in storage_classes():
        mapping = storage_class_for("aws", name)
        created = classes[mapping.storage_class_name]
        assert created["storage_provisioner"] == mapping.provisioner
        if mapping.provisioner != "kubernetes.io/no-provisioner":
            assert created["parameters"] == {**mapping.parameters, "encrypted": "true", "kmsKeyId": "${var.kms_key_arn}"}
        else:
            assert "parameters" not in created
    found = releases(document)
    assert "count" not in found["nvidia-device-plugin"] and "kube-state-metrics" in found
    # Nothing serves the ServiceMonitor CRD: no chart may create one (its install would fail).
    assert values(found["dcgm-exporter"])["serviceMonitor"]["enabled"] is False
    assert values(found["kube-state-metrics"])["prometheus"]["monitor"]["enabled"] is False
    assert values(found["ingress-nginx"])["controller"]["metrics"]["serviceMonitor"]["enabled"] is False
    assert all("depends_on" not in release for release in found.values())


def test_provider_values_merge_over_the_cores(tmp_path):
    role = "${aws_iam_role.keda.arn}"
    document = synth_core(tmp_path, provider="gcp", values={"keda": {"podIdentity": {"aws": {"irsa": {"enabled": True, "roleArn": role}}}}})
    keda = values(releases(document)["keda"])
    assert keda == {"crds": {"install": True}, "podIdentity": {"aws": {"irsa": {"enabled": True, "roleArn": role}}}}


@pytest.mark.parametrize(
    ("props", "message"),
    [
        ({"extra_charts": ("no-such-chart",)}, "missing from components/platform/charts.py"),
        ({"extra_charts": ("keda",)}, "the core installs itself"),
        ({"values": {"kube-prometheus-stack": {}}}, "not installed"),
    ],
)
def test_bad_props_are_refused_by_name(tmp_path, props, message):
    with pytest.raises(ValueError, match=message):
        synth_core(tmp_path, provider="gcp", **props)


def test_the_readme_lists_every_chart_of_the_table():
    """The README's table is written from charts.py: `python -m synthdata_infra.components.platform.charts` rewrites it."""
    from synthdata_infra.components.platform.charts import update_readme

    text = (REPO / "README.md").read_text(encoding="utf-8")
    assert update_readme(text) == text, "README.md's platform chart table is stale: run `python -m synthdata_infra.components.platform.charts`"
    for chart in CHARTS.values():
        assert f"`{chart.chart}` {chart.version} " in text
