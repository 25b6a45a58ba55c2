"""The GCP platform module: ``modules_out/gcp/platform/``, applied once per GKE cluster.

The common platform core (cert-manager and the ClusterIssuer, ingress-nginx, KEDA, External
Secrets Operator, kube-state-metrics, the DCGM exporter, the catalog's StorageClasses) plus what
GKE needs around it (``components/platform/gcp.py``): CMEK on the StorageClasses, KEDA's Google
service account for Managed Service for Prometheus, and the ClusterPodMonitorings of the exporters.
"""

from __future__ import annotations

from synthdata_infra.cdk import Construct
from synthdata_infra.components.platform.charts import CHARTS
from synthdata_infra.components.platform.core import PlatformCore, PlatformCoreProps
from synthdata_infra.components.platform.gcp import GKE_DCGM_VALUES, GcpPlatform, GcpPlatformProps
from synthdata_infra.components.platform.scrape import DCGM, KUBE_STATE_METRICS, KEDA_OPERATOR_SERVICE_ACCOUNT, order_after_releases
from synthdata_infra.naming import PLATFORM_KEDA_AUTH
from synthdata_infra.patterns import GCP_KMS_KEY_ID_RULE, GCP_PROJECT_ID_RULE, hcl_regex
from synthdata_infra.synth.gcp_module import TESTING_NOTE
from synthdata_infra.synth.module_stack import ModuleDoc, ModuleStack
from synthdata_infra.synth.platform_inputs import core_inputs, core_outputs
from synthdata_infra.synth.shared_inputs import environment_input

PROVIDERS = ("google", "kubernetes", "helm")


def build(scope: Construct, stack_id: str, _config: None) -> ModuleStack:
    stack = ModuleStack(
        scope,
        stack_id,
        providers=PROVIDERS,
        doc=ModuleDoc(label="platform", title="synthdata platform (GKE)", summary=_summary(), source="../../modules_out/gcp/platform"),
    )
    v = stack.variable
    inputs = core_inputs(stack)
    project_id = v(
        "project_id",
        type="string",
        description="Project of the GKE cluster: KEDA's service account and its Managed Service for Prometheus access live in it.",
        example='"synthdata-prod"',
        validation=[
            {
                "condition": f'${{can(regex({hcl_regex(GCP_PROJECT_ID_RULE)}, var.project_id))}}',
                "error_message": "project_id must be a Google Cloud project id (6-30 lower-case letters, digits and '-').",
            }
        ],
    )
    environment = environment_input(stack, "Environment name (at most 10 characters); in the KEDA service account's id.")
    cluster_name = v("cluster_name", type="string", description="Name of the existing GKE cluster.", example='"platform"')
    cluster_location = v(
        "cluster_location", type="string", description="Region or zone of the existing GKE cluster.", example='"us-central1"'
    )
    kms_key_id = v(
        "kms_key_id",
        type="string",
        description="Cloud KMS key (projects/<p>/locations/<l>/keyRings/<r>/cryptoKeys/<k>) every StorageClass encrypts its disks with; in the cluster's region.",
        example='"projects/synthdata-prod/locations/us-central1/keyRings/synthdata/cryptoKeys/volumes"',
        validation=[{"condition": f'${{can(regex({hcl_regex(GCP_KMS_KEY_ID_RULE)}, var.kms_key_id))}}', "error_message": "kms_key_id must be a Cloud KMS key id."}],
    )
    grant_key_access = v(
        "grant_disk_key_access",
        type="bool",
        description=(
            "Grant the Compute Engine service agent roles/cloudkms.cryptoKeyEncrypterDecrypter on kms_key_id (needed for CMEK "
            "disks). Set false when another configuration already manages that binding: two owners of one IAM member "
            "remove it for both when either is destroyed."
        ),
        default=True,
    )
    keda = CHARTS["keda"]
    cloud = GcpPlatform(
        stack,
        "gke",
        GcpPlatformProps(
            project_id=project_id,
            environment=environment,
            cluster_name=cluster_name,
            cluster_location=cluster_location,
            kms_key_id=kms_key_id,
            grant_key_access=grant_key_access,
            keda_namespace=keda.namespace,
            keda_service_account=KEDA_OPERATOR_SERVICE_ACCOUNT,
            enable_crds=inputs.enable_crds,
            scrape_targets=(DCGM, KUBE_STATE_METRICS),
        ),
    )
    core = PlatformCore(
        stack,
        "platform",
        PlatformCoreProps(
            provider="gcp",
            acme_email=inputs.acme_email,
            acme_server=inputs.acme_server,
            enable_crds=inputs.enable_crds,
            device_plugin=False,  # GKE runs its own NVIDIA device plugin on GPU nodes
            values={"keda": cloud.keda_values, "dcgm-exporter": GKE_DCGM_VALUES},
            storage_parameters=cloud.storage_parameters,
        ),
    )
    order_after_releases(cloud.trigger_authentication, cloud.monitors, core.releases)
    core_outputs(stack, core)

    out = stack.output
    out("keda_service_account_email", cloud.keda_identity.email, "Google service account KEDA's operator acts as (roles/monitoring.viewer).")
    out("keda_authentication", PLATFORM_KEDA_AUTH, "ClusterTriggerAuthentication the workloads' ScaledObjects name (podIdentity gcp).")
    out("prometheus_url", cloud.prometheus_url, "Managed Service for Prometheus query URL KEDA's Prometheus triggers read.")
    stack.check_logical_ids()
    return stack


def _summary() -> str:
    return (
        "What a GKE cluster needs before any synthdata service: the catalog's StorageClasses (pd.csi.storage.gke.io, "
        "encrypted with `kms_key_id`), cert-manager with the `letsencrypt` ClusterIssuer, ingress-nginx, External Secrets "
        "Operator, KEDA with a Google service account for Managed Service for Prometheus (Workload Identity) and the "
        "`synthdata-prometheus` ClusterTriggerAuthentication, kube-state-metrics and the DCGM exporter (with GKE's driver "
        "path) scraped by ClusterPodMonitorings that keep the exporters' own namespace/pod labels.\n\n"
        "GKE provides the rest: the NVIDIA driver and device plugin on GPU node pools, node autoscaling, and Managed Service "
        "for Prometheus managed collection (on by default for clusters created on GKE 1.27 or later, else "
        "`gcloud container clusters update --enable-managed-prometheus`; its PodMonitoring and ClusterPodMonitoring CRDs "
        "come with it). Preconditions refuse a cluster without managed collection or Workload Identity; KEDA's operator "
        "runs on nodes with the GKE metadata server (node pools with Workload Identity).\n\n"
        "On a new cluster apply twice: first with `enable_crds = false` (the charts install KEDA's and cert-manager's "
        "CRDs), then with `enable_crds = true` (the ClusterIssuer, the ClusterTriggerAuthentication, the "
        "ClusterPodMonitorings). Apply order for plain Terraform: the monitoring module, this module, then the services.\n\n"
        + TESTING_NOTE
    )
