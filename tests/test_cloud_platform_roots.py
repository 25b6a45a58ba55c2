"""The GKE and AKS platform roots: providers pointed at the environment's cluster (the cloud's,
kubernetes and helm), and inputs that are exactly what the platform module takes."""

from __future__ import annotations

import json

import pytest

from synthdata_infra import providers
from synthdata_infra import cdk
from synthdata_infra.config import load_environment
from synthdata_infra.deploy.plan import Target, root_tags
from synthdata_infra.deploy.roots import RootStack
from synthdata_infra.errors import ConfigError
from tests.conftest import REPO, load

ROOT_SET = {"acme_email", "enable_crds"}  # what the platform root builder passes every platform module
CLOUD_PROVIDER = {"gcp": "google", "azure": "azurerm"}


class MonitoringOutputs:
    """Stands in for the root's reader of the monitoring root's outputs."""

    def __init__(self) -> None:
        self.read: list[str] = []

    def ref(self, output: str) -> str:
        self.read.append(output)
        return f"${{data.terraform_remote_state.monitoring.outputs.monitoring.{output}}}"


def platform_root(provider: str, environment):
    stack = RootStack(cdk.Testing.app(), f"platform-{provider}-{environment.name}", environment=environment, workspace=None, target=Target())
    outputs = MonitoringOutputs()
    inputs = providers.get(provider).platform_root(stack, environment, Target(), root_tags(environment), outputs)
    return json.loads(cdk.Testing.synth(stack)), inputs, outputs.read


@pytest.mark.parametrize("provider", sorted(CLOUD_PROVIDER))
def test_the_root_gives_the_module_exactly_its_inputs(provider):
    document, inputs, _ = platform_root(provider, load_environment("production"))
    variables = load(REPO / "modules_out" / provider / "platform", "variables.tf.json")["variable"]
    required = {name for name, spec in variables.items() if "default" not in spec}
    assert required <= set(inputs) | ROOT_SET
    assert set(inputs) <= set(variables) - ROOT_SET
    assert set(document["provider"]) == {CLOUD_PROVIDER[provider], "kubernetes", "helm"}
    assert set(document["terraform"]["required_providers"]) >= {CLOUD_PROVIDER[provider], "kubernetes", "helm"}
    helm = document["provider"]["helm"][0]["kubernetes"]
    kubernetes = document["provider"]["kubernetes"][0]
    assert helm["host"] == kubernetes["host"] and helm["cluster_ca_certificate"] == kubernetes["cluster_ca_certificate"]


def test_gke_inputs_come_from_the_cluster_settings():
    environment = load_environment("production")
    _, inputs, read = platform_root("gcp", environment)
    cluster = environment.clusters.gcp
    assert inputs == {
        "project_id": cluster.project,
        "environment": "production",
        "cluster_name": cluster.name,
        "cluster_location": cluster.location,
        "kms_key_id": cluster.volume_kms_key,
    }
    assert read == []  # Managed Service for Prometheus has no workspace to read


def test_aks_reads_the_workspace_from_the_monitoring_root():
    environment = load_environment("production")
    _, inputs, read = platform_root("azure", environment)
    assert read == ["workspace_id"]
    assert inputs["monitor_workspace_id"] == "${data.terraform_remote_state.monitoring.outputs.monitoring.workspace_id}"
    assert inputs["cluster_id"] == "${data.azurerm_kubernetes_cluster.cluster.id}"
    assert inputs["oidc_issuer_url"] == "${data.azurerm_kubernetes_cluster.cluster.oidc_issuer_url}"
    assert inputs["disk_encryption_set_id"] == environment.clusters.azure.disk_encryption_set_id


@pytest.mark.parametrize(("provider", "key"), [("gcp", "volume_kms_key"), ("azure", "disk_encryption_set_id")])
def test_a_cluster_without_the_volumes_key_is_refused(provider, key):
    environment = load_environment("production")
    cluster = getattr(environment.clusters, provider).model_copy(update={key: None})
    environment = environment.model_copy(update={"clusters": environment.clusters.model_copy(update={provider: cluster})})
    with pytest.raises(ConfigError) as refused:
        platform_root(provider, environment)
    assert f"clusters.{provider}.{key}" in str(refused.value)
