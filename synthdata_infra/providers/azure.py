"""Microsoft Azure: AKS node pools, Storage accounts, Key Vault, workload identity and Azure
Monitor managed Prometheus."""

from __future__ import annotations

from typing import Any

from synthdata_infra.errors import ConfigError
from synthdata_infra.providers.base import Binding, ModuleLayer, Provider, alert_receivers, grafana_dashboards_root


class Azure(Provider):
    name = "azure"
    binding = Binding("azurerm", "hashicorp/azurerm", ">= 4.55.0, < 5.0.0", 'provider "azurerm" {\n  features {}\n}')
    modules = (ModuleLayer("azure", "azurerm", "synthdata_infra.synth.azure_module:build"),)
    monitoring = ModuleLayer("azure", "azurerm", "synthdata_infra.synth.azure_monitoring_module:build")
    dashboards = ModuleLayer("azure", "grafana", "synthdata_infra.synth.grafana_module:build_azure")
    has_catalog = True
    cost_catalog = "azure"
    prometheus_retention = "18 months, fixed by the Azure Monitor workspace"
    grafana = "an Azure Managed Grafana"
    scraper_namespace = "kube-system"  # AKS's metrics add-on (ama-metrics) runs its collectors there

    def tag_problem(self, key: str, value: str) -> tuple[str, str] | None:
        # https://learn.microsoft.com/azure/azure-resource-manager/management/tag-resources#limitations
        if any(character in key for character in '<>%&\\?/') or len(key) > 512:
            return key, "an Azure tag key: at most 512 characters, none of < > % & \\ ? /"
        return None

    def cloud_inputs(self, plan, target) -> dict[str, Any]:
        return {"node_vm_size": plan.placement.instance_type, "location": plan.environment.regions.azure}

    def provider_block(self, stack) -> None:
        from synthdata_infra.cdk import azurerm
        from synthdata_infra.deploy.roots import named

        named(azurerm.provider.AzurermProvider(stack, "azurerm", features=[azurerm.provider.AzurermProviderFeatures()]), "azurerm")
        stack.require(self.binding)

    def service_root(self, stack, plan, target, tags, inputs) -> str:
        from synthdata_infra.cdk import azurerm
        from synthdata_infra.deploy.roots import kubernetes_provider, named

        cluster = self.cluster(plan.environment)
        self.provider_block(stack)
        named(
            azurerm.data_azurerm_kubernetes_cluster.DataAzurermKubernetesCluster(
                stack, "cluster", name=cluster.name, resource_group_name=cluster.resource_group
            ),
            "cluster",
        )
        inputs.update(
            resource_group_name=cluster.resource_group,
            kubernetes_cluster_id="${data.azurerm_kubernetes_cluster.cluster.id}",
            oidc_issuer_url="${data.azurerm_kubernetes_cluster.cluster.oidc_issuer_url}",
            tags=tags,
        )
        cloud = stack.module("cloud", plan.cloud_folder, inputs)
        config = "data.azurerm_kubernetes_cluster.cluster.kube_config[0]"
        kubernetes_provider(
            stack,
            host=f"${{{config}.host}}",
            cluster_ca_certificate=f"${{base64decode({config}.cluster_ca_certificate)}}",
            client_certificate=f"${{base64decode({config}.client_certificate)}}",
            client_key=f"${{base64decode({config}.client_key)}}",
        )
        return cloud

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
