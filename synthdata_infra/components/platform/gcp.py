"""GcpPlatform: what a GKE cluster needs beyond the common platform core.

- GPUs: GKE installs the NVIDIA driver (node pool ``gpu_driver_installation_config``) and runs its
  own NVIDIA device plugin DaemonSet on every node with an accelerator, so the core's device plugin
  stays off and only the DCGM exporter is added (with the driver's host path GKE uses).
- Metrics: Managed Service for Prometheus managed collection (on by default for clusters created on
  GKE 1.27 and later; ``gcloud container clusters update --enable-managed-prometheus`` otherwise)
  scrapes ``PodMonitoring`` objects; its CRDs come with it. A precondition refuses a cluster
  without it, or without Workload Identity.
- KEDA queries Managed Service for Prometheus as a Google service account with
  ``roles/monitoring.viewer``, which only KEDA's operator service account can act as
  (Workload Identity), through the ``ClusterTriggerAuthentication`` the workloads name.
- StorageClasses encrypt with the environment's Cloud KMS key (``disk-encryption-kms-key``), which
  the Compute Engine service agent must be allowed to use.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from synthdata_infra.cdk import Construct, google, kubernetes as k8s
from synthdata_infra.components.expressions import count_if, named
from synthdata_infra.components.gcp.gcp_props import ENCRYPTER_DECRYPTER
from synthdata_infra.components.gcp.workload_identity import workload_identity_member
from synthdata_infra.components.platform.charts import GKE_NVIDIA_HOST_PATH
from synthdata_infra.components.platform.scrape import ScrapeTarget
from synthdata_infra.naming import PLATFORM_KEDA_AUTH

MONITORING_VIEWER = "roles/monitoring.viewer"  # monitoring.timeSeries.list: the Prometheus query API
# Managed Service for Prometheus' Prometheus-compatible query API (KEDA's serverAddress).
GMP_QUERY_URL = "https://monitoring.googleapis.com/v1/projects/{project}/location/global/prometheus"
POD_MONITORING_API = "monitoring.googleapis.com/v1"  # PodMonitoring and ClusterPodMonitoring: GKE managed collection
KEDA_API = "keda.sh/v1alpha1"
# pd.csi.storage.gke.io StorageClass parameter naming the Cloud KMS key of the disks (GKE CMEK docs).
CMEK_PARAMETER = "disk-encryption-kms-key"
# The DCGM exporter on GKE nodes (Google's DCGM exporter manifest for Managed Service for Prometheus,
# github.com/GoogleCloudPlatform/prometheus-engine examples/nvidia-dcgm/exporter.yaml): GKE's driver
# installer puts the NVIDIA libraries under /home/kubernetes/bin/nvidia, and the GPUs' device files
# reach a container that does not request a GPU only when it is privileged. Keys from the
# dcgm-exporter chart's values.yaml at 4.8.2 (extraHostVolumes, extraVolumeMounts, extraEnv,
# securityContext); extraVolumeMounts replaces the chart's list, so its counters mount is repeated.
GKE_DCGM_VALUES: dict[str, Any] = {
    "extraHostVolumes": [{"name": "nvidia-install-dir-host", "hostPath": GKE_NVIDIA_HOST_PATH}],
    "extraVolumeMounts": [
        {"name": "exporter-metrics-volume", "mountPath": "/etc/dcgm-exporter/default-counters.csv", "subPath": "default-counters.csv"},
        {"name": "nvidia-install-dir-host", "mountPath": "/usr/local/nvidia", "readOnly": True},
    ],
    "extraEnv": [{"name": "LD_LIBRARY_PATH", "value": "/usr/local/nvidia/lib64"}],
    "securityContext": {"privileged": True, "allowPrivilegeEscalation": True},
}


class GcpPlatformProps(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    project_id: str  # string expression: the cluster's project
    environment: str  # string expression: in the service account's id
    cluster_name: str  # string expressions: the cluster checked for managed collection and Workload Identity
    cluster_location: str
    kms_key_id: str  # string expression: Cloud KMS key of the volumes
    grant_key_access: str  # bool expression: let the Compute Engine service agent use the key
    keda_namespace: str  # where the KEDA chart runs its operator
    keda_service_account: str  # the operator's Kubernetes service account (chart value)
    enable_crds: str  # bool expression: create the ClusterTriggerAuthentication and PodMonitorings
    scrape_targets: tuple[ScrapeTarget, ...]  # exporters the platform installed


class GcpPlatform(Construct):
    def __init__(self, scope: Construct, construct_id: str, props: GcpPlatformProps) -> None:
        super().__init__(scope, construct_id)
        project = props.project_id
        cluster = named(
            google.data_google_container_cluster.DataGoogleContainerCluster(
                self, "cluster", name=props.cluster_name, location=props.cluster_location, project=project
            )
        )
        project_data = named(google.data_google_project.DataGoogleProject(self, "project", project_id=project))
        cluster_ref = f"data.google_container_cluster.{cluster.friendly_unique_id}"

        self.keda_identity = named(
            google.service_account.ServiceAccount(
                self,
                "keda",
                account_id=f"synthdata-keda-{props.environment}",
                display_name=f"synthdata KEDA {props.environment}",
                description="KEDA's operator: reads Managed Service for Prometheus to scale the synthdata services.",
                project=project,
            )
        )
        self.keda_identity.add_override(
            "lifecycle.precondition",
            [
                {
                    "condition": f"${{try({cluster_ref}.monitoring_config[0].managed_prometheus[0].enabled, false)}}",
                    "error_message": (
                        "The cluster has no Managed Service for Prometheus managed collection (on by default from GKE 1.27): "
                        "run `gcloud container clusters update <cluster> --enable-managed-prometheus`; PodMonitoring needs it."
                    ),
                },
                {
                    "condition": f'${{try({cluster_ref}.workload_identity_config[0].workload_pool, "") == "{project}.svc.id.goog"}}',
                    "error_message": "The cluster has no Workload Identity: set its workload pool to <project>.svc.id.goog.",
                },
            ],
        )
        member = f"serviceAccount:{self.keda_identity.email}"
        named(
            google.project_iam_member.ProjectIamMember(self, "keda_monitoring_viewer", project=project, role=MONITORING_VIEWER, member=member)
        )
        named(
            google.service_account_iam_member.ServiceAccountIamMember(
                self,
                "keda_workload_identity_user",
                service_account_id=self.keda_identity.name,
                role="roles/iam.workloadIdentityUser",
                member=workload_identity_member(project, props.keda_namespace, props.keda_service_account),
            )
        )
        key_access = named(
            google.kms_crypto_key_iam_member.KmsCryptoKeyIamMember(
                self,
                "disk_key_user",
                crypto_key_id=props.kms_key_id,
                role=ENCRYPTER_DECRYPTER,
                member=f"serviceAccount:service-${{data.google_project.{project_data.friendly_unique_id}.number}}@compute-system.iam.gserviceaccount.com",
            )
        )
        key_access.add_override("count", count_if(props.grant_key_access))

        custom = count_if(props.enable_crds)
        trigger_auth = named(k8s.manifest.Manifest(self, "keda_trigger_authentication", manifest={}))
        trigger_auth.add_override(
            "manifest",
            {
                "apiVersion": KEDA_API,
                "kind": "ClusterTriggerAuthentication",
                "metadata": {"name": PLATFORM_KEDA_AUTH},
                "spec": {"podIdentity": {"provider": "gcp"}},
            },
        )
        trigger_auth.add_override("count", custom)
        self.trigger_authentication = trigger_auth  # needs KEDA's CRDs: the module orders it after KEDA's release
        self.monitors: dict[str, Any] = {}  # exporter component -> its scrape object (ordered after the exporter)
        for target in props.scrape_targets:
            monitor = named(k8s.manifest.Manifest(self, f"scrape_{target.name.replace('-', '_')}", manifest={}))
            monitor.add_override("manifest", pod_monitoring(target))
            monitor.add_override("count", custom)
            self.monitors[target.name] = monitor

        self.storage_parameters = {CMEK_PARAMETER: props.kms_key_id}
        self.prometheus_url = GMP_QUERY_URL.format(project=project)
        self.keda_values: dict[str, Any] = {
            # keda chart values.yaml: podIdentity.gcp.enabled / gcpIAMServiceAccount annotate the operator's
            # service account (iam.gke.io/gcp-service-account) and pin it to nodes with the GKE metadata server.
            "podIdentity": {"gcp": {"enabled": True, "gcpIAMServiceAccount": self.keda_identity.email}},
        }


def pod_monitoring(target: ScrapeTarget) -> dict[str, Any]:
    """The managed-collection object scraping ``target``. A ``PodMonitoring`` stamps its own
    namespace, pod and container on every series (a metric label of the same name arrives as
    ``exported_namespace`` ...), so a target whose own labels must win gets a ``ClusterPodMonitoring``
    with no metadata target labels: its series keep the namespace and pod they carry (Google's
    kube-state-metrics example for Managed Service for Prometheus does the same)."""
    endpoint = {"port": target.port, "path": target.path, "interval": target.interval}
    selector = {"matchLabels": dict(target.match_labels)}
    if target.honor_labels:
        return {
            "apiVersion": POD_MONITORING_API,
            "kind": "ClusterPodMonitoring",
            "metadata": {"name": target.name},
            "spec": {"selector": selector, "endpoints": [endpoint], "targetLabels": {"metadata": []}},
        }
    return {
        "apiVersion": POD_MONITORING_API,
        "kind": "PodMonitoring",
        "metadata": {"name": target.name, "namespace": target.namespace},
        "spec": {"selector": selector, "endpoints": [endpoint]},
    }
