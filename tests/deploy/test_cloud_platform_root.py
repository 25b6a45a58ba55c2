"""The GKE and AKS platform roots as `deploy` writes them: the cloud's provider, kubernetes and
helm on the environment's cluster, the platform module called with the cluster settings, and on
Azure the monitoring root's workspace read through its state."""

from __future__ import annotations

import json

from synthdata_infra.naming import platform_stack
from tests.deploy.test_platform_root import dev_plan, roots

SERVICES = [{"name": "pictures", "data_type": "image", "provider": "gcp"}, {"name": "speech", "data_type": "audio", "provider": "azure"}]


def test_the_gke_and_aks_platform_roots(project, tmp_path):
    plan = dev_plan(project, lambda d: d.update(services=SERVICES))
    stacks = roots(plan, tmp_path)
    gke, aks = stacks[platform_stack("gcp", "dev")], stacks[platform_stack("azure", "dev")]

    module = gke["module"]["platform"]
    assert module["source"] == "./modules/gcp/platform"
    assert module["kms_key_id"] == "projects/synthdata-dev-1234/locations/us-central1/keyRings/synthdata-dev/cryptoKeys/volumes"
    assert (module["project_id"], module["cluster_name"], module["cluster_location"]) == ("synthdata-dev-1234", "synthdata-dev", "us-central1")
    assert module["acme_email"] == "synthdata-alerts-dev@example.com" and module["enable_crds"] == "${var.enable_crds}"
    assert set(gke["provider"]) == {"google", "kubernetes", "helm"}
    assert gke["provider"]["helm"][0]["kubernetes"]["token"] == "${data.google_client_config.client.access_token}"
    assert "terraform_remote_state" not in json.dumps(gke)  # Managed Service for Prometheus: no workspace to read

    module = aks["module"]["platform"]
    assert module["source"] == "./modules/azure/platform"
    assert module["monitor_workspace_id"] == "${data.terraform_remote_state.monitoring.outputs.monitoring.workspace_id}"
    assert module["cluster_id"] == "${data.azurerm_kubernetes_cluster.cluster.id}"
    assert module["disk_encryption_set_id"].endswith("/diskEncryptionSets/synthdata-dev-volumes")
    assert set(aks["provider"]) == {"azurerm", "kubernetes", "helm"}
    assert "monitoring-azure-dev" in json.dumps(aks["data"]["terraform_remote_state"]["monitoring"]["config"])
