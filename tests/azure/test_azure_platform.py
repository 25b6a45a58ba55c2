"""modules_out/azure/platform: the platform core on AKS plus Azure Monitor managed Prometheus'
data collection, KEDA's workload identity on the workspace, and StorageClasses on the disk
encryption set.

The azurerm, kubernetes and helm providers are not on this machine's provider mirror: the
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

IDENTITY = "azurerm_user_assigned_identity.aks_keda"
DCR = "azurerm_monitor_data_collection_rule.aks_prometheus_rule"
DCE = "azurerm_monitor_data_collection_endpoint.aks_prometheus_endpoint"


@pytest.fixture(scope="module")
def module(synthesized) -> Path:
    return synthesized("azure") / "azure" / "platform"


@pytest.fixture(scope="module")
def manifests(module) -> dict[str, dict]:
    return resources(module, "kubernetes_manifest")


def test_inputs(module):
    variables = load(module, "variables.tf.json")["variable"]
    required = {name for name, spec in variables.items() if "default" not in spec}
    assert required == {
        "acme_email", "resource_group_name", "location", "environment", "cluster_id", "oidc_issuer_url", "monitor_workspace_id", "disk_encryption_set_id"
    }
    assert "diskEncryptionSets" in json.dumps(variables["disk_encryption_set_id"]["validation"])  # a literal from the environment
    # wired from references (data source, the monitoring root's state): described, not pattern-checked
    assert all("validation" not in variables[name] for name in ("cluster_id", "monitor_workspace_id", "oidc_issuer_url"))


def test_aks_gets_the_device_plugin_and_keeps_its_own_kube_state_metrics(module):
    releases = resources(module, "helm_release")
    assert {"platform_nvidia_device_plugin", "platform_dcgm_exporter", "platform_keda"} <= set(releases)
    assert "platform_kube_state_metrics" not in releases  # the metrics add-on runs ama-metrics-ksm


@pytest.mark.parametrize("storage_class", storage_classes())
def test_every_catalog_storage_class_uses_the_disk_encryption_set(module, storage_class):
    mapping = storage_class_for("azure", storage_class)
    created = {body["metadata"]["name"]: body for body in resources(module, "kubernetes_storage_class_v1").values()}
    body = created[mapping.storage_class_name]
    assert body["storage_provisioner"] == mapping.provisioner
    if mapping.requires_local_nvme:
        assert "parameters" not in body
    else:
        assert body["parameters"] == {**mapping.parameters, "diskEncryptionSetID": "${var.disk_encryption_set_id}"}
        assert body["parameters"]["skuName"] in {"StandardSSD_LRS", "Premium_LRS", "PremiumV2_LRS", "UltraSSD_LRS"}


def test_managed_prometheus_data_collection(module):
    (endpoint,) = resources(module, "azurerm_monitor_data_collection_endpoint").values()
    assert endpoint["kind"] == "Linux" and endpoint["resource_group_name"] == "${var.resource_group_name}"
    (rule,) = resources(module, "azurerm_monitor_data_collection_rule").values()
    assert rule["data_collection_endpoint_id"] == f"${{{DCE}.id}}"
    assert rule["destinations"] == {"monitor_account": [{"monitor_account_id": "${var.monitor_workspace_id}", "name": "workspace"}]}
    assert rule["data_flow"] == [{"streams": ["Microsoft-PrometheusMetrics"], "destinations": ["workspace"]}]
    assert rule["data_sources"] == {"prometheus_forwarder": [{"name": "prometheus", "streams": ["Microsoft-PrometheusMetrics"]}]}
    associations = resources(module, "azurerm_monitor_data_collection_rule_association")
    assert {a["target_resource_id"] for a in associations.values()} == {"${var.cluster_id}"}
    assert associations["aks_prometheus_rule_association"]["data_collection_rule_id"] == f"${{{DCR}.id}}"
    endpoint_link = associations["aks_prometheus_endpoint_association"]
    assert endpoint_link["data_collection_endpoint_id"] == f"${{{DCE}.id}}" and endpoint_link["name"] == "configurationAccessEndpoint"


def test_keda_reads_the_workspace_through_workload_identity(module):
    (identity,) = resources(module, "azurerm_user_assigned_identity").values()
    assert identity["resource_group_name"] == "${var.resource_group_name}"
    (reader,) = resources(module, "azurerm_role_assignment").values()
    assert reader == {
        "scope": "${var.monitor_workspace_id}",
        "role_definition_name": "Monitoring Data Reader",
        "principal_id": f"${{{IDENTITY}.principal_id}}",
        "principal_type": "ServicePrincipal",
    }
    (federation,) = resources(module, "azurerm_federated_identity_credential").values()
    assert federation["issuer"] == "${var.oidc_issuer_url}"
    assert federation["subject"] == f"system:serviceaccount:{CHARTS['keda'].namespace}:keda-operator"
    assert federation["audience"] == ["api://AzureADTokenExchange"] and federation["parent_id"] == f"${{{IDENTITY}.id}}"
    values = json.loads(resources(module, "helm_release")["platform_keda"]["values"][0])
    assert values["podIdentity"]["azureWorkload"] == {
        "enabled": True, "clientId": f"${{{IDENTITY}.client_id}}", "tenantId": f"${{{IDENTITY}.tenant_id}}"
    }


def test_the_cluster_trigger_authentication(manifests):
    auth = manifests["aks_keda_trigger_authentication"]
    assert auth["manifest"]["kind"] == "ClusterTriggerAuthentication" and auth["manifest"]["metadata"] == {"name": PLATFORM_KEDA_AUTH}
    assert auth["manifest"]["spec"] == {"podIdentity": {"provider": "azure-workload", "identityId": f"${{{IDENTITY}.client_id}}"}}
    assert auth["count"] == "${var.enable_crds ? 1 : 0}" and auth["depends_on"] == ["helm_release.platform_keda"]


def test_the_dcgm_exporter_is_scraped_keeping_its_labels(manifests):
    body = manifests["aks_scrape_dcgm_exporter"]
    manifest = body["manifest"]
    assert (manifest["apiVersion"], manifest["kind"]) == ("azmonitoring.coreos.com/v1", "PodMonitor")
    assert manifest["metadata"]["namespace"] == CHARTS["dcgm-exporter"].namespace
    (endpoint,) = manifest["spec"]["podMetricsEndpoints"]
    assert endpoint["port"] == "metrics" and endpoint["honorLabels"] is True
    assert body["depends_on"] == ["helm_release.platform_dcgm_exporter"]


def test_every_custom_resource_is_served_by_a_chart_here_or_by_aks(module, manifests):
    installed = {release["name"] for release in resources(module, "helm_release").values()}
    served = set().union(*(CHARTS[name].crds for name in installed)) | MANAGED_CRDS["azure"]
    kinds = {(body["manifest"]["apiVersion"], body["manifest"]["kind"]) for body in manifests.values()}
    assert kinds <= served
    assert ("azmonitoring.coreos.com/v1", "PodMonitor") in kinds - set().union(*(CHARTS[name].crds for name in installed))


def test_outputs(module):
    outputs = load(module, "outputs.tf.json")["output"]
    assert outputs["keda_authentication"]["value"] == PLATFORM_KEDA_AUTH
    assert outputs["keda_client_id"]["value"] == f"${{{IDENTITY}.client_id}}"
    assert outputs["prometheus_url"]["value"] == "${data.azurerm_monitor_workspace.aks_workspace.query_endpoint}"


@pytest.mark.integration
def test_checkov_finds_nothing(modules_out_checkov):
    """checkov 3.2 has no checks for these Azure resource types (nor for helm releases): what
    matters is that it scans the module and fails nothing."""
    result = findings_under(modules_out_checkov, "azure/platform")
    assert (result["failed"], result["parsing_errors"]) == ([], [])
