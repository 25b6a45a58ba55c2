"""The AWS platform module: ``modules_out/aws/platform/``, applied once per EKS cluster before
any service (after the monitoring module, whose workspace it writes metrics to and KEDA reads).

The AWS resources (IRSA roles, the volume key, the EBS CSI add-on) need only the aws provider;
the charts and the KEDA ClusterTriggerAuthentication need the helm and kubernetes providers
configured for the cluster.
"""

from __future__ import annotations

from synthdata_infra.cdk import Construct, TerraformLocal, aws
from synthdata_infra.components.aws.aws_props import AccountContext
from synthdata_infra.components.data_retention import (
    RETAINED_DESCRIPTION,
    DataRetentionGuard,
    DataRetentionGuardProps,
    resources_of,
    retention_input,
)
from synthdata_infra.components.expressions import inner, merged, named, stable_id
from synthdata_infra.components.platform.aws import (
    AMP_QUERY,
    AMP_WRITE,
    CLUSTER_AUTOSCALER,
    CLUSTER_AUTOSCALER_IMAGE_TAG_RULE,
    CLUSTER_AUTOSCALER_SERVICE_ACCOUNT,
    EBS_CSI_ADDON_VERSION,
    EBS_CSI_ADDON_VERSION_RULE,
    KEDA,
    KEDA_OPERATOR_SERVICE_ACCOUNT,
    KUBE_PROMETHEUS_STACK,
    PROMETHEUS_SERVICE_ACCOUNT,
    EbsCsiDriver,
    EbsCsiDriverProps,
    KedaAwsAuthentication,
    KedaAwsAuthenticationProps,
    ServiceAccountRole,
    ServiceAccountRoleProps,
    VolumeKey,
    VolumeKeyProps,
    amp_statements,
    cluster_autoscaler_statements,
    cluster_autoscaler_values,
    keda_values,
    kube_prometheus_stack_values,
)
from synthdata_infra.components.platform.charts import CHARTS, NODE_EXPORTER_NAMESPACE
from synthdata_infra.components.platform.core import (
    MANAGED_BY,
    PlatformCore,
    PlatformCoreProps,
)
from synthdata_infra.naming import PLATFORM_KEDA_AUTH
from synthdata_infra.patterns import hcl_regex
from synthdata_infra.synth.examples import EKS_ACCESS
from synthdata_infra.synth.module_stack import ModuleDoc, ModuleStack
from synthdata_infra.synth.platform_inputs import core_inputs, core_outputs
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
    autoscaler_image = v(
        "cluster_autoscaler_image_tag",
        type="string",
        description=(
            f"Cluster Autoscaler image tag; use the release matching the cluster's Kubernetes minor (the chart "
            f"{CHARTS[CLUSTER_AUTOSCALER].version} defaults to {CLUSTER_AUTOSCALER_DEFAULT_TAG})."
        ),
        default=CLUSTER_AUTOSCALER_DEFAULT_TAG,
        validation=[
            {
                "condition": f"${{can(regex({hcl_regex(CLUSTER_AUTOSCALER_IMAGE_TAG_RULE)}, var.cluster_autoscaler_image_tag))}}",
                "error_message": "cluster_autoscaler_image_tag must be a release tag such as v1.35.0.",
            }
        ],
    )
    enable_device_plugin = v(
        "enable_device_plugin",
        type="bool",
        description=(
            "Install the NVIDIA device plugin on GPU nodes: EKS's AL2023 NVIDIA AMIs (the cloud modules' default) do not "
            "advertise nvidia.com/gpu without it; false where every GPU node group runs Bottlerocket NVIDIA, which ships its own."
        ),
        default=True,
    )
    tags = v("tags", type="map(string)", description="Tags added to every AWS resource.", default={})
    retain = retention_input(stack, "the volume key; deleting it makes every volume it encrypted unreadable")
    core_in = core_inputs(stack)

    tags_local = named(TerraformLocal(stack, "tags", merged(tags, {"synthdata:environment": environment, "synthdata:layer": "platform"})))
    all_tags = f"${{local.{stable_id(tags_local)}}}"
    account = AccountContext(
        partition=f"${{data.aws_partition.{stable_id(named(aws.data_aws_partition.DataAwsPartition(stack, 'partition')))}.partition}}",
        account_id=f"${{data.aws_caller_identity.{stable_id(named(aws.data_aws_caller_identity.DataAwsCallerIdentity(stack, 'caller')))}.account_id}}",
        region=f"${{data.aws_region.{stable_id(named(aws.data_aws_region.DataAwsRegion(stack, 'region')))}.id}}",
    )
    workspace = named(aws.data_aws_prometheus_workspace.DataAwsPrometheusWorkspace(stack, "workspace", workspace_id=workspace_id))
    remote_write_url = f"${{data.aws_prometheus_workspace.{stable_id(workspace)}.prometheus_endpoint}}api/v1/remote_write"
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
    core = PlatformCore(
        stack,
        "platform",
        PlatformCoreProps(
            provider="aws",
            acme_email=core_in.acme_email,
            acme_server=core_in.acme_server,
            enable_crds=core_in.enable_crds,
            device_plugin=enable_device_plugin,
            kube_state_metrics=False,  # kube-prometheus-stack brings it (with the ServiceMonitor its series need)
            extra_charts=(KUBE_PROMETHEUS_STACK, CLUSTER_AUTOSCALER),
            values={
                KUBE_PROMETHEUS_STACK: kube_prometheus_stack_values(account.region, prometheus.arn, remote_write_url, NODE_EXPORTER_NAMESPACE),
                CLUSTER_AUTOSCALER: cluster_autoscaler_values(cluster_name, account.region, autoscaler.arn, autoscaler_image),
                KEDA: keda_values(keda.arn),
            },
            # The EBS CSI driver's parameters (aws-ebs-csi-driver docs/parameters.md): every volume
            # encrypted with the volume key.
            storage_parameters={"encrypted": "true", "kmsKeyId": volume_key.arn},
        ),
    )
    keda_auth = KedaAwsAuthentication(
        stack,
        "keda_auth",
        KedaAwsAuthenticationProps(enabled=core_in.enable_crds, keda_release=core.releases[KEDA], labels=MANAGED_BY),
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
    out("remote_write_url", remote_write_url, "Where the cluster's Prometheus remote-writes.")
    out(
        "prometheus_query_url",
        f'${{trimsuffix(data.aws_prometheus_workspace.{stable_id(workspace)}.prometheus_endpoint, "/")}}',
        "serverAddress of KEDA's prometheus triggers (the workspace endpoint without its trailing /, as KEDA's AMP example; "
        "with awsRegion = region and the ClusterTriggerAuthentication).",
    )
    out("region", account.region, "AWS region of the cluster and the workspace (KEDA's awsRegion trigger metadata).")
    out("keda_trigger_authentication", keda_auth.name, f"KEDA ClusterTriggerAuthentication `{PLATFORM_KEDA_AUTH}` (SigV4 to AMP as KEDA's role); null while enable_crds is false.")
    out("scrape_kind", "ServiceMonitor", "Kind of the scrape objects the workloads create (monitoring.coreos.com/v1, served by the platform's Prometheus operator).")
    core_outputs(stack, core)
    stack.doc.extra_files["examples/complete/main.tf"] = EXAMPLE
    out("retained_addresses", guard.addresses, RETAINED_DESCRIPTION)
    stack.check_logical_ids()
    return stack


KEDA_NAMESPACE = CHARTS[KEDA].namespace
CLUSTER_AUTOSCALER_DEFAULT_TAG = "v1.35.0"  # the chart's image.tag at 9.59.0 (appVersion 1.35.0)
EXAMPLE = """\
# One EKS cluster's platform, applied with plain terraform in this order:
#   1. the monitoring module (modules_out/aws/monitoring: the Amazon Managed Prometheus workspace
#      this module writes to; its workspace_id output is prometheus_workspace_id here),
#   2. this root with enable_crds = false on a new cluster (the charts install the CRDs),
#   3. this root again with enable_crds = true (the ClusterIssuer and KEDA's ClusterTriggerAuthentication),
#   4. the services' roots.
terraform {
  required_version = ">= 1.5.0"
  required_providers {
    aws        = { source = "hashicorp/aws", version = ">= 5.100.0, < 7.0.0" }
    helm       = { source = "hashicorp/helm", version = ">= 3.1.1, < 4.0.0" }
    kubernetes = { source = "hashicorp/kubernetes", version = ">= 2.38.0, < 3.0.0" }
  }
}

variable "cluster_name" {
  type        = string
  description = "Name of the existing EKS cluster."
}

variable "prometheus_workspace_id" {
  type        = string
  description = "The monitoring module's workspace_id output."
}

variable "enable_crds" {
  type        = bool
  description = "false on the first apply to a new cluster, true afterwards."
  default     = false
}

provider "aws" {
  region = "us-east-1"
}

""" + EKS_ACCESS + """
provider "helm" {
  kubernetes = {
    host                   = data.aws_eks_cluster.this.endpoint
    cluster_ca_certificate = base64decode(data.aws_eks_cluster.this.certificate_authority[0].data)
    token                  = data.aws_eks_cluster_auth.this.token
  }
}

module "platform" {
  source                  = "../.."
  environment             = "production"
  cluster_name            = var.cluster_name
  oidc_provider_arn       = data.aws_iam_openid_connect_provider.this.arn
  prometheus_workspace_id = var.prometheus_workspace_id
  acme_email              = "platform-team@example.com"
  enable_crds             = var.enable_crds
  # volume_kms_key_arn    = "arn:aws:kms:us-east-1:111122223333:key/EXAMPLE"
}

output "platform" {
  value = module.platform
}
"""

SUMMARY = (
    "Apply once per EKS cluster, after the monitoring module (its `workspace_id` is `prometheus_workspace_id` here) and "
    "before the services. AWS resources (aws provider): the EBS CSI driver as the EKS add-on (`enable_ebs_csi_addon`, "
    "`ebs_csi_addon_version`) with its IRSA role (AWS's `AmazonEBSCSIDriverPolicy` plus use of the volume key); a "
    "customer-managed KMS key with rotation (or `volume_kms_key_arn`) that every synthdata StorageClass encrypts volumes "
    "with, kept on destroy while `retain_data_on_destroy` is true; IRSA roles for Cluster Autoscaler (it may resize "
    "only the Auto Scaling groups tagged `k8s.io/cluster-autoscaler/<cluster_name> = owned`, which the synthdata node "
    "groups carry), for the cluster's Prometheus (`aps:RemoteWrite` on the workspace) and for the KEDA operator "
    "(`aps:QueryMetrics`, `GetSeries`, `GetLabels`, `GetMetricMetadata` on the workspace). In the cluster (helm and "
    "kubernetes providers): pinned charts (the `charts` output) -- kube-prometheus-stack as AMP's collector (Prometheus "
    "operator for the services' ServiceMonitors, kube-state-metrics, node exporter, one Prometheus remote-writing with "
    "SigV4; no Alertmanager or Grafana: AMP and Amazon Managed Grafana do that), Cluster Autoscaler (auto-discovery by "
    "those tags), cert-manager with the `letsencrypt` ClusterIssuer, ingress-nginx (IngressClass `nginx`), KEDA with "
    "its operator running as its role and the ClusterTriggerAuthentication `synthdata-prometheus` (podIdentity aws), "
    "External Secrets Operator (the services' SecretStores use their own IRSA roles), the NVIDIA device plugin and "
    "the DCGM exporter on GPU nodes; and the synthdata StorageClasses on `ebs.csi.aws.com` (`encrypted`, `kmsKeyId`). "
    "The ClusterIssuer and the ClusterTriggerAuthentication need their CRDs at plan time: on a new cluster apply with "
    "`enable_crds = false` first, then with `true`."
)
