"""The Azure platform module: ``modules_out/azure/platform/``, applied once per AKS cluster.

The common platform core (cert-manager and the ClusterIssuer, ingress-nginx, KEDA, External
Secrets Operator, kube-state-metrics, the NVIDIA device plugin and DCGM exporter, the catalog's
StorageClasses) plus what AKS needs around it (``components/platform/azure.py``): the disk
encryption set on the StorageClasses, the data collection endpoint and rule of Azure Monitor
managed Prometheus, KEDA's workload identity, and the PodMonitors of the exporters.
"""

from __future__ import annotations

from synthdata_infra.cdk import Construct, TerraformLocal
from synthdata_infra.components.expressions import inner, named, stable_id
from synthdata_infra.components.platform.azure import AzurePlatform, AzurePlatformProps
from synthdata_infra.components.platform.charts import CHARTS
from synthdata_infra.components.platform.core import PlatformCore, PlatformCoreProps
from synthdata_infra.components.platform.scrape import DCGM, KEDA_OPERATOR_SERVICE_ACCOUNT, order_after_releases
from synthdata_infra.naming import PLATFORM_KEDA_AUTH
from synthdata_infra.patterns import AZURE_DISK_ENCRYPTION_SET_ID_RULE
from synthdata_infra.synth.azure_module import TESTING_NOTE
from synthdata_infra.synth.module_stack import ModuleDoc, ModuleStack
from synthdata_infra.synth.platform_inputs import core_inputs, core_outputs
from synthdata_infra.synth.shared_inputs import environment_input

PROVIDERS = ("azurerm", "kubernetes", "helm")
# Resource Manager ids the module takes (segments are case-insensitive in Azure).


def _id_input(stack: ModuleStack, name: str, description: str, rule: str, example: str) -> str:
    return stack.variable(
        name,
        type="string",
        description=description,
        example=example,
        validation=[{"condition": f'${{can(regex("{rule}", var.{name}))}}', "error_message": f"{name} must be a resource id: {description}"}],
    )


def build(scope: Construct, stack_id: str, _config: None) -> ModuleStack:
    stack = ModuleStack(
        scope,
        stack_id,
        providers=PROVIDERS,
        doc=ModuleDoc(label="platform", title="synthdata platform (AKS)", summary=_summary(), source="../../modules_out/azure/platform"),
    )
    v = stack.variable
    inputs = core_inputs(stack)
    subscription = "00000000-0000-0000-0000-000000000000"
    resource_group_name = v(
        "resource_group_name",
        type="string",
        description="Existing resource group of the data collection endpoint and rule and of KEDA's identity.",
        example='"rg-synthdata-production"',
    )
    location = v("location", type="string", description="Azure region of the cluster (and of the data collection endpoint and rule).", example='"westeurope"')
    environment = environment_input(stack, "Environment name (at most 10 characters); part of every resource name.")
    # Wired from references (the cluster's data source, the monitoring root's state): no pattern is
    # checked on them, as in the cloud module; Azure refuses a wrong id itself.
    cluster_id = v(
        "cluster_id",
        type="string",
        description="Resource id of the AKS cluster (/subscriptions/<s>/resourceGroups/<rg>/providers/Microsoft.ContainerService/managedClusters/<name>).",
        example=f'"/subscriptions/{subscription}/resourceGroups/rg-synthdata-production/providers/Microsoft.ContainerService/managedClusters/platform"',
    )
    oidc_issuer_url = v(
        "oidc_issuer_url",
        type="string",
        description="The cluster's OIDC issuer URL (oidc_issuer_enabled and workload_identity_enabled on the cluster).",
        example='"https://westeurope.oic.prod-aks.azure.com/<tenant>/<cluster>/"',
    )
    workspace_id = v(
        "monitor_workspace_id",
        type="string",
        description=(
            "Resource id of the Azure Monitor workspace the monitoring module created (its workspace_id output; "
            "/subscriptions/<s>/resourceGroups/<rg>/providers/Microsoft.Monitor/accounts/<name>)."
        ),
        example=f'"/subscriptions/{subscription}/resourceGroups/rg-synthdata-production/providers/Microsoft.Monitor/accounts/synthdata-production"',
    )
    des_id = _id_input(
        stack, "disk_encryption_set_id", "the disk encryption set every StorageClass encrypts its disks with.", AZURE_DISK_ENCRYPTION_SET_ID_RULE,
        f'"/subscriptions/{subscription}/resourceGroups/rg-synthdata-production/providers/Microsoft.Compute/diskEncryptionSets/synthdata"',
    )
    tags = v("tags", type="map(string)", description="Tags added to every Azure resource.", default={})
    tags_local = named(TerraformLocal(stack, "tags", f'${{merge({inner(tags)}, {{"synthdata:environment" = {inner(environment)}}})}}'))

    keda = CHARTS["keda"]
    cloud = AzurePlatform(
        stack,
        "aks",
        AzurePlatformProps(
            name_prefix=f"synthdata-{environment}",
            resource_group_name=resource_group_name,
            location=location,
            tags=f"${{local.{stable_id(tags_local)}}}",
            cluster_id=cluster_id,
            oidc_issuer_url=oidc_issuer_url,
            monitor_workspace_id=workspace_id,
            disk_encryption_set_id=des_id,
            keda_namespace=keda.namespace,
            keda_service_account=KEDA_OPERATOR_SERVICE_ACCOUNT,
            enable_crds=inputs.enable_crds,
            scrape_targets=(DCGM,),
        ),
    )
    core = PlatformCore(
        stack,
        "platform",
        PlatformCoreProps(
            provider="azure",
            acme_email=inputs.acme_email,
            acme_server=inputs.acme_server,
            enable_crds=inputs.enable_crds,
            device_plugin=True,  # AKS installs the NVIDIA driver on GPU node pools, not the device plugin
            kube_state_metrics=False,  # the metrics add-on runs and scrapes its own (ama-metrics-ksm)
            values={"keda": cloud.keda_values},
            storage_parameters=cloud.storage_parameters,
        ),
    )
    order_after_releases(cloud.trigger_authentication, cloud.monitors, core.releases)
    core_outputs(stack, core)

    out = stack.output
    out("keda_client_id", cloud.keda_identity.client_id, "Client id of KEDA's user-assigned identity (Monitoring Data Reader on the workspace).")
    out("prometheus_url", cloud.prometheus_url, "Prometheus query endpoint of the Azure Monitor workspace KEDA's Prometheus triggers read.")
    out("keda_authentication", PLATFORM_KEDA_AUTH, "ClusterTriggerAuthentication the workloads' ScaledObjects name (podIdentity azure-workload).")
    stack.check_logical_ids()
    return stack


def _summary() -> str:
    return (
        "What an AKS cluster needs before any synthdata service: the catalog's StorageClasses (disk.csi.azure.com, encrypted "
        "with `disk_encryption_set_id`), cert-manager with the `letsencrypt` ClusterIssuer, ingress-nginx, External Secrets "
        "Operator, the NVIDIA device plugin and the DCGM exporter, kube-state-metrics, KEDA with a workload identity reading "
        "the Azure Monitor workspace and the `synthdata-prometheus` ClusterTriggerAuthentication, and the data collection "
        "endpoint, rule and associations that send the cluster's managed Prometheus metrics to `monitor_workspace_id`.\n\n"
        "Cluster settings this module does not change: the metrics add-on (`monitor_metrics {}` on `azurerm_kubernetes_cluster`, "
        "or `az aks update --enable-azure-monitor-metrics`), which runs the ama-metrics collectors and brings the PodMonitor "
        "CRD (azmonitoring.coreos.com/v1); `oidc_issuer_enabled` and `workload_identity_enabled`; the node pools' autoscaler. "
        "AKS installs the NVIDIA driver on GPU node pools, not the device plugin, so the module installs it. kube-state-metrics "
        "is the add-on's own (ama-metrics-ksm, scraped by default), so the module installs no second one.\n\n"
        "On a new cluster apply twice: first with `enable_crds = false` (the charts install KEDA's and cert-manager's "
        "CRDs), then with `enable_crds = true` (the ClusterIssuer, the ClusterTriggerAuthentication, the PodMonitor). "
        "Apply order for plain Terraform: the monitoring module (its `workspace_id` is this module's "
        "`monitor_workspace_id`), this module, then the services.\n\n" + TESTING_NOTE
    )
