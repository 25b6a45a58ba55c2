"""AzurePlatform: what an AKS cluster needs beyond the common platform core.

- GPUs: AKS installs the NVIDIA driver on GPU node pools but not the Kubernetes device plugin
  (AKS's "Use GPUs" page installs it by hand; only the NVIDIA GPU Operator or the managed GPU node
  pool preview bring one), so the core installs the device plugin and the DCGM exporter.
- Metrics: Azure Monitor managed Prometheus. The metrics add-on (ama-metrics) is a cluster setting
  (``azurerm_kubernetes_cluster.monitor_metrics {}`` / ``az aks update --enable-azure-monitor-metrics``)
  that brings the ``PodMonitor`` CRD (azmonitoring.coreos.com/v1); this construct creates the data
  collection endpoint and rule that forward its ``Microsoft-PrometheusMetrics`` stream to the
  environment's Azure Monitor workspace, and associates both with the cluster.
- KEDA queries the workspace as a user-assigned identity holding "Monitoring Data Reader" on it,
  federated to KEDA's operator service account on the cluster's OIDC issuer (workload identity).
- StorageClasses encrypt with the environment's disk encryption set (``diskEncryptionSetID``).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from synthdata_infra.cdk import Construct, azurerm, kubernetes as k8s
from synthdata_infra.components.expressions import as_map, count_if, inner, named
from synthdata_infra.components.platform.scrape import ScrapeTarget
from synthdata_infra.naming import PLATFORM_KEDA_AUTH

MONITORING_DATA_READER = "Monitoring Data Reader"  # built-in role: query an Azure Monitor workspace
PROMETHEUS_STREAM = "Microsoft-PrometheusMetrics"
WORKLOAD_IDENTITY_AUDIENCE = "api://AzureADTokenExchange"
POD_MONITOR_API = "azmonitoring.coreos.com/v1"  # PodMonitor, served by the ama-metrics add-on
KEDA_API = "keda.sh/v1alpha1"
# disk.csi.azure.com StorageClass parameter naming the disk encryption set (azuredisk-csi-driver docs).
DES_PARAMETER = "diskEncryptionSetID"
# The data collection endpoint association's fixed name (Azure Monitor docs for managed Prometheus).
DCE_ASSOCIATION_NAME = "configurationAccessEndpoint"


class AzurePlatformProps(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name_prefix: str  # synthdata-<environment>: the endpoint and rule are <prefix>-prometheus (44 characters at most), the identity <prefix>-keda
    resource_group_name: str  # string expressions
    location: str
    tags: str  # map(string) expression
    cluster_id: str  # the AKS cluster's resource id
    oidc_issuer_url: str  # its OIDC issuer (workload identity)
    monitor_workspace_id: str  # the Azure Monitor workspace the monitoring module created
    disk_encryption_set_id: str  # the volumes' disk encryption set
    keda_namespace: str
    keda_service_account: str
    enable_crds: str  # bool expression: the ClusterTriggerAuthentication and PodMonitors
    scrape_targets: tuple[ScrapeTarget, ...]


class AzurePlatform(Construct):
    def __init__(self, scope: Construct, construct_id: str, props: AzurePlatformProps) -> None:
        super().__init__(scope, construct_id)
        tags = as_map(props.tags)
        name = f"{props.name_prefix}-prometheus"
        where = {"resource_group_name": props.resource_group_name, "location": props.location}

        endpoint = named(
            azurerm.monitor_data_collection_endpoint.MonitorDataCollectionEndpoint(
                self, "prometheus_endpoint", name=name, kind="Linux", tags=tags, **where
            )
        )
        dcr = azurerm.monitor_data_collection_rule
        destination = "workspace"
        rule = named(
            dcr.MonitorDataCollectionRule(
                self,
                "prometheus_rule",
                name=name,
                kind="Linux",
                description="Forwards the cluster's managed Prometheus metrics to the environment's Azure Monitor workspace.",
                data_collection_endpoint_id=endpoint.id,
                destinations=dcr.MonitorDataCollectionRuleDestinations(
                    monitor_account=[dcr.MonitorDataCollectionRuleDestinationsMonitorAccount(monitor_account_id=props.monitor_workspace_id, name=destination)]
                ),
                data_flow=[dcr.MonitorDataCollectionRuleDataFlow(streams=[PROMETHEUS_STREAM], destinations=[destination])],
                data_sources=dcr.MonitorDataCollectionRuleDataSources(
                    prometheus_forwarder=[dcr.MonitorDataCollectionRuleDataSourcesPrometheusForwarder(name="prometheus", streams=[PROMETHEUS_STREAM])]
                ),
                tags=tags,
                **where,
            )
        )
        association = azurerm.monitor_data_collection_rule_association
        named(
            association.MonitorDataCollectionRuleAssociation(
                self,
                "prometheus_rule_association",
                name=f"{name}-rule",
                target_resource_id=props.cluster_id,
                data_collection_rule_id=rule.id,
                description="Sends the cluster's managed Prometheus metrics through the synthdata rule; removing it stops collection.",
            )
        )
        named(
            association.MonitorDataCollectionRuleAssociation(
                self,
                "prometheus_endpoint_association",
                name=DCE_ASSOCIATION_NAME,
                target_resource_id=props.cluster_id,
                data_collection_endpoint_id=endpoint.id,
            )
        )

        self.keda_identity = named(
            azurerm.user_assigned_identity.UserAssignedIdentity(self, "keda", name=f"{props.name_prefix}-keda", tags=tags, **where)
        )
        named(
            azurerm.role_assignment.RoleAssignment(
                self,
                "keda_reads_workspace",
                scope=props.monitor_workspace_id,
                role_definition_name=MONITORING_DATA_READER,
                principal_id=self.keda_identity.principal_id,
                principal_type="ServicePrincipal",
            )
        )
        named(
            azurerm.federated_identity_credential.FederatedIdentityCredential(
                self,
                "keda_federation",
                name="keda-operator",
                resource_group_name=props.resource_group_name,
                parent_id=self.keda_identity.id,
                issuer=props.oidc_issuer_url,
                subject=f"system:serviceaccount:{props.keda_namespace}:{props.keda_service_account}",
                audience=[WORKLOAD_IDENTITY_AUDIENCE],
            )
        )

        custom = count_if(props.enable_crds)
        trigger_auth = named(k8s.manifest.Manifest(self, "keda_trigger_authentication", manifest={}))
        trigger_auth.add_override(
            "manifest",
            {
                "apiVersion": KEDA_API,
                "kind": "ClusterTriggerAuthentication",
                "metadata": {"name": PLATFORM_KEDA_AUTH},
                # identityId: the client id the operator's token is exchanged for (the chart annotates it too).
                "spec": {"podIdentity": {"provider": "azure-workload", "identityId": self.keda_identity.client_id}},
            },
        )
        trigger_auth.add_override("count", custom)
        self.trigger_authentication = trigger_auth  # needs KEDA's CRDs: the module orders it after KEDA's release
        self.monitors: dict[str, Any] = {}  # exporter component -> its scrape object (ordered after the exporter)
        for target in props.scrape_targets:
            monitor = named(k8s.manifest.Manifest(self, f"scrape_{target.name.replace('-', '_')}", manifest={}))
            monitor.add_override("manifest", pod_monitor(target))
            monitor.add_override("count", custom)
            self.monitors[target.name] = monitor

        # The workspace's Prometheus query endpoint (what KEDA's triggers read), from its resource id:
        # /subscriptions/<s>/resourceGroups/<rg>/providers/Microsoft.Monitor/accounts/<name>.
        workspace = named(
            azurerm.data_azurerm_monitor_workspace.DataAzurermMonitorWorkspace(
                self,
                "workspace",
                name=f'${{element(split("/", {inner(props.monitor_workspace_id)}), 8)}}',
                resource_group_name=f'${{element(split("/", {inner(props.monitor_workspace_id)}), 4)}}',
            )
        )
        self.prometheus_url = workspace.query_endpoint
        self.storage_parameters = {DES_PARAMETER: props.disk_encryption_set_id}
        self.keda_values: dict[str, Any] = {
            # keda chart values.yaml: podIdentity.azureWorkload.enabled labels the operator's pods
            # azure.workload.identity/use: "true"; clientId/tenantId annotate its service account.
            "podIdentity": {
                "azureWorkload": {"enabled": True, "clientId": self.keda_identity.client_id, "tenantId": self.keda_identity.tenant_id}
            },
        }


def pod_monitor(target: ScrapeTarget) -> dict[str, Any]:
    """A ``PodMonitor`` (Azure Monitor metrics add-on) for ``target``."""
    return {
        "apiVersion": POD_MONITOR_API,
        "kind": "PodMonitor",
        "metadata": {"name": target.name, "namespace": target.namespace},
        "spec": {
            "selector": {"matchLabels": dict(target.match_labels)},
            "podMetricsEndpoints": [
                {"port": target.port, "path": target.path, "interval": target.interval, "honorLabels": target.honor_labels}
            ],
        },
    }
