"""The AWS platform module: ``modules_out/aws/platform/``, applied once per EKS cluster before
any service (after the monitoring module, whose workspace it writes metrics to and KEDA reads).

The AWS resources (IRSA roles, the volume key, the EBS CSI add-on) need only the aws provider;
the charts and the KEDA ClusterTriggerAuthentication need the helm and kubernetes providers
configured for the cluster.
"""

from __future__ import annotations

from synthdata_infra.cdk import Construct, TerraformLocal, aws
from synthdata_infra.components.aws.aws_props import AccountContext
from synthdata_infra.components.data_retention import RETAINED_DESCRIPTION, DataRetentionGuard, DataRetentionGuardProps, resources_of, retention_input
from synthdata_infra.components.expressions import inner, merged, named, stable_id
from synthdata_infra.components.platform.aws import (
    AMP_QUERY,
    AMP_WRITE,
    CLUSTER_AUTOSCALER_IMAGE_TAG_RULE,
    CLUSTER_AUTOSCALER_SERVICE_ACCOUNT,
    EBS_CSI_ADDON_VERSION,
    EBS_CSI_ADDON_VERSION_RULE,
    KEDA_OPERATOR_SERVICE_ACCOUNT,
    PROMETHEUS_SERVICE_ACCOUNT,
    EbsCsiDriver,
    EbsCsiDriverProps,
    ServiceAccountRole,
    ServiceAccountRoleProps,
    VolumeKey,
    VolumeKeyProps,
    amp_statements,
    cluster_autoscaler_statements,
)
from synthdata_infra.patterns import hcl_regex
from synthdata_infra.synth.module_stack import ModuleDoc, ModuleStack
from synthdata_infra.synth.shared_inputs import environment_input


def build(scope: Construct, stack_id: str, _config: None) -> ModuleStack:
    stack = ModuleStack(
        scope,
        stack_id,
        providers=("aws", "helm", "kubernetes"),
        doc=ModuleDoc(
            label="platform",
            title="synthdata platform (AWS)",
            summary=SUMMARY,
            source="../../modules_out/aws/platform",
        ),
    )
    v = stack.variable
    environment = environment_input(stack, "Environment name (at most 10 characters); part of every IAM role and key alias name.")
    cluster_name = v("cluster_name", type="string", description="Name of the existing EKS cluster.", example='"platform"')
    oidc_provider_arn = v(
        "oidc_provider_arn",
        type="string",
        description="ARN of the cluster's IAM OIDC provider (for IRSA).",
        example='"arn:aws:iam::111122223333:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/EXAMPLE"',
    )
    workspace_id = v(
        "prometheus_workspace_id",
        type="string",
        description="Amazon Managed Prometheus workspace the cluster's metrics go to and KEDA queries (the monitoring module's workspace_id).",
        example="module.monitoring.workspace_id",
    )
    volume_key_arn = v(
        "volume_kms_key_arn",
        type="string",
        description="Existing KMS key the StorageClasses encrypt volumes with; null creates one (rotation on).",
        default=None,
    )
    permissions_boundary = v(
        "permissions_boundary_arn", type="string", description="Permissions boundary set on every IAM role the module creates; null sets none.", default=None
    )
    enable_addon = v(
        "enable_ebs_csi_addon",
        type="bool",
        description=(
            "Install the EBS CSI driver as the EKS add-on (its IRSA role is created either way). false only where the "
            "driver is installed otherwise: without it no volume of the StorageClasses is ever provisioned."
        ),
        default=True,
    )
    addon_version = v(
        "ebs_csi_addon_version",
        type="string",
        description="Version of the aws-ebs-csi-driver EKS add-on (`aws eks describe-addon-versions --addon-name aws-ebs-csi-driver`).",
        default=EBS_CSI_ADDON_VERSION,
        validation=[
            {
                "condition": f"${{can(regex({hcl_regex(EBS_CSI_ADDON_VERSION_RULE)}, var.ebs_csi_addon_version))}}",
                "error_message": "ebs_csi_addon_version must be an EKS add-on build such as v1.63.1-eksbuild.1.",
            }
        ],
    )
    tags = v("tags", type="map(string)", description="Tags added to every AWS resource.", default={})
    retain = retention_input(stack)

    tags_local = named(TerraformLocal(stack, "tags", merged(tags, {"synthdata:environment": environment, "synthdata:layer": "platform"})))
    all_tags = f"${{local.{stable_id(tags_local)}}}"
    account = AccountContext(
        partition=f"${{data.aws_partition.{stable_id(named(aws.data_aws_partition.DataAwsPartition(stack, 'partition')))}.partition}}",
        account_id=f"${{data.aws_caller_identity.{stable_id(named(aws.data_aws_caller_identity.DataAwsCallerIdentity(stack, 'caller')))}.account_id}}",
        region=f"${{data.aws_region.{stable_id(named(aws.data_aws_region.DataAwsRegion(stack, 'region')))}.id}}",
    )
    workspace = named(aws.data_aws_prometheus_workspace.DataAwsPrometheusWorkspace(stack, "workspace", workspace_id=workspace_id))
    issuer_local = named(TerraformLocal(stack, "oidc_issuer", f'${{element(split("oidc-provider/", {inner(oidc_provider_arn)}), 1)}}'))
    issuer = f"${{local.{stable_id(issuer_local)}}}"
    name = f"synthdata-{environment}"

    def role(construct_id: str, suffix: str, description: str, service_account: tuple[str, str], statements) -> ServiceAccountRole:
        namespace, account_name = service_account
        return ServiceAccountRole(
            stack,
            construct_id,
            ServiceAccountRoleProps(
                name=f"{name}-{suffix}",
                description=description,
                oidc_issuer=issuer,
                oidc_provider_arn=oidc_provider_arn,
                namespace=namespace,
                service_account=account_name,
                statements=statements,
                managed_policy_arns=(),
                permissions_boundary_arn=permissions_boundary,
                tags=all_tags,
            ),
        )

    volume_key = VolumeKey(stack, "volume", VolumeKeyProps(name=name, cluster_name=cluster_name, account=account, given_key_arn=volume_key_arn, tags=all_tags))
    ebs = EbsCsiDriver(
        stack,
        "ebs_csi",
        EbsCsiDriverProps(
            cluster_name=cluster_name,
            role_name=f"{name}-ebs-csi",
            oidc_issuer=issuer,
            oidc_provider_arn=oidc_provider_arn,
            permissions_boundary_arn=permissions_boundary,
            volume_key_arn=volume_key.arn,
            partition=account.partition,
            enabled=enable_addon,
            addon_version=addon_version,
            tags=all_tags,
        ),
    )
    autoscaler = role(
        "cluster_autoscaler",
        "cluster-autoscaler",
        "Cluster Autoscaler: resizes the cluster's Auto Scaling groups tagged for it",
        CLUSTER_AUTOSCALER_SERVICE_ACCOUNT,
        cluster_autoscaler_statements(cluster_name, account),
    )
    prometheus = role(
        "prometheus",
        "prometheus",
        "Prometheus of the cluster: remote-writes samples to the Amazon Managed Prometheus workspace",
        PROMETHEUS_SERVICE_ACCOUNT,
        amp_statements("RemoteWrite", AMP_WRITE, workspace.arn),
    )
    keda = role(
        "keda",
        "keda",
        "KEDA operator: queries the Amazon Managed Prometheus workspace for the ScaledObjects' triggers",
        (KEDA_NAMESPACE, KEDA_OPERATOR_SERVICE_ACCOUNT),
        amp_statements("QueryMetrics", AMP_QUERY, workspace.arn),
    )
    guard = DataRetentionGuard(
        stack,
        "retention",
        DataRetentionGuardProps(retain=retain, protected=tuple(resources_of(volume_key, types=("aws_kms_key",))), what="the volume key and the data it encrypts"),
    )

    out = stack.output
    out("volume_kms_key_arn", volume_key.arn, "KMS key the StorageClasses encrypt volumes with.")
    out("ebs_csi_role_arn", ebs.identity.arn, "IRSA role of the EBS CSI driver's controller.")
    out("cluster_autoscaler_role_arn", autoscaler.arn, "IRSA role of Cluster Autoscaler.")
    out("prometheus_role_arn", prometheus.arn, "IRSA role the cluster's Prometheus remote-writes to Amazon Managed Prometheus with.")
    out("keda_role_arn", keda.arn, "IRSA role of the KEDA operator (queries Amazon Managed Prometheus).")
    out("remote_write_url", f"{workspace.prometheus_endpoint}api/v1/remote_write", "Where the cluster's Prometheus remote-writes.")
    out("retained_addresses", guard.addresses, RETAINED_DESCRIPTION)
    stack.check_logical_ids()
    return stack


KEDA_NAMESPACE = "keda"
SUMMARY = "TODO"
