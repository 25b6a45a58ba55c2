"""EksNodePool: a managed node group in an existing EKS cluster, sized by the catalog's placement.

GPU profiles get a GPU AMI, the ``nvidia.com/gpu`` taint and the accelerator label that the
workload layer selects and tolerates. Node disks are encrypted with the service's key, and the
instance metadata service needs session tokens with a hop limit of one, so pods cannot reach
the node's credentials.
"""

from __future__ import annotations

from synthdata_infra.catalog import storage_class_for
from synthdata_infra.cdk import Construct, Token, aws
from synthdata_infra.components.aws.aws_props import AwsProps, policy_document
from synthdata_infra.components.expressions import as_number, inner, named, stable_id

NODE_POLICIES = ("AmazonEKSWorkerNodePolicy", "AmazonEC2ContainerRegistryReadOnly", "AmazonEKS_CNI_Policy")
GPU_TAINT_KEY = "nvidia.com/gpu"
ACCELERATOR_LABEL = "synthdata.io/accelerator"
NODE_POOL_LABEL = "synthdata.io/node-pool"


def node_labels(props: AwsProps) -> dict[str, str]:
    labels = {NODE_POOL_LABEL: props.inputs.service_name}
    if props.config.gpu:
        labels[ACCELERATOR_LABEL] = props.inputs.gpu_model
    return labels


class EksNodePool(Construct):
    def __init__(self, scope: Construct, construct_id: str, props: AwsProps, *, kms_key_arn: str) -> None:
        super().__init__(scope, construct_id)
        inputs, config = props.inputs, props.config
        create_role = f"${{{inner(inputs.node_role_arn)} == null ? 1 : 0}}"
        role = named(
            aws.iam_role.IamRole(
                self,
                "role",
                name=props.name("nodes"),
                description=f"EKS node role of {props.name()}",
                assume_role_policy=policy_document(
                    {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}
                ),
                tags=props.tags,
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
                    policy_arn=f"arn:{props.account.partition}:iam::aws:policy/{policy}",
                )
            )
            attachment.add_override("count", create_role)
            attachments.append(attachment)
        node_role_arn = f"${{coalesce({inner(inputs.node_role_arn)}, one({role_ref}[*].arn))}}"

        disk = storage_class_for("aws", config.resources.storage_type).parameters
        lt = aws.launch_template
        template = named(
            lt.LaunchTemplate(
                self,
                "launch_template",
                name=props.name("nodes"),
                description=f"Nodes of {props.name()}: encrypted {disk['type']} root disk, IMDSv2 only",
                update_default_version=True,
                block_device_mappings=[
                    lt.LaunchTemplateBlockDeviceMappings(
                        device_name="/dev/xvda",
                        ebs=lt.LaunchTemplateBlockDeviceMappingsEbs(
                            volume_size=as_number(inputs.node_disk_size_gib),
                            volume_type=disk["type"],
                            iops=int(disk["iops"]) if "iops" in disk else None,
                            throughput=int(disk["throughput"]) if "throughput" in disk else None,
                            encrypted="true",
                            kms_key_id=kms_key_arn,
                            delete_on_termination="true",
                        ),
                    )
                ],
                metadata_options=lt.LaunchTemplateMetadataOptions(
                    http_endpoint="enabled", http_tokens="required", http_put_response_hop_limit=1
                ),
                tag_specifications=[
                    lt.LaunchTemplateTagSpecifications(resource_type=kind, tags=props.tags)
                    for kind in ("instance", "volume")
                ],
                tags=props.tags,
            )
        )

        ng = aws.eks_node_group
        self.labels = node_labels(props)
        self.node_group = named(
            ng.EksNodeGroup(
                self,
                "node_group",
                cluster_name=inputs.cluster_name,
                node_group_name=props.name(),
                node_role_arn=node_role_arn,
                subnet_ids=Token.as_list(inputs.subnet_ids),
                instance_types=Token.as_list(inputs.node_instance_types),
                ami_type="AL2023_x86_64_NVIDIA" if config.gpu else "AL2023_x86_64_STANDARD",
                capacity_type="ON_DEMAND",
                scaling_config=ng.EksNodeGroupScalingConfig(
                    desired_size=as_number(inputs.node_desired_size),
                    min_size=as_number(inputs.node_min_size),
                    max_size=as_number(inputs.node_max_size),
                ),
                update_config=ng.EksNodeGroupUpdateConfig(max_unavailable=1),
                launch_template=ng.EksNodeGroupLaunchTemplate(id=template.id, version=Token.as_string(template.latest_version)),
                labels=self.labels,
                taint=[ng.EksNodeGroupTaint(key=GPU_TAINT_KEY, value="present", effect="NO_SCHEDULE")] if config.gpu else None,
                tags=props.tags,
                depends_on=attachments,
            )
        )
        # The cluster autoscaler owns the node count once the group exists.
        self.node_group.add_override("lifecycle", {"ignore_changes": ["scaling_config[0].desired_size"]})
