"""AksNodePool: a user node pool in an existing AKS cluster, sized by the catalog's placement.

GPU profiles get the ``nvidia.com/gpu`` taint and the accelerator label that the workload layer
selects and tolerates (the same labels as the AWS layer). The cluster autoscaler owns
the node count between the minimum and maximum; the initial count is the placement's.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from synthdata_infra.cdk import Construct, Token, azurerm
from synthdata_infra.components.expressions import as_any, as_map, as_number, inner, named
from synthdata_infra.components.node_placement import GPU_TAINT_KEY, GPU_TAINT_VALUE, node_labels
from synthdata_infra.components.node_sizes import node_size_precondition

GPU_TAINT = f"{GPU_TAINT_KEY}={GPU_TAINT_VALUE}:NoSchedule"
# The profile's node-disk tier (an Azure disk SKU from the storage-class catalog) -> AKS OS disk
# type. Premium SSD v2 and Ultra Disk cannot be OS disks; the closest in latency is an ephemeral
# OS disk on the VM's local storage (every GPU size has some). Managed OS disks are Premium SSD
# on sizes that support premium storage.
OS_DISK_TYPES = {
    "StandardSSD_LRS": "Managed",
    "Premium_LRS": "Managed",
    "PremiumV2_LRS": "Ephemeral",
    "UltraSSD_LRS": "Ephemeral",
}
MAX_PODS = 110  # AKS's default for Azure CNI overlay and kubenet


def node_pool_name(compact_service: str, name_hash: str) -> str:
    """Linux pool names are at most 12 lower-case letters and digits, starting with a letter:
    8 characters of the service (which starts with a letter) and 4 hex of the name hash."""
    return f"${{substr({inner(compact_service)}, 0, 8)}}${{substr({inner(name_hash)}, 0, 4)}}"


class AksNodePoolProps(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str  # node_pool_name(...)
    service_name: str  # the node pool label
    gpu_model: str | None  # string expression on GPU pools (accelerator label, GPU taint); None on CPU pools
    tags: str  # map(string) expression
    kubernetes_cluster_id: str  # expressions from here on
    vm_size: str
    min_size: str  # number
    desired_size: str
    max_size: str
    disk_size_gib: str  # number
    os_disk_type: str
    host_encryption_enabled: str  # bool
    ultra_ssd_enabled: str  # bool
    zones: str  # list(string)
    vnet_subnet_id: str  # string or null


class AksNodePool(Construct):
    def __init__(self, scope: Construct, construct_id: str, props: AksNodePoolProps) -> None:
        super().__init__(scope, construct_id)
        np = azurerm.kubernetes_cluster_node_pool
        self.labels = node_labels(props.service_name, props.gpu_model)
        self.node_pool = named(
            np.KubernetesClusterNodePool(
                self,
                "node_pool",
                name=props.name,
                kubernetes_cluster_id=props.kubernetes_cluster_id,
                mode="User",
                os_type="Linux",
                vm_size=props.vm_size,
                auto_scaling_enabled=True,
                min_count=as_number(props.min_size),
                max_count=as_number(props.max_size),
                node_count=as_number(props.desired_size),
                max_pods=MAX_PODS,
                os_disk_size_gb=as_number(props.disk_size_gib),
                os_disk_type=props.os_disk_type,
                host_encryption_enabled=as_any(props.host_encryption_enabled),
                ultra_ssd_enabled=as_any(props.ultra_ssd_enabled),
                node_public_ip_enabled=False,
                zones=Token.as_list(props.zones),
                vnet_subnet_id=props.vnet_subnet_id,
                node_labels=self.labels,
                node_taints=[GPU_TAINT] if props.gpu_model is not None else None,
                upgrade_settings=np.KubernetesClusterNodePoolUpgradeSettings(max_surge="1"),
                tags=as_map(props.tags),
            )
        )
        # The cluster autoscaler owns the node count once the pool exists.
        self.node_pool.add_override("lifecycle", {"precondition": [node_size_precondition()], "ignore_changes": ["node_count"]})
