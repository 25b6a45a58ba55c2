"""Microsoft Azure: AKS node pools, Storage accounts, Key Vault, workload identity and Azure
Monitor managed Prometheus."""

from __future__ import annotations

from typing import Any

from synthdata_infra.errors import ConfigError
from synthdata_infra.naming import PLATFORM_KEDA_AUTH, monitoring_workspace
from synthdata_infra.providers.base import Binding, ModuleLayer, Provider, alert_receivers, grafana_dashboards_root


class Azure(Provider):
    name = "azure"
    binding = Binding("azurerm", "hashicorp/azurerm", ">= 4.55.0, < 5.0.0", 'provider "azurerm" {\n  features {}\n}')
    modules = (ModuleLayer("azure", "azurerm", "synthdata_infra.synth.azure_module:build"),)
    monitoring = ModuleLayer("azure", "azurerm", "synthdata_infra.synth.azure_monitoring_module:build")
    platform = ModuleLayer("azure", "azurerm", "synthdata_infra.synth.azure_platform_module:build")
    dashboards = ModuleLayer("azure", "grafana", "synthdata_infra.synth.grafana_module:build_azure")
    has_catalog = True
    cost_catalog = "azure"
    prometheus_retention = "18 months, fixed by the Azure Monitor workspace"
    grafana = "an Azure Managed Grafana"
    service_input_keys = ("storage.cdn_enabled",)  # enable_cdn (Azure Front Door in front of the container)
    per_service_refusals = {
        # Terraform can only omit the nested restore_policy with a `dynamic` block, and checkov 3.2 then
        # fails to read the module ("Failed to add block") and scans none of the storage account's checks.
        "storage.backup_enabled": (
            "point-in-time restore is a nested restore_policy block of the storage account, switchable only by a "
            "dynamic block that stops checkov scanning the account"
        ),
    }
    scraper_namespace = "kube-system"  # AKS's metrics add-on (ama-metrics) runs its collectors there
    scrape_kind = "PodMonitor"  # azmonitoring.coreos.com/v1, read by the ama-metrics add-on

    def tag_problem(self, key: str, value: str) -> tuple[str, str] | None:
        # https://learn.microsoft.com/azure/azure-resource-manager/management/tag-resources#limitations
        if any(character in key for character in '<>%&\\?/') or len(key) > 512:
            return key, "an Azure tag key: at most 512 characters, none of < > % & \\ ? /"
        return None

    def cloud_inputs(self, plan, target) -> dict[str, Any]:
        return {
            "node_vm_size": plan.placement.instance_type,
            "location": plan.environment.regions.azure,
            "enable_cdn": plan.config.storage.cdn_enabled,
        }

    def provider_block(self, stack) -> None:
        from synthdata_infra.cdk import azurerm
        from synthdata_infra.deploy.roots import named

        named(azurerm.provider.AzurermProvider(stack, "azurerm", features=[azurerm.provider.AzurermProviderFeatures()]), "azurerm")
        stack.require(self.binding)

    def cluster_providers(self, stack, environment):
        """The azurerm provider, the environment's cluster looked up, and the kubernetes provider
        connected to it; returns the cluster's settings and the connection (for the helm provider)."""
        from synthdata_infra.cdk import azurerm
        from synthdata_infra.deploy.roots import kubernetes_provider, named

        cluster = self.cluster(environment)
        self.provider_block(stack)
        named(
            azurerm.data_azurerm_kubernetes_cluster.DataAzurermKubernetesCluster(
                stack, "cluster", name=cluster.name, resource_group_name=cluster.resource_group
            ),
            "cluster",
        )
        config = "data.azurerm_kubernetes_cluster.cluster.kube_config[0]"
        connection = {
            "host": f"${{{config}.host}}",
            "cluster_ca_certificate": f"${{base64decode({config}.cluster_ca_certificate)}}",
            "client_certificate": f"${{base64decode({config}.client_certificate)}}",
            "client_key": f"${{base64decode({config}.client_key)}}",
        }
        kubernetes_provider(stack, **connection)
        return cluster, connection

    def service_root(self, stack, plan, target, tags, inputs) -> str:
        cluster, _ = self.cluster_providers(stack, plan.environment)
        inputs.update(
            resource_group_name=cluster.resource_group,
            kubernetes_cluster_id="${data.azurerm_kubernetes_cluster.cluster.id}",
            oidc_issuer_url="${data.azurerm_kubernetes_cluster.cluster.oidc_issuer_url}",
            tags=tags,
        )
        return stack.module("cloud", plan.cloud_folder, inputs)

    def platform_providers(self, stack, environment, target, tags) -> None:
        from synthdata_infra.deploy.roots import helm_provider

        _, connection = self.cluster_providers(stack, environment)
        helm_provider(stack, **connection)

    def platform_inputs(self, environment, target, tags, monitoring_outputs) -> dict[str, Any]:
        """The AKS platform module's inputs: the cluster (looked up by the providers), its disk
        encryption set, and the Azure Monitor workspace of the monitoring root (applied first)."""
        cluster = self.cluster(environment)
        if cluster.disk_encryption_set_id is None:
            raise ConfigError(
                f"environments/{environment.name}.yaml:clusters.azure.disk_encryption_set_id",
                None,
                "the AKS platform encrypts every volume with a disk encryption set (customer-managed key): set its resource id",
            )
        return {
            "resource_group_name": cluster.resource_group,
            "location": environment.regions.azure,
            "environment": environment.name,
            "cluster_id": "${data.azurerm_kubernetes_cluster.cluster.id}",
            "oidc_issuer_url": "${data.azurerm_kubernetes_cluster.cluster.oidc_issuer_url}",
            "monitor_workspace_id": monitoring_outputs.ref("workspace_id"),
            "disk_encryption_set_id": cluster.disk_encryption_set_id,
            "tags": tags,
        }

    def workload_inputs(self, stack, plan, cloud) -> dict[str, Any]:
        from synthdata_infra.cdk import azurerm
        from synthdata_infra.deploy.roots import named

        cluster = self.cluster(plan.environment)
        # The monitoring root (applied first) created the Azure Monitor workspace.
        named(
            azurerm.data_azurerm_monitor_workspace.DataAzurermMonitorWorkspace(
                stack, "monitoring", name=monitoring_workspace(plan.environment.name), resource_group_name=cluster.resource_group
            ),
            "monitoring",
        )
        inputs: dict[str, Any] = {
            "prometheus_url": "${data.azurerm_monitor_workspace.monitoring.query_endpoint}",
            "keda_authentication": PLATFORM_KEDA_AUTH,
        }
        if plan.config.security.secrets:
            # The service's own Key Vault, read with its workload identity ("Key Vault Secrets User" on
            # that vault only); the secrets there carry the profile's names. The service account's
            # annotations give the identity's client id, not its tenant: the store names it.
            named(azurerm.data_azurerm_client_config.DataAzurermClientConfig(stack, "current"), "current")
            inputs["secret_store_provider"] = {
                "azurekv": {
                    "authType": "WorkloadIdentity",
                    "vaultUrl": f"${{{cloud}.key_vault_uri}}",
                    "tenantId": "${data.azurerm_client_config.current.tenant_id}",
                    "serviceAccountRef": {"name": plan.name},
                }
            }
        return inputs

    def monitoring_root(self, stack, environment, target, tags, settings) -> dict[str, Any]:
        inputs = super().monitoring_root(stack, environment, target, tags, settings)
        if inputs["enable_grafana"]:
            # A Microsoft Entra token of the identity running Terraform, minted for the run into GRAFANA_AUTH
            # (modules_out/azure/grafana/README.md): nothing long-lived in the configuration or the state.
            grafana_dashboards_root(stack, self, auth=None)
        return inputs

    def monitoring_providers(self, stack, environment, target, tags) -> None:
        self.provider_block(stack)

    def monitoring_inputs(self, environment, target, tags, settings) -> dict[str, Any]:
        cluster = self.cluster(environment)
        receivers = alert_receivers(environment, settings)
        slack = receivers.slack
        if slack is not None and slack.azure_key_vault_id is None:
            raise ConfigError(
                f"environments/{environment.name}.yaml:alert_slack.azure_key_vault_id",
                None,
                "services on azure read the Slack webhook URL from Key Vault: set the id of the vault holding alert_slack.secret",
            )
        return {
            "environment": environment.name,
            "location": environment.regions.azure,
            "resource_group_name": cluster.resource_group,
            "cluster_name": cluster.name,
            "enable_grafana": settings.grafana.enabled,
            "enable_alerts": settings.alerts.enabled,
            "alert_emails": receivers.emails,
            "slack_webhook": {"key_vault_id": slack.azure_key_vault_id, "secret_name": slack.secret} if slack else None,
            "tags": tags,
        }
