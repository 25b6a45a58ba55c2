"""The AWS cloud layer of one data type: ``modules_out/aws/<type>/``.

Everything around the workload in an existing EKS cluster: a node group sized by the catalog,
the data bucket, its key, the service's secrets, an IRSA role, the audit log group, backups
and (where the profile enables it) CloudFront. Its outputs are the workload module's inputs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from synthdata_infra.catalog import Placement, catalog, storage_class_for
from synthdata_infra.catalog.ebs import iops_ceiling
from synthdata_infra.cdk import Construct, TerraformLocal, aws
from synthdata_infra.components.aws.audit_log_group import AuditLogGroup, AuditLogGroupProps, audit_log_group_name
from synthdata_infra.components.aws.aws_props import AccountContext, AwsInputs
from synthdata_infra.components.aws.bucket_access_policy import BucketAccessPolicy, BucketAccessPolicyProps
from synthdata_infra.components.aws.bucket_backup import BucketBackup, BucketBackupProps
from synthdata_infra.components.aws.bucket_cdn import BucketCdn, BucketCdnProps
from synthdata_infra.components.aws.data_bucket import NONCURRENT_EXPIRY_DAYS, TIERING_AFTER_DAYS, DataBucket, DataBucketProps
from synthdata_infra.components.aws.eks_node_pool import EksNodePool, EksNodePoolProps, default_ami_type
from synthdata_infra.components.aws.encryption_key import EncryptionKey, EncryptionKeyProps
from synthdata_infra.components.aws.service_secrets import ServiceSecrets, ServiceSecretsProps
from synthdata_infra.components.aws.workload_identity import WorkloadIdentity, WorkloadIdentityProps
from synthdata_infra.components.data_retention import RETAINED_DESCRIPTION, DataRetentionGuard, DataRetentionGuardProps, resources_of, retention_input
from synthdata_infra.components.expressions import named, stable_id
from synthdata_infra.components.resource_tags import resource_tags
from synthdata_infra.config.models import ServiceConfig
from synthdata_infra.planning import node_pool_sizes, placement_for
from synthdata_infra.synth.examples import aws_example
from synthdata_infra.synth.module_stack import ModuleDoc, ModuleStack
from synthdata_infra.synth.shared_inputs import NODE_DISK_MAX_GIB, NODE_DISK_MIN_GIB, NODE_POOL_MAX, cloud_service_name_input, environment_input, gpu_model_input, node_disk_gib

# x86_64 EKS AMI types a GPU or CPU node of the catalog can run (the EKS API's AMITypes enum).
X86_AMI_TYPES = (
    "AL2023_x86_64_STANDARD",
    "AL2023_x86_64_NVIDIA",
    "AL2023_x86_64_NEURON",
    "BOTTLEROCKET_x86_64",
    "BOTTLEROCKET_x86_64_NVIDIA",
)
# CloudWatch Logs accepts only these retention periods (days).
LOG_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653)
# Bucket names are global and at most 63 characters: <service 38>-<environment 10>-<account 12>.


def build(scope: Construct, stack_id: str, config: ServiceConfig) -> ModuleStack:
    kind = config.data_type
    placement = placement_for(config, "aws")
    cdn = config.storage.cdn_enabled
    stack = ModuleStack(
        scope,
        stack_id,
        providers=("aws",),
        doc=ModuleDoc(
            label=f"{kind}_aws",
            title=f"synthdata {kind} cloud layer (AWS)",
            summary=(
                f"Everything the `{kind}` generator needs around it in an existing EKS cluster: a managed node "
                f"group sized by the catalog (default {placement.nodes} x `{placement.instance_type}` for "
                f"{placement.replicas} replicas), an S3 bucket for generated data encrypted with a customer-managed "
                "KMS key, a Secrets Manager secret per secret the profile names (values are never in Terraform), "
                "an IRSA role only the service account can assume, the audit log group, AWS Backup of the bucket, "
                "and CloudFront in front of the bucket (`enable_cdn`, "
                + ("on" if cdn else "off")
                + " by default). Pass its outputs to the `kubernetes` module of the same data type."
            ),
            source=f"../../modules_out/aws/{kind}",
        ),
    )
    inputs = _inputs(stack, config, placement)
    _outputs(stack, config, _wiring(stack, config, inputs))
    stack.doc.extra_files["examples/complete/main.tf"] = aws_example(config)
    stack.check_logical_ids()
    return stack


def _inputs(stack: ModuleStack, config: ServiceConfig, placement: Placement) -> AwsInputs:
    """The module's variables, with the profile's and the catalog's defaults."""
    v = stack.variable
    cdn = config.storage.cdn_enabled
    retain = retention_input(stack)
    per_node = placement.replicas_per_node
    sizes = node_pool_sizes(config, per_node)
    disk_gib = node_disk_gib(config)
    disk = storage_class_for("aws", config.resources.storage_type).parameters
    instance = next(row for row in catalog("aws").instance_types if row.name == placement.instance_type)
    ceiling = iops_ceiling(disk["type"], instance) if "iops" in disk else None
    retention = next(d for d in LOG_RETENTION_DAYS if d >= config.data_policies.audit_logging.retention_days)
    return AwsInputs(
        retain_data_on_destroy=retain,
        service_name=cloud_service_name_input(stack),
        environment=environment_input(stack),
        cluster_name=v("cluster_name", type="string", description="Name of the existing EKS cluster.", example='"platform"'),
        subnet_ids=v("subnet_ids", type="list(string)", description="Private subnets of the node group.", example='["subnet-0a1b2c3d", "subnet-4e5f6a7b"]'),
        oidc_provider_arn=v(
            "oidc_provider_arn",
            type="string",
            description="ARN of the cluster's IAM OIDC provider (for IRSA).",
            example='"arn:aws:iam::111122223333:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/EXAMPLE"',
        ),
        namespace=v("namespace", type="string", description="Namespace of the service account (as in the kubernetes module).", default=config.deployment.namespace),
        tags=v("tags", type="map(string)", description="Tags added to every resource.", default={}),
        node_instance_types=v(
            "node_instance_types",
            type="list(string)",
            description=f"Instance types of the node group; the catalog's cheapest fit is `{placement.instance_type}`.",
            default=[placement.instance_type],
        ),
        gpu_model=gpu_model_input(stack, config),
        node_min_size=v("node_min_size", type="number", description=f"Fewest nodes ({per_node} replica(s) per node).", default=sizes["node_min_size"], minimum=0, maximum=NODE_POOL_MAX),
        node_desired_size=v("node_desired_size", type="number", description="Nodes at creation; the cluster autoscaler owns it afterwards.", default=sizes["node_desired_size"], minimum=0, maximum=NODE_POOL_MAX),
        node_max_size=v("node_max_size", type="number", description="Most nodes, for the profile's max_replicas.", default=sizes["node_max_size"], minimum=1, maximum=NODE_POOL_MAX),
        node_disk_size_gib=v(
            "node_disk_size_gib",
            type="number",
            description=f"Root disk of each node (`{config.resources.storage_type}` tier): images, logs and the model cache.",
            default=disk_gib,
            minimum=NODE_DISK_MIN_GIB, maximum=NODE_DISK_MAX_GIB,
        ),
        node_disk_iops=v(
            "node_disk_iops",
            type="number",
            description=(
                f"Provisioned IOPS of each node's root disk ({disk['type']}); null derives them from the "
                f"`{config.resources.storage_type}` tier's {disk.get('iops')} as far as the disk size and node_disk_max_iops allow."
            ),
            default=None,
            minimum=100,
            maximum=256000,
        )
        if "iops" in disk
        else "",
        node_disk_max_iops=v(
            "node_disk_max_iops",
            type="number",
            description=(
                f"Most IOPS one {disk['type']} volume delivers on the node type: {ceiling} on the default "
                f"`{placement.instance_type}` ({instance.hypervisor}, EBS ceiling {instance.ebs_max_iops}); set it with node_instance_types."
            ),
            default=ceiling,
            minimum=1,
        )
        if "iops" in disk
        else "",
        node_capacity_type=v(
            "node_capacity_type",
            type="string",
            description="ON_DEMAND, or SPOT for cheaper nodes that AWS may reclaim (dev).",
            default="ON_DEMAND",
            validation=[
                {
                    "condition": '${contains(["ON_DEMAND", "SPOT"], var.node_capacity_type)}',
                    "error_message": "node_capacity_type must be ON_DEMAND or SPOT.",
                }
            ],
        ),
        node_ami_type=v(
            "node_ami_type",
            type="string",
            description="EKS AMI type of the nodes (x86_64: the catalog's instance types are x86_64).",
            default=default_ami_type(bool(config.gpu)),
            validation=[
                {
                    "condition": f"${{contains({json.dumps(list(X86_AMI_TYPES))}, var.node_ami_type)}}",
                    "error_message": "node_ami_type must be one of " + ", ".join(X86_AMI_TYPES) + ".",
                }
            ],
        ),
        noncurrent_version_days=v(
            "noncurrent_version_days",
            type="number",
            description="Days a replaced or deleted object version is kept before it expires (the bucket is versioned).",
            default=NONCURRENT_EXPIRY_DAYS,
            minimum=1,
            maximum=36500,
        ),
        tiering_after_days=v(
            "tiering_after_days",
            type="number",
            description="Days before objects move to S3 Intelligent-Tiering (generated data is read often at first, rarely later).",
            default=TIERING_AFTER_DAYS,
            minimum=0,
            maximum=36500,
        ),
        bucket_name=v(
            "bucket_name",
            type="string",
            description=(
                "Existing S3 bucket for generated data (null creates one). The module then creates none of the bucket's "
                "settings, and never deletes it: its owner keeps default encryption (give that key as kms_key_arn, the "
                "only key the workload role may use), versioning, public access block, lifecycle and a bucket policy "
                "that denies requests without TLS (and, with enable_cdn, lets the CloudFront distribution read objects)."
            ),
            default=None,
            validation=[
                {
                    "condition": '${var.bucket_name == null ? true : can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.bucket_name))}',
                    "error_message": "bucket_name must be an S3 bucket name: 3 to 63 lowercase letters, digits, dots and hyphens.",
                }
            ],
        ),
        kms_key_arn=v(
            "kms_key_arn",
            type="string",
            description=(
                "Existing customer-managed KMS key for the bucket, secrets, audit logs and node disks (null creates one). "
                "Its key policy must let this account's principals use it through EC2, S3, Secrets Manager and "
                "CloudWatch Logs (and CloudFront with enable_cdn), as the created key's policy does."
            ),
            default=None,
        ),
        permissions_boundary_arn=v(
            "permissions_boundary_arn",
            type="string",
            description="IAM permissions boundary set on every role the module creates (null: none).",
            default=None,
        ),
        node_role_arn=v("node_role_arn", type="string", description="Existing IAM role for the nodes; null creates one.", default=None),
        force_destroy=v("force_destroy", type="bool", description="Let `terraform destroy` delete a bucket that still holds objects (with retain_data_on_destroy = false).", default=False),
        enable_backup=v(
            "enable_backup",
            type="bool",
            description="Back the bucket up daily with AWS Backup.",
            default=config.storage.backup_enabled,
        ),
        backup_retention_days=v("backup_retention_days", type="number", description="Days a backup is kept.", default=35, minimum=1, maximum=36500),
        log_retention_days=v(
            "log_retention_days",
            type="number",
            description=f"Retention of the audit log group; the profile asks for {config.data_policies.audit_logging.retention_days} days.",
            default=retention,
            validation=[
                {
                    "condition": f"${{contains([{', '.join(map(str, LOG_RETENTION_DAYS))}], var.log_retention_days)}}",
                    "error_message": "log_retention_days must be a retention period CloudWatch Logs accepts.",
                }
            ],
        ),
        secret_recovery_window_days=v(
            "secret_recovery_window_days",
            type="number",
            description="Days a deleted secret can be restored (0 deletes at once).",
            default=30,
            validation=[
                {
                    "condition": "${var.secret_recovery_window_days == 0 || (var.secret_recovery_window_days >= 7 && var.secret_recovery_window_days <= 30)}",
                    "error_message": "secret_recovery_window_days must be 0 or from 7 to 30 (what Secrets Manager accepts).",
                }
            ],
        ),
        enable_cdn=v(
            "enable_cdn",
            type="bool",
            description="Serve the bucket through a CloudFront distribution (the bucket and key policies let it read).",
            default=cdn,
        ),
        cdn_price_class=v("cdn_price_class", type="string", description="CloudFront price class (with enable_cdn).", default="PriceClass_100"),
        cdn_certificate_arn=v("cdn_certificate_arn", type="string", description="ACM certificate (us-east-1) for the aliases; null uses CloudFront's.", default=None),
        cdn_aliases=v("cdn_aliases", type="list(string)", description="Host names of the distribution (need cdn_certificate_arn).", default=[]),
        cdn_web_acl_id=v("cdn_web_acl_id", type="string", description="WAF web ACL of the distribution; null attaches none.", default=None),
    )


@dataclass(frozen=True)
class _Resources:
    """What the outputs read."""

    encryption: EncryptionKey
    bucket: DataBucket
    cdn: BucketCdn
    secrets: dict[str, Any]
    audit: Any
    identity: Any
    nodes: EksNodePool
    retention: DataRetentionGuard


def _wiring(stack: ModuleStack, config: ServiceConfig, inputs: AwsInputs) -> _Resources:
    """The components, each given only what it uses. Construct ids are the Terraform names."""
    kind = config.data_type
    account = AccountContext(
        partition=f"${{data.aws_partition.{stable_id(named(aws.data_aws_partition.DataAwsPartition(stack, 'partition')))}.partition}}",
        account_id=f"${{data.aws_caller_identity.{stable_id(named(aws.data_aws_caller_identity.DataAwsCallerIdentity(stack, 'caller')))}.account_id}}",
        region=f"${{data.aws_region.{stable_id(named(aws.data_aws_region.DataAwsRegion(stack, 'region')))}.id}}",
    )
    tags = resource_tags(inputs.tags, service_name=inputs.service_name, environment=inputs.environment, data_type=kind)
    common = {"name": f"{inputs.service_name}-{inputs.environment}", "tags": f"${{local.{stable_id(named(TerraformLocal(stack, 'tags', tags)))}}}"}
    log_group_name = audit_log_group_name(inputs.service_name, inputs.environment)

    encryption = EncryptionKey(
        stack,
        "encryption",
        EncryptionKeyProps(
            **common, account=account, data_type=kind, audit_log_group_name=log_group_name, cdn_enabled=inputs.enable_cdn, given_key_arn=inputs.kms_key_arn
        ),
    )
    key = encryption.key
    bucket = DataBucket(
        stack,
        "data",
        DataBucketProps(
            **common,
            account_id=account.account_id,
            kms_key_arn=encryption.arn,
            given_bucket_name=inputs.bucket_name,
            force_destroy=inputs.force_destroy,
            noncurrent_version_days=inputs.noncurrent_version_days,
            tiering_after_days=inputs.tiering_after_days,
        ),
    )
    # The bucket goes before its key on destroy: a bucket that cannot be deleted (objects left)
    # stops the destroy before the key that decrypts those objects is scheduled for deletion.
    bucket.bucket.add_override("depends_on", [f"aws_kms_key.{stable_id(key)}"])
    cdn = BucketCdn(
        stack,
        "cdn",
        BucketCdnProps(
            **common,
            enabled=inputs.enable_cdn,
            data_type=kind,
            bucket_regional_domain_name=bucket.regional_domain_name,
            price_class=inputs.cdn_price_class,
            certificate_arn=inputs.cdn_certificate_arn,
            aliases=inputs.cdn_aliases,
            web_acl_id=inputs.cdn_web_acl_id,
        ),
    )
    access = BucketAccessPolicy(
        stack,
        "access",
        BucketAccessPolicyProps(
            bucket_id=bucket.created_id,
            bucket_arn=bucket.arn,
            cdn_enabled=inputs.enable_cdn,
            distribution_arn=cdn.arn,
            create=bucket.create,
        ),
    )
    BucketBackup(
        stack,
        "backup",
        BucketBackupProps(
            **common,
            enabled=inputs.enable_backup,
            retention_days=inputs.backup_retention_days,
            bucket_arn=bucket.arn,
            kms_key_arn=encryption.arn,
            partition=account.partition,
            permissions_boundary_arn=inputs.permissions_boundary_arn,
        ),
    )
    secrets_construct = ServiceSecrets(
        stack,
        "secrets",
        ServiceSecretsProps(
            **common,
            secrets=config.security.secrets,
            service_name=inputs.service_name,
            environment=inputs.environment,
            kms_key_arn=encryption.arn,
            recovery_window_days=inputs.secret_recovery_window_days,
        ),
    )
    secrets = secrets_construct.secrets
    audit_construct = AuditLogGroup(
        stack,
        "audit",
        AuditLogGroupProps(**common, log_group_name=log_group_name, retention_days=inputs.log_retention_days, kms_key_arn=encryption.arn),
    )
    audit = audit_construct.log_group
    identity = WorkloadIdentity(
        stack,
        "identity",
        WorkloadIdentityProps(
            **common,
            oidc_provider_arn=inputs.oidc_provider_arn,
            namespace=inputs.namespace,
            service_account_name=inputs.service_name,
            permissions_boundary_arn=inputs.permissions_boundary_arn,
            bucket_arn=bucket.arn,
            kms_key_arn=encryption.arn,
            secret_arns=tuple(secret.arn for secret in secrets.values()),
            log_group_arn=audit.arn,
        ),
    ).role
    nodes = EksNodePool(
        stack,
        "nodes",
        EksNodePoolProps(
            **common,
            service_name=inputs.service_name,
            gpu_model=inputs.gpu_model if config.gpu else None,
            cluster_name=inputs.cluster_name,
            subnet_ids=inputs.subnet_ids,
            instance_types=inputs.node_instance_types,
            ami_type=inputs.node_ami_type,
            capacity_type=inputs.node_capacity_type,
            min_size=inputs.node_min_size,
            desired_size=inputs.node_desired_size,
            max_size=inputs.node_max_size,
            disk=storage_class_for("aws", config.resources.storage_type).parameters,
            disk_size_gib=inputs.node_disk_size_gib,
            disk_iops=inputs.node_disk_iops,
            disk_max_iops=inputs.node_disk_max_iops,
            kms_key_arn=encryption.arn,
            given_role_arn=inputs.node_role_arn,
            permissions_boundary_arn=inputs.permissions_boundary_arn,
            partition=account.partition,
        ),
    )
    retention = DataRetentionGuard(
        stack,
        "retention",
        DataRetentionGuardProps(
            retain=inputs.retain_data_on_destroy,
            # The bucket policy too: a kept bucket still refuses requests without TLS.
            protected=tuple(resources_of(encryption, bucket, access, secrets_construct, audit_construct)),
            what="the data bucket (with its TLS-only policy), its KMS key, the audit log group and the secrets",
        ),
    )
    return _Resources(encryption, bucket, cdn, secrets, audit, identity, nodes, retention)


def _outputs(stack: ModuleStack, config: ServiceConfig, made: _Resources) -> None:
    """The module's outputs: the workload module's inputs, and what an operator looks up."""
    out = stack.output
    out("bucket_name", made.bucket.name, "Bucket for generated data (given or created).")
    out("bucket_arn", made.bucket.arn, "ARN of the bucket.")
    out("kms_key_arn", made.encryption.arn, "Customer-managed key of the bucket, secrets, logs and node disks (given or created).")
    out("service_account_role_arn", made.identity.arn, "IRSA role of the service account.")
    out(
        "service_account_annotations",
        {"eks.amazonaws.com/role-arn": made.identity.arn},
        "Pass to the kubernetes module's service_account_annotations.",
    )
    out("secret_arns", {name: secret.arn for name, secret in made.secrets.items()}, "Secrets Manager ARN of each secret, by name.")
    out("node_selector", made.nodes.labels, "Labels of the node group; pass to the kubernetes module's node_selector.")
    out(
        "storage_class_name",
        storage_class_for("aws", config.storage.storage_class).storage_class_name,
        f"StorageClass for the profile's `{config.storage.storage_class}` volumes (EBS CSI); pass to the kubernetes module.",
    )
    out("node_group_name", made.nodes.node_group.node_group_name, "Name of the EKS node group.")
    out("audit_log_group_name", made.audit.name, "CloudWatch log group of the audit log.")
    out(
        "cdn_domain_name",
        made.cdn.domain_name,
        "Domain name of the CloudFront distribution; null without enable_cdn.",
    )
    out("retained_addresses", made.retention.addresses, RETAINED_DESCRIPTION)
