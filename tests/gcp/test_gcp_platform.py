"""modules_out/gcp/platform: the platform core on GKE plus KEDA's Workload Identity for Managed
Service for Prometheus, CMEK StorageClasses and the exporters' managed-collection objects.

The google, kubernetes and helm providers are not on this machine's provider mirror: the
synthesized JSON is checked (resources, their key arguments, what they reference), and checkov
scans it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from synthdata_infra.catalog import storage_class_for, storage_classes
from synthdata_infra.components.platform.charts import CHARTS, MANAGED_CRDS
from synthdata_infra.naming import PLATFORM_KEDA_AUTH
from tests.conftest import load, resources
from tests.test_checkov import findings_under

KEDA_SA = "${google_service_account.gke_keda.email}"


@pytest.fixture(scope="module")
def module(synthesized) -> Path:
    return synthesized("gcp") / "gcp" / "platform"


@pytest.fixture(scope="module")
def manifests(module) -> dict[str, dict]:
    return resources(module, "kubernetes_manifest")


def test_inputs(module):
    variables = load(module, "variables.tf.json")["variable"]
    required = {name for name, spec in variables.items() if "default" not in spec}
    assert required == {"acme_email", "project_id", "environment", "cluster_name", "cluster_location", "kms_key_id"}
    assert variables["grant_disk_key_access"]["default"] is True and variables["enable_crds"]["default"] is True
    assert "cryptoKeys" in json.dumps(variables["kms_key_id"]["validation"])


def test_gke_provides_the_device_plugin_and_the_core_adds_dcgm(module):
    releases = resources(module, "helm_release")
    assert "platform_nvidia_device_plugin" not in releases  # GKE runs its own on GPU nodes
    assert {"platform_dcgm_exporter", "platform_kube_state_metrics", "platform_keda"} <= set(releases)
    dcgm = json.loads(releases["platform_dcgm_exporter"]["values"][0])
    assert dcgm["extraHostVolumes"] == [{"name": "nvidia-install-dir-host", "hostPath": "/home/kubernetes/bin/nvidia"}]
    assert {"name": "nvidia-install-dir-host", "mountPath": "/usr/local/nvidia", "readOnly": True} in dcgm["extraVolumeMounts"]
    assert {"name": "LD_LIBRARY_PATH", "value": "/usr/local/nvidia/lib64"} in dcgm["extraEnv"]
    # the chart's own counters mount survives (extraVolumeMounts replaces the chart's list)
    assert any(m["name"] == "exporter-metrics-volume" for m in dcgm["extraVolumeMounts"])


@pytest.mark.parametrize("storage_class", storage_classes())
def test_every_catalog_storage_class_encrypts_with_the_key(module, storage_class):
    mapping = storage_class_for("gcp", storage_class)
    created = {body["metadata"]["name"]: body for body in resources(module, "kubernetes_storage_class_v1").values()}
    body = created[mapping.storage_class_name]
    assert body["storage_provisioner"] == mapping.provisioner
    if mapping.requires_local_nvme:
        assert "parameters" not in body
    else:
        assert body["parameters"] == {**mapping.parameters, "disk-encryption-kms-key": "${var.kms_key_id}"}


def test_the_compute_agent_may_use_the_key(module):
    (grant,) = resources(module, "google_kms_crypto_key_iam_member").values()
    assert grant["crypto_key_id"] == "${var.kms_key_id}"
    assert grant["role"] == "roles/cloudkms.cryptoKeyEncrypterDecrypter"
    assert grant["member"] == "serviceAccount:service-${data.google_project.gke_project.number}@compute-system.iam.gserviceaccount.com"
    assert grant["count"] == "${var.grant_disk_key_access ? 1 : 0}"


def test_keda_reads_managed_prometheus_through_workload_identity(module):
    (account,) = resources(module, "google_service_account").values()
    assert account["project"] == "${var.project_id}" and "${var.environment}" in account["account_id"]
    (viewer,) = resources(module, "google_project_iam_member").values()
    assert viewer == {"project": "${var.project_id}", "role": "roles/monitoring.viewer", "member": f"serviceAccount:{KEDA_SA}"}
    (binding,) = resources(module, "google_service_account_iam_member").values()
    keda = CHARTS["keda"]
    assert binding["role"] == "roles/iam.workloadIdentityUser"
    assert binding["member"] == f"serviceAccount:${{var.project_id}}.svc.id.goog[{keda.namespace}/keda-operator]"
    assert binding["service_account_id"] == "${google_service_account.gke_keda.name}"
    values = json.loads(resources(module, "helm_release")["platform_keda"]["values"][0])
    assert values["podIdentity"]["gcp"] == {"enabled": True, "gcpIAMServiceAccount": KEDA_SA}


def test_preconditions_refuse_a_cluster_without_managed_collection_or_workload_identity(module):
    (account,) = resources(module, "google_service_account").values()
    conditions = " ".join(check["condition"] for check in account["lifecycle"]["precondition"])
    assert "managed_prometheus[0].enabled" in conditions
    assert "workload_pool" in conditions and ".svc.id.goog" in conditions
    cluster = load(module, "main.tf.json")["data"]["google_container_cluster"]["gke_cluster"]
    assert cluster == {"name": "${var.cluster_name}", "location": "${var.cluster_location}", "project": "${var.project_id}"}


def test_the_cluster_trigger_authentication(manifests):
    auth = manifests["gke_keda_trigger_authentication"]
    assert auth["manifest"] == {
        "apiVersion": "keda.sh/v1alpha1",
        "kind": "ClusterTriggerAuthentication",
        "metadata": {"name": PLATFORM_KEDA_AUTH},
        "spec": {"podIdentity": {"provider": "gcp"}},
    }
    assert auth["count"] == "${var.enable_crds ? 1 : 0}" and auth["depends_on"] == ["helm_release.platform_keda"]


@pytest.mark.parametrize("component", ["dcgm-exporter", "kube-state-metrics"])
def test_the_exporters_are_scraped_keeping_their_own_labels(manifests, component):
    body = manifests[f"gke_scrape_{component.replace('-', '_')}"]
    manifest = body["manifest"]
    # ClusterPodMonitoring without metadata target labels: DCGM's namespace/pod (the GPU's consumer) survive.
    assert (manifest["apiVersion"], manifest["kind"]) == ("monitoring.googleapis.com/v1", "ClusterPodMonitoring")
    assert manifest["spec"]["targetLabels"] == {"metadata": []}
    assert manifest["spec"]["selector"]["matchLabels"] == {"app.kubernetes.io/name": CHARTS[component].chart, "app.kubernetes.io/instance": component}
    assert body["depends_on"] == [f"helm_release.platform_{component.replace('-', '_')}"]


def test_every_custom_resource_is_served_by_a_chart_here_or_by_gke(module, manifests):
    installed = {release["name"] for release in resources(module, "helm_release").values()}
    served = set().union(*(CHARTS[name].crds for name in installed)) | MANAGED_CRDS["gcp"]
    kinds = {(body["manifest"]["apiVersion"], body["manifest"]["kind"]) for body in manifests.values()}
    assert kinds <= served
    # planted defect: without the keda chart the ClusterTriggerAuthentication has no CRD
    without_keda = set().union(*(CHARTS[name].crds for name in installed - {"keda"})) | MANAGED_CRDS["gcp"]
    assert kinds - without_keda == {("keda.sh/v1alpha1", "ClusterTriggerAuthentication")}


def test_outputs(module):
    outputs = load(module, "outputs.tf.json")["output"]
    assert outputs["keda_authentication"]["value"] == PLATFORM_KEDA_AUTH
    assert outputs["prometheus_url"]["value"] == "https://monitoring.googleapis.com/v1/projects/${var.project_id}/location/global/prometheus"
    assert outputs["keda_service_account_email"]["value"] == KEDA_SA


@pytest.mark.integration
def test_checkov_finds_nothing(modules_out_checkov):
    result = findings_under(modules_out_checkov, "gcp/platform")
    assert (result["failed"], result["parsing_errors"]) == ([], [])
    assert result["passed"]
