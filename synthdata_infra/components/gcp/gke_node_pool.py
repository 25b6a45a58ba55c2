"""GkeNodePool: a node pool in an existing GKE cluster, sized by the catalog's placement.

GPU profiles get the profile's GPUs attached (GKE installs the driver), the ``nvidia.com/gpu``
taint and the accelerator label that the workload layer selects and tolerates. Nodes run as a
dedicated service account that can only write logs and metrics and pull images (never the
Compute Engine default account), expose only GKE's metadata server to pods (Workload
Identity), boot with Secure Boot and integrity monitoring, and keep their boot disks encrypted
with the module's key.
"""

from __future__ import annotations

from synthdata_infra.catalog import gpu_models, storage_class_for
from synthdata_infra.cdk import Construct, TerraformResource, Token, google
from synthdata_infra.components.expressions import as_number, inner, named
from synthdata_infra.components.node_placement import GPU_TAINT_KEY, GPU_TAINT_VALUE, node_labels
from synthdata_infra.components.node_sizes import node_size_precondition
from synthdata_infra.components.gcp.encryption_key import key_location_precondition
from synthdata_infra.components.gcp.gcp_props import GcpProps

NODE_ROLES = {
    "log_writer": "roles/logging.logWriter",
    "metric_writer": "roles/monitoring.metricWriter",
    "monitoring_viewer": "roles/monitoring.viewer",
    "metadata_writer": "roles/stackdriver.resourceMetadata.writer",
    "registry_reader": "roles/artifactregistry.reader",
}
CLOUD_PLATFORM_SCOPE = "https://www.googleapis.com/auth/cloud-platform"  # access is decided by IAM roles
LOCAL_SSD_GIB = 375  # one Local SSD disk
# Boot disk for each disk type of the storage-class mapping. Hyperdisk needs a machine series the
# catalog's N1/N2/A2/G2 machines are not (and Hyperdisk Extreme cannot boot at all), so the
# fastest persistent disk they all boot from stands in. The local-NVMe class has no disk type.
BOOT_DISK_TYPES = {
    "pd-balanced": "pd-balanced",
    "pd-ssd": "pd-ssd",
    "hyperdisk-balanced": "pd-ssd",
    "hyperdisk-extreme": "pd-ssd",
    None: "pd-ssd",
}


def boot_disk_type(storage_type: str) -> str:
    return BOOT_DISK_TYPES[storage_class_for("gcp", storage_type).parameters.get("type")]


def accelerator_type(gpu_model: str) -> str:
    """Compute Engine's accelerator name of a catalog GPU model (an expression over the input)."""
    names = {name: spec.gcp_accelerator for name, spec in sorted(gpu_models().items()) if spec.gcp_accelerator}
    listed = ", ".join(f'"{name}" = "{accelerator}"' for name, accelerator in names.items())
    return f"${{lookup({{{listed}}}, {inner(gpu_model)})}}"


def local_ssd_count(props: GcpProps) -> int:
    """Local SSDs to attach as raw block devices when the volumes need node-local NVMe (0: none)."""
    if not storage_class_for("gcp", props.config.storage.storage_class).requires_local_nvme:
        return 0
    return props.placement.local_nvme_gib // LOCAL_SSD_GIB


class GkeNodePool(Construct):
    def __init__(
        self, scope: Construct, construct_id: str, props: GcpProps, *, kms_key_id: str, key_grant: TerraformResource
    ) -> None:
        super().__init__(scope, construct_id)
        inputs, placement = props.inputs, props.placement
        self.service_account = named(
            google.service_account.ServiceAccount(
                self,
                "service_account",
                account_id=f"{props.project.short_name}-nodes",
                display_name=f"synthdata {props.name()} nodes",
                description=f"Nodes of {props.name()}: write logs and metrics, pull images",
                project=inputs.project_id,
            )
        )
        grants = [
            named(
                google.project_iam_member.ProjectIamMember(
                    self,
                    grant_id,
                    project=inputs.project_id,
                    role=role,
                    member=f"serviceAccount:{self.service_account.email}",
                )
            )
            for grant_id, role in NODE_ROLES.items()
        ]

        np = google.container_node_pool
        accelerators = None
        if placement.gpu:
            accelerators = [
                np.ContainerNodePoolNodeConfigGuestAccelerator(
                    type=accelerator_type(inputs.gpu_model),
                    count=as_number(inputs.node_accelerator_count),
                    gpu_driver_installation_config=np.ContainerNodePoolNodeConfigGuestAcceleratorGpuDriverInstallationConfig(
                        gpu_driver_version=inputs.node_gpu_driver_version
                    ),
                )
            ]
        ssds = local_ssd_count(props)
        self.labels = node_labels(inputs.service_name, inputs.gpu_model if props.config.gpu else None)
        self.node_pool = named(
            np.ContainerNodePool(
                self,
                "node_pool",
                # GKE allows 40 characters; the environment's first letters keep names apart.
                name=f'${{substr(format("%s-%s", {inner(inputs.service_name)}, {inner(inputs.environment)}), 0, 40)}}',
                project=inputs.project_id,
                cluster=inputs.cluster_name,
                location=inputs.cluster_location,
                node_locations=Token.as_list(inputs.node_locations),
                initial_node_count=as_number(inputs.node_desired_size),
                autoscaling=np.ContainerNodePoolAutoscaling(
                    total_min_node_count=as_number(inputs.node_min_size),
                    total_max_node_count=as_number(inputs.node_max_size),
                    location_policy="BALANCED",
                ),
                management=np.ContainerNodePoolManagement(auto_repair=True, auto_upgrade=True),
                upgrade_settings=np.ContainerNodePoolUpgradeSettings(strategy="SURGE", max_surge=1, max_unavailable=0),
                node_config=np.ContainerNodePoolNodeConfig(
                    machine_type=inputs.node_machine_type,
                    image_type="COS_CONTAINERD",
                    disk_type=inputs.node_disk_type,
                    disk_size_gb=as_number(inputs.node_disk_size_gib),
                    boot_disk_kms_key=kms_key_id,
                    local_nvme_ssd_block_config=(
                        np.ContainerNodePoolNodeConfigLocalNvmeSsdBlockConfig(local_ssd_count=ssds) if ssds else None
                    ),
                    guest_accelerator=accelerators,
                    service_account=self.service_account.email,
                    oauth_scopes=[CLOUD_PLATFORM_SCOPE],
                    labels=self.labels,
                    resource_labels=props.labels,
                    taint=(
                        [np.ContainerNodePoolNodeConfigTaint(key=GPU_TAINT_KEY, value=GPU_TAINT_VALUE, effect="NO_SCHEDULE")]
                        if placement.gpu
                        else None
                    ),
                    metadata={"disable-legacy-endpoints": "true"},
                    workload_metadata_config=np.ContainerNodePoolNodeConfigWorkloadMetadataConfig(mode="GKE_METADATA"),
                    shielded_instance_config=np.ContainerNodePoolNodeConfigShieldedInstanceConfig(
                        enable_secure_boot=True, enable_integrity_monitoring=True
                    ),
                ),
                depends_on=[*grants, key_grant],
            )
        )
        # The cluster autoscaler owns the node count; a changed initial count would replace the pool.
        # The pool is always created, so it checks the key's region for every user of the key.
        self.node_pool.add_override(
            "lifecycle",
            {"precondition": [node_size_precondition(), key_location_precondition(props)], "ignore_changes": ["initial_node_count"]},
        )
