"""EksNodePool: a managed node group in an existing EKS cluster, sized by the catalog's placement.

GPU profiles get a GPU AMI, the ``nvidia.com/gpu`` taint and the accelerator label that the
workload layer selects and tolerates. Node disks are encrypted with the service's key, and the
instance metadata service needs session tokens with a hop limit of one, so pods cannot reach
the node's credentials.
"""

from __future__ import annotations

from synthdata_infra.catalog import aws_managed_policy_arn
from synthdata_infra.catalog.ebs import VOLUME_LIMITS
from synthdata_infra.cdk import Construct, TerraformLocal, Token, aws
from synthdata_infra.components.aws.aws_props import ServiceResourceProps, policy_document
from synthdata_infra.components.expressions import as_number, inner, merged_map, named, stable_id
from synthdata_infra.components.node_placement import GPU_TAINT_KEY, GPU_TAINT_VALUE, node_labels
from synthdata_infra.components.node_sizes import node_size_precondition

NODE_POLICIES = ("AmazonEKSWorkerNodePolicy", "AmazonEC2ContainerRegistryReadOnly", "AmazonEKS_CNI_Policy")

# Cluster Autoscaler's auto-discovery tags (its chart's default autoDiscovery.tags, and the tag its
# IAM policy conditions SetDesiredCapacity/TerminateInstanceInAutoScalingGroup on): the platform
# module's autoscaler manages exactly the node groups that carry both.
AUTOSCALER_ENABLED_TAG = "k8s.io/cluster-autoscaler/enabled"
AUTOSCALER_OWNER_TAG_PREFIX = "k8s.io/cluster-autoscaler/"


def autoscaler_discovery_tags(cluster_name: str) -> dict[str, str]:
    """The two discovery tags for the cluster ``cluster_name`` (a string expression)."""
    return {AUTOSCALER_ENABLED_TAG: "true", f"{AUTOSCALER_OWNER_TAG_PREFIX}${{{inner(cluster_name)}}}": "owned"}


def default_ami_type(gpu: bool) -> str:
    """EKS's Amazon Linux 2023 image, with the NVIDIA driver for GPU profiles."""
    return "AL2023_x86_64_NVIDIA" if gpu else "AL2023_x86_64_STANDARD"


class DiskPerformance:
    """IOPS (and gp3 throughput) of the node root disk: the storage class's figure, as far as the
    disk size allows (IOPS per GiB) and the instance allows (``node_disk_max_iops``), unless
    ``node_disk_iops`` sets it; a precondition on the launch template refuses what AWS would."""

    def __init__(self, iops: str, throughput: str | None, check: dict[str, str]) -> None:
        self.iops, self.throughput, self.check = iops, throughput, check

    @classmethod
    def of(cls, scope: Construct, props: "EksNodePoolProps") -> "DiskPerformance":
        disk = props.disk
        limits = VOLUME_LIMITS[disk["type"]]
        size, wanted, ceiling = inner(props.disk_size_gib), inner(props.disk_iops), inner(props.disk_max_iops)
        derived = f"max({limits.min_iops}, min({int(disk['iops'])}, {limits.iops_per_gib} * {size}, {ceiling}))"
        local = named(TerraformLocal(scope, "disk_iops", f"${{coalesce({wanted}, {derived})}}"))
        iops = f"local.{stable_id(local)}"
        throughput = None
        if limits.throughput_per_iops and "throughput" in disk:
            throughput = (
                f"${{max({limits.min_throughput_mibps}, min({int(disk['throughput'])}, {limits.max_throughput_mibps}, "
                f"floor({iops} * {limits.throughput_per_iops})))}}"
            )
        check = {
            "condition": f"${{{iops} <= {limits.iops_per_gib} * {size} && {iops} <= {ceiling} && {iops} >= {limits.min_iops}}}",
            "error_message": (
                f"node_disk_iops must be from {limits.min_iops} to {limits.iops_per_gib} per GiB of node_disk_size_gib "
                f"({disk['type']}) and at most node_disk_max_iops."
            ),
        }
        return cls(f"${{{iops}}}", throughput, check)


class EksNodePoolProps(ServiceResourceProps):
    service_name: str  # the node pool label
    gpu_model: str | None  # string expression on GPU pools (accelerator label, GPU taint); None on CPU pools
    cluster_name: str
    subnet_ids: str  # list(string) expression
    instance_types: str  # list(string) expression
    ami_type: str
    capacity_type: str
    min_size: str  # number expressions
    desired_size: str
    max_size: str
    disk: dict[str, str]  # the node-disk tier's EBS parameters from the storage-class catalog (type, iops, throughput)
    disk_size_gib: str  # number expression
    disk_iops: str  # number or null expression; "" when the tier has no provisioned IOPS
    disk_max_iops: str  # number expression; "" when the tier has no provisioned IOPS
    kms_key_arn: str  # encrypts the root disks
    given_role_arn: str  # string or null expression: an existing node role instead of a created one
    permissions_boundary_arn: str  # string or null expression
    partition: str  # of the AWS managed policies' ARNs


class EksNodePool(Construct):
    def __init__(self, scope: Construct, construct_id: str, props: EksNodePoolProps) -> None:
        super().__init__(scope, construct_id)
        create_role = f"${{{inner(props.given_role_arn)} == null ? 1 : 0}}"
        role = named(
            aws.iam_role.IamRole(
                self,
                "role",
                name=props.suffixed("nodes"),
                description=f"EKS node role of {props.name}",
                assume_role_policy=policy_document(
                    {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}
                ),
                permissions_boundary=props.permissions_boundary_arn,
                tags=props.tag_map,
            )
        )
        role.add_override("count", create_role)
        role_ref = f"aws_iam_role.{stable_id(role)}"
        attachments = []
        for policy in NODE_POLICIES:
            attachment = named(
                aws.iam_role_policy_attachment.IamRolePolicyAttachment(
                    self,
                    policy.lower(),
                    role=f"${{{role_ref}[0].name}}",
                    policy_arn=aws_managed_policy_arn(policy, props.partition),
                )
            )
            attachment.add_override("count", create_role)
            attachments.append(attachment)
        node_role_arn = f"${{coalesce({inner(props.given_role_arn)}, one({role_ref}[*].arn))}}"

        disk = props.disk
        performance = DiskPerformance.of(self, props) if "iops" in disk else None
        lt = aws.launch_template
        template = named(
            lt.LaunchTemplate(
                self,
                "launch_template",
                name=props.suffixed("nodes"),
                description=f"Nodes of {props.name}: encrypted {disk['type']} root disk, IMDSv2 only",
                update_default_version=True,
                block_device_mappings=[
                    lt.LaunchTemplateBlockDeviceMappings(
                        device_name="/dev/xvda",
                        ebs=lt.LaunchTemplateBlockDeviceMappingsEbs(
                            volume_size=as_number(props.disk_size_gib),
                            volume_type=disk["type"],
                            iops=as_number(performance.iops) if performance else None,
                            throughput=as_number(performance.throughput) if performance and performance.throughput else None,
                            encrypted="true",
                            kms_key_id=props.kms_key_arn,
                            delete_on_termination="true",
                        ),
                    )
                ],
                metadata_options=lt.LaunchTemplateMetadataOptions(
                    http_endpoint="enabled", http_tokens="required", http_put_response_hop_limit=1
                ),
                tag_specifications=[
                    lt.LaunchTemplateTagSpecifications(resource_type=kind, tags=props.tag_map)
                    for kind in ("instance", "volume")
                ],
                tags=props.tag_map,
            )
        )

        if performance:
            template.add_override("lifecycle", {"precondition": [performance.check]})
        ng = aws.eks_node_group
        self.labels = node_labels(props.service_name, props.gpu_model)
        self.node_group = named(
            ng.EksNodeGroup(
                self,
                "node_group",
                cluster_name=props.cluster_name,
                # A prefix, so a replacement (new instance type, AMI type) is created before the old group goes.
                node_group_name_prefix=f"{props.name}-",
                node_role_arn=node_role_arn,
                subnet_ids=Token.as_list(props.subnet_ids),
                instance_types=Token.as_list(props.instance_types),
                ami_type=props.ami_type,
                capacity_type=props.capacity_type,
                scaling_config=ng.EksNodeGroupScalingConfig(
                    desired_size=as_number(props.desired_size),
                    min_size=as_number(props.min_size),
                    max_size=as_number(props.max_size),
                ),
                update_config=ng.EksNodeGroupUpdateConfig(max_unavailable=1),
                launch_template=ng.EksNodeGroupLaunchTemplate(id=template.id, version=Token.as_string(template.latest_version)),
                labels=self.labels,
                taint=[ng.EksNodeGroupTaint(key=GPU_TAINT_KEY, value=GPU_TAINT_VALUE, effect="NO_SCHEDULE")] if props.gpu_model is not None else None,
                # EKS tags the group's Auto Scaling group with the same discovery tags itself; here they
                # also say, in the module, which autoscaler owns the group.
                tags=merged_map(props.tags, autoscaler_discovery_tags(props.cluster_name)),
                depends_on=attachments,
            )
        )
        # The cluster autoscaler owns the node count once the group exists.
        self.node_group.add_override(
            "lifecycle",
            {
                "create_before_destroy": True,
                "ignore_changes": ["scaling_config[0].desired_size"],
                "precondition": [node_size_precondition()],
            },
        )
