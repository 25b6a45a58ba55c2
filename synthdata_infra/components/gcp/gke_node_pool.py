"""GkeNodePool: a node pool in an existing GKE cluster, sized by the catalog's placement.

GPU profiles get the profile's GPUs attached (GKE installs the driver), the ``nvidia.com/gpu``
taint and the accelerator label that the workload layer selects and tolerates. Nodes run as a
dedicated service account that can only write logs and metrics and pull images (never the
Compute Engine default account), expose only GKE's metadata server to pods (Workload
Identity), boot with Secure Boot and integrity monitoring, and keep their boot disks encrypted
with the module's key.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from synthdata_infra.catalog import gpu_models, storage_class_for
from synthdata_infra.cdk import Construct, Token, google
from synthdata_infra.components.expressions import as_number, inner, named
from synthdata_infra.components.node_placement import GPU_TAINT_KEY, GPU_TAINT_VALUE, node_labels
from synthdata_infra.components.node_sizes import node_size_precondition
from synthdata_infra.components.gcp.gcp_props import LabelledProps

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


def local_ssd_count(storage_class: str, local_nvme_gib: int) -> int:
    """Local SSDs to attach as raw block devices when the volumes need node-local NVMe (0: none)."""
    if not storage_class_for("gcp", storage_class).requires_local_nvme:
        return 0
    return local_nvme_gib // LOCAL_SSD_GIB


class GkeAcceleratorProps(BaseModel):
    """The GPUs attached to each node (GKE installs the driver)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    model: str  # string expression: the catalog's GPU model
    count: str  # number expression
    driver_version: str  # string expression


class GkeNodePoolProps(LabelledProps):
    short_name: str  # prefix of the node service account's id (30 characters at most)
    service_name: str  # the node pool label; with environment, the pool's name
    environment: str
    gpu_model: str | None  # string expression on GPU pools (the accelerator label); None on CPU pools
    accelerator: GkeAcceleratorProps | None  # attached GPUs and the GPU taint; None on CPU pools
    cluster_name: str
    cluster_location: str
    node_locations: str  # list(string) or null expression
    machine_type: str
    min_size: str  # number expressions
    desired_size: str
    max_size: str
    disk_type: str
    disk_size_gib: str  # number expression
    local_ssd_count: int  # local_ssd_count(...): raw block devices for node-local NVMe volumes (0: none)
    kms_key_id: str  # encrypts the boot disks
    key_grant: Any  # the compute service agent's grant on the key: the pool is created after it
    key_precondition: dict[str, str]  # the key's location check (EncryptionKey.location_precondition)


class GkeNodePool(Construct):
    def __init__(self, scope: Construct, construct_id: str, props: GkeNodePoolProps) -> None:
        super().__init__(scope, construct_id)
        self.service_account = named(
            google.service_account.ServiceAccount(
                self,
                "service_account",
                account_id=f"{props.short_name}-nodes",
                display_name=f"synthdata {props.name} nodes",
                description=f"Nodes of {props.name}: write logs and metrics, pull images",
                project=props.project_id,
            )
        )
        grants = [
            named(
                google.project_iam_member.ProjectIamMember(
                    self,
                    grant_id,
                    project=props.project_id,
                    role=role,
                    member=f"serviceAccount:{self.service_account.email}",
                )
            )
            for grant_id, role in NODE_ROLES.items()
        ]

        np = google.container_node_pool
        accelerators = None
        if props.accelerator is not None:
            accelerators = [
                np.ContainerNodePoolNodeConfigGuestAccelerator(
                    type=accelerator_type(props.accelerator.model),
                    count=as_number(props.accelerator.count),
                    gpu_driver_installation_config=np.ContainerNodePoolNodeConfigGuestAcceleratorGpuDriverInstallationConfig(
                        gpu_driver_version=props.accelerator.driver_version
                    ),
                )
            ]
        ssds = props.local_ssd_count
        self.labels = node_labels(props.service_name, props.gpu_model)
        self.node_pool = named(
            np.ContainerNodePool(
                self,
                "node_pool",
                # GKE allows 40 characters; the environment's first letters keep names apart.
                name=f'${{substr(format("%s-%s", {inner(props.service_name)}, {inner(props.environment)}), 0, 40)}}',
                project=props.project_id,
                cluster=props.cluster_name,
                location=props.cluster_location,
                node_locations=Token.as_list(props.node_locations),
                initial_node_count=as_number(props.desired_size),
                autoscaling=np.ContainerNodePoolAutoscaling(
                    total_min_node_count=as_number(props.min_size),
                    total_max_node_count=as_number(props.max_size),
                    location_policy="BALANCED",
                ),
                management=np.ContainerNodePoolManagement(auto_repair=True, auto_upgrade=True),
                upgrade_settings=np.ContainerNodePoolUpgradeSettings(strategy="SURGE", max_surge=1, max_unavailable=0),
                node_config=np.ContainerNodePoolNodeConfig(
                    machine_type=props.machine_type,
                    image_type="COS_CONTAINERD",
                    disk_type=props.disk_type,
                    disk_size_gb=as_number(props.disk_size_gib),
                    boot_disk_kms_key=props.kms_key_id,
                    local_nvme_ssd_block_config=(
                        np.ContainerNodePoolNodeConfigLocalNvmeSsdBlockConfig(local_ssd_count=ssds) if ssds else None
                    ),
                    guest_accelerator=accelerators,
                    service_account=self.service_account.email,
                    oauth_scopes=[CLOUD_PLATFORM_SCOPE],
                    labels=self.labels,
                    resource_labels=props.label_map,
                    taint=(
                        [np.ContainerNodePoolNodeConfigTaint(key=GPU_TAINT_KEY, value=GPU_TAINT_VALUE, effect="NO_SCHEDULE")]
                        if props.accelerator is not None
                        else None
                    ),
                    metadata={"disable-legacy-endpoints": "true"},
                    workload_metadata_config=np.ContainerNodePoolNodeConfigWorkloadMetadataConfig(mode="GKE_METADATA"),
                    shielded_instance_config=np.ContainerNodePoolNodeConfigShieldedInstanceConfig(
                        enable_secure_boot=True, enable_integrity_monitoring=True
                    ),
                ),
                depends_on=[*grants, props.key_grant],
            )
        )
        # The cluster autoscaler owns the node count; a changed initial count would replace the pool.
        # The pool is always created, so it checks the key's region for every user of the key.
        self.node_pool.add_override(
            "lifecycle",
            {"precondition": [node_size_precondition(), props.key_precondition], "ignore_changes": ["initial_node_count"]},
        )
