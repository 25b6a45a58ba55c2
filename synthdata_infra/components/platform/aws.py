"""The AWS parts of the platform module: what an EKS cluster lacks that the other layers assume.

- The EBS CSI driver as the EKS add-on, with its IRSA role (AWS's managed policy plus use of
  the volume key), and the customer-managed KMS key the StorageClasses encrypt volumes with.
- Cluster Autoscaler with a least-privilege IRSA role: it may change only the Auto Scaling groups
  tagged for this cluster (the tags the cloud modules' node groups carry).
- Metrics into Amazon Managed Prometheus: a Prometheus (prometheus-operator, from
  kube-prometheus-stack) that serves the ``ServiceMonitor`` kind and remote-writes with SigV4
  through an IRSA role allowed ``aps:RemoteWrite`` on the workspace, nothing else.
- KEDA's operator identity: an IRSA role allowed to query the workspace, and the
  ``ClusterTriggerAuthentication`` the workloads' ScaledObjects name.

Every fact below names where it comes from. Service account names are fixed here and set in the
charts' values, so the roles' trust policies and the pods can never disagree.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from synthdata_infra.catalog import aws_managed_policy_arn
from synthdata_infra.cdk import Construct, TerraformLocal, aws
from synthdata_infra.components.aws.aws_props import AccountContext, policy_document
from synthdata_infra.components.aws.eks_node_pool import AUTOSCALER_OWNER_TAG_PREFIX
from synthdata_infra.components.expressions import as_map, count_if, inner, named, stable_id

# The EBS CSI driver add-on: its name in EKS (`aws eks describe-addon-versions`), the controller's
# service account the add-on runs as (EKS user guide, "Create an Amazon EBS CSI driver IAM role":
# system:serviceaccount:kube-system:ebs-csi-controller-sa) and the AWS managed policy for it, which
# AWS publishes under the path /service-role/ (moto.iam.aws_managed_policies, IAM ListPolicies).
EBS_CSI_ADDON = "aws-ebs-csi-driver"
# Add-on builds are named <driver release>-eksbuild.<n>: v1.63.1 is a release of
# kubernetes-sigs/aws-ebs-csi-driver (its CHANGELOG.md); check what a cluster's Kubernetes version
# offers with `aws eks describe-addon-versions --addon-name aws-ebs-csi-driver`.
EBS_CSI_ADDON_VERSION = "v1.63.1-eksbuild.1"
EBS_CSI_ADDON_VERSION_RULE = r"^v[0-9]+\.[0-9]+\.[0-9]+-eksbuild\.[0-9]+$"
EBS_CSI_SERVICE_ACCOUNT = ("kube-system", "ebs-csi-controller-sa")
EBS_CSI_POLICY = "AmazonEBSCSIDriverPolicy"
# EKS's ResolveConflicts values (botocore's EKS model): OVERWRITE takes over a self-managed driver
# on create; PRESERVE keeps a team's own changes to the add-on's configuration on update.
EBS_CSI_RESOLVE_ON_CREATE = "OVERWRITE"
EBS_CSI_RESOLVE_ON_UPDATE = "PRESERVE"

# Cluster Autoscaler: the chart installs it in kube-system with this service account name
# (rbac.serviceAccount.name); its image should match the cluster's Kubernetes minor (the
# autoscaler's README: "use the version matching your cluster's minor").
CLUSTER_AUTOSCALER_SERVICE_ACCOUNT = ("kube-system", "cluster-autoscaler")
CLUSTER_AUTOSCALER_IMAGE_TAG_RULE = r"^v1\.[0-9]+\.[0-9]+$"
# What it needs, from cluster-autoscaler/cloudprovider/aws/README.md ("Full Cluster Autoscaler
# Features Policy"), with the two mutating actions restricted by the discovery tag as that README
# recommends, and eks:DescribeNodegroup to the cluster's node groups.
CLUSTER_AUTOSCALER_READ = (
    "autoscaling:DescribeAutoScalingGroups",
    "autoscaling:DescribeAutoScalingInstances",
    "autoscaling:DescribeLaunchConfigurations",
    "autoscaling:DescribeScalingActivities",
    "ec2:DescribeImages",
    "ec2:DescribeInstanceTypes",
    "ec2:DescribeLaunchTemplateVersions",
    "ec2:GetInstanceTypesFromInstanceRequirements",
)
CLUSTER_AUTOSCALER_WRITE = ("autoscaling:SetDesiredCapacity", "autoscaling:TerminateInstanceInAutoScalingGroup")

# The Prometheus that remote-writes to AMP: kube-prometheus-stack in the namespace the workloads'
# NetworkPolicies let scrape (the workload module's monitoring_namespace default), under a fixed
# service account name (prometheus.serviceAccount.name).
PROMETHEUS_SERVICE_ACCOUNT = ("monitoring", "synthdata-prometheus")
# AMP's actions (Service Authorization Reference, "Actions defined by Amazon Managed Service for
# Prometheus"): writing samples, and the four read APIs KEDA's prometheus scaler calls.
AMP_WRITE = ("aps:RemoteWrite",)
AMP_QUERY = ("aps:QueryMetrics", "aps:GetSeries", "aps:GetLabels", "aps:GetMetricMetadata")

# KEDA's operator service account: the keda chart's serviceAccount.operator.name default.
KEDA_OPERATOR_SERVICE_ACCOUNT = "keda-operator"

# Key use for EBS volumes through the driver (EKS user guide, "Create an Amazon EBS CSI driver IAM
# role", the KMS policy for encrypted volumes): grants only for AWS resources (EC2 attaching the
# volume), plus the data-key calls.
VOLUME_KEY_GRANTS = ("kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant")
VOLUME_KEY_USE = ("kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey")


class ServiceAccountRoleProps(BaseModel):
    """An IRSA role only one Kubernetes service account of the cluster can assume."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str  # the role name (expression)
    description: str
    oidc_issuer: str  # the OIDC provider's host and path (expression)
    oidc_provider_arn: str
    namespace: str
    service_account: str
    statements: tuple[dict[str, Any], ...]  # its inline policy; empty: none
    managed_policy_arns: tuple[str, ...]  # AWS managed policies attached
    permissions_boundary_arn: str  # string or null expression
    tags: str  # map(string) expression


class ServiceAccountRole(Construct):
    def __init__(self, scope: Construct, construct_id: str, props: ServiceAccountRoleProps) -> None:
        super().__init__(scope, construct_id)
        issuer = props.oidc_issuer
        self.role = named(
            aws.iam_role.IamRole(
                self,
                "role",
                name=props.name,
                description=props.description,
                assume_role_policy=policy_document(
                    {
                        "Effect": "Allow",
                        "Principal": {"Federated": props.oidc_provider_arn},
                        "Action": "sts:AssumeRoleWithWebIdentity",
                        "Condition": {
                            "StringEquals": {
                                f"{issuer}:sub": f"system:serviceaccount:{props.namespace}:{props.service_account}",
                                f"{issuer}:aud": "sts.amazonaws.com",
                            }
                        },
                    }
                ),
                max_session_duration=3600,
                permissions_boundary=props.permissions_boundary_arn,
                tags=as_map(props.tags),
            )
        )
        # What the role's permissions consist of: whatever runs as it depends on them.
        self.permissions: list[Any] = []
        if props.statements:
            self.permissions.append(
                named(
                    aws.iam_role_policy.IamRolePolicy(
                        self, "access", name="synthdata-platform", role=self.role.id, policy=policy_document(*props.statements)
                    )
                )
            )
        for index, arn in enumerate(props.managed_policy_arns):
            self.permissions.append(
                named(aws.iam_role_policy_attachment.IamRolePolicyAttachment(self, f"managed_{index}", role=self.role.name, policy_arn=arn))
            )
        self.arn = self.role.arn
        # The annotation a service account needs to run as the role.
        self.annotations = {"eks.amazonaws.com/role-arn": self.role.arn}


class VolumeKeyProps(BaseModel):
    """The customer-managed key the EBS StorageClasses encrypt volumes with."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str  # alias suffix (expression)
    cluster_name: str  # in the key's description (expression)
    account: AccountContext
    given_key_arn: str  # string or null expression: an existing key instead of a created one
    tags: str  # map(string) expression


class VolumeKey(Construct):
    def __init__(self, scope: Construct, construct_id: str, props: VolumeKeyProps) -> None:
        super().__init__(scope, construct_id)
        account = props.account
        create = f"${{{inner(props.given_key_arn)} == null ? 1 : 0}}"
        # The account administers the key through IAM; who may use it is said by IAM policies (the
        # EBS CSI driver's role), not by the key policy.
        self.key = named(
            aws.kms_key.KmsKey(
                self,
                "key",  # the construct is "volume": aws_kms_key.volume_key
                description=f"synthdata platform: persistent volumes of the EKS cluster {props.cluster_name}",
                enable_key_rotation=True,
                deletion_window_in_days=30,
                policy=policy_document(
                    {
                        "Sid": "AccountAdministration",
                        "Effect": "Allow",
                        "Principal": {"AWS": f"arn:{account.partition}:iam::{account.account_id}:root"},
                        "Action": "kms:*",
                        "Resource": "*",
                    }
                ),
                tags=as_map(props.tags),
            )
        )
        self.key.add_override("count", create)
        created = f"aws_kms_key.{stable_id(self.key)}"
        alias = named(aws.kms_alias.KmsAlias(self, "alias", name=f"alias/synthdata/{props.name}-volumes", target_key_id=f"${{{created}[0].key_id}}"))
        alias.add_override("count", create)
        local = named(TerraformLocal(self, "arn", f"${{coalesce({inner(props.given_key_arn)}, one({created}[*].arn))}}"))
        self.arn = f"${{local.{stable_id(local)}}}"


class EbsCsiDriverProps(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    cluster_name: str
    role_name: str  # expression
    oidc_issuer: str
    oidc_provider_arn: str
    permissions_boundary_arn: str
    volume_key_arn: str
    partition: str
    enabled: str  # bool expression: create the add-on (its role exists either way)
    addon_version: str  # string expression
    tags: str


class EbsCsiDriver(Construct):
    """The driver's IRSA role and the EKS add-on running as it."""

    def __init__(self, scope: Construct, construct_id: str, props: EbsCsiDriverProps) -> None:
        super().__init__(scope, construct_id)
        namespace, account = EBS_CSI_SERVICE_ACCOUNT
        key_statements = (
            {
                "Sid": "GrantsForAttachedVolumes",
                "Effect": "Allow",
                "Action": list(VOLUME_KEY_GRANTS),
                "Resource": props.volume_key_arn,
                "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}},
            },
            {"Sid": "EncryptVolumes", "Effect": "Allow", "Action": list(VOLUME_KEY_USE), "Resource": props.volume_key_arn},
        )
        self.identity = ServiceAccountRole(
            self,
            "identity",
            ServiceAccountRoleProps(
                name=props.role_name,
                description="EBS CSI driver (EKS add-on): creates, attaches and encrypts the cluster's volumes",
                oidc_issuer=props.oidc_issuer,
                oidc_provider_arn=props.oidc_provider_arn,
                namespace=namespace,
                service_account=account,
                statements=key_statements,
                managed_policy_arns=(aws_managed_policy_arn(EBS_CSI_POLICY, props.partition),),
                permissions_boundary_arn=props.permissions_boundary_arn,
                tags=props.tags,
            ),
        )
        self.addon = named(
            aws.eks_addon.EksAddon(
                self,
                "addon",
                cluster_name=props.cluster_name,
                addon_name=EBS_CSI_ADDON,
                addon_version=props.addon_version,
                service_account_role_arn=self.identity.arn,
                resolve_conflicts_on_create=EBS_CSI_RESOLVE_ON_CREATE,
                resolve_conflicts_on_update=EBS_CSI_RESOLVE_ON_UPDATE,
                tags=as_map(props.tags),
                # After the role's policies: the controller starts with its permissions.
                depends_on=self.identity.permissions,
            )
        )
        self.addon.add_override("count", count_if(props.enabled))


def cluster_autoscaler_statements(cluster_name: str, account: AccountContext) -> tuple[dict[str, Any], ...]:
    """Cluster Autoscaler's policy: read what it must, change only this cluster's tagged groups."""
    return (
        {"Sid": "Discover", "Effect": "Allow", "Action": list(CLUSTER_AUTOSCALER_READ), "Resource": "*"},
        {
            "Sid": "ScaleOwnedGroups",
            "Effect": "Allow",
            "Action": list(CLUSTER_AUTOSCALER_WRITE),
            "Resource": "*",
            "Condition": {"StringEquals": {f"aws:ResourceTag/{AUTOSCALER_OWNER_TAG_PREFIX}{cluster_name}": "owned"}},
        },
        {
            "Sid": "ReadNodeGroups",
            "Effect": "Allow",
            "Action": "eks:DescribeNodegroup",
            "Resource": account.arn("eks", f"nodegroup/{cluster_name}/*/*"),
        },
    )


def amp_statements(sid: str, actions: tuple[str, ...], workspace_arn: str) -> tuple[dict[str, Any], ...]:
    return ({"Sid": sid, "Effect": "Allow", "Action": list(actions), "Resource": workspace_arn},)


# -- charts ------------------------------------------------------------------------------------

CLUSTER_AUTOSCALER = "cluster-autoscaler"
KUBE_PROMETHEUS_STACK = "kube-prometheus-stack"
KEDA = "keda"
IRSA_ANNOTATION = "eks.amazonaws.com/role-arn"
# Pod Security "restricted" for the autoscaler, whose chart sets no security context by default; its
# image is distroless static:nonroot (cluster-autoscaler/Dockerfile), user 65532.
AUTOSCALER_POD_SECURITY = {"runAsNonRoot": True, "runAsUser": 65532, "runAsGroup": 65532, "seccompProfile": {"type": "RuntimeDefault"}}
AUTOSCALER_CONTAINER_SECURITY = {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True, "capabilities": {"drop": ["ALL"]}}


def cluster_autoscaler_values(cluster_name: str, region: str, role_arn: str, image_tag: str) -> dict[str, Any]:
    """Values of the cluster-autoscaler chart (keys checked against its values.yaml at 9.59.0)."""
    service_account = CLUSTER_AUTOSCALER_SERVICE_ACCOUNT[1]  # the chart runs in kube-system (charts.py)
    return {
        "cloudProvider": "aws",
        "awsRegion": region,
        # Discovers the Auto Scaling groups carrying autoDiscovery.tags (the chart's default: both
        # discovery tags for this cluster, which EKS and the cloud modules' node groups set).
        "autoDiscovery": {"clusterName": cluster_name},
        "image": {"tag": image_tag},
        "rbac": {"serviceAccount": {"create": True, "name": service_account, "annotations": {IRSA_ANNOTATION: role_arn}}},
        "extraArgs": {
            # The services' node groups come in pairs of equal shape across zones: grow them evenly.
            "balance-similar-node-groups": True,
            # The generators' pods keep scratch data in emptyDir volumes (their root filesystem is
            # read-only): that must not pin a node that is otherwise empty.
            "skip-nodes-with-local-storage": False,
        },
        "securityContext": AUTOSCALER_POD_SECURITY,
        "containerSecurityContext": AUTOSCALER_CONTAINER_SECURITY,
    }


def kube_prometheus_stack_values(region: str, role_arn: str, remote_write_url: str, node_exporter_namespace: str) -> dict[str, Any]:
    """kube-prometheus-stack as AMP's collector (keys checked against its values.yaml at 88.5.3): the
    Prometheus operator (the ServiceMonitor CRD the workloads use) and one Prometheus that scrapes
    every ServiceMonitor and PodMonitor in the cluster and remote-writes to AMP with SigV4 as its
    IRSA role. AMP evaluates the rules and routes the alerts (the monitoring module) and Amazon
    Managed Grafana shows the dashboards: no Alertmanager, Grafana or default rules here. EKS's
    control plane (controller manager, scheduler, etcd) and kube-proxy (metrics on 127.0.0.1) are
    not scrapeable from the cluster: their ServiceMonitors are off."""
    return {
        "alertmanager": {"enabled": False},
        "grafana": {"enabled": False},
        "defaultRules": {"create": False},
        "kubeControllerManager": {"enabled": False},
        "kubeScheduler": {"enabled": False},
        "kubeEtcd": {"enabled": False},
        "kubeProxy": {"enabled": False},
        # The node exporter needs the host (hostNetwork, hostPID, hostPath): its own privileged namespace.
        "prometheus-node-exporter": {"namespaceOverride": node_exporter_namespace},
        "prometheus": {
            "serviceAccount": {"create": True, "name": PROMETHEUS_SERVICE_ACCOUNT[1], "annotations": {IRSA_ANNOTATION: role_arn}},
            "prometheusSpec": {
                # Every ServiceMonitor/PodMonitor, not only those labelled with the release.
                "serviceMonitorSelectorNilUsesHelmValues": False,
                "podMonitorSelectorNilUsesHelmValues": False,
                # AMP keeps the samples (150 days); the local copy only bridges remote-write outages.
                "retention": "1d",
                # The Prometheus CRD's RemoteWriteSpec.sigv4: credentials from the pod's IRSA token.
                "remoteWrite": [{"url": remote_write_url, "sigv4": {"region": region}}],
            },
        },
    }


def keda_values(role_arn: str) -> dict[str, Any]:
    """The keda chart (2.20.2) annotates its operator's service account with the role when
    podIdentity.aws.irsa is enabled (templates/manager/serviceaccount.yaml)."""
    return {"podIdentity": {"aws": {"irsa": {"enabled": True, "roleArn": role_arn}}}}


class KedaAwsAuthenticationProps(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)

    enabled: str  # bool expression: create custom resources (their CRDs must exist at plan time)
    keda_release: Any  # the keda helm_release: the CRD comes with it
    labels: dict[str, str]


class KedaAwsAuthentication(Construct):
    """The ClusterTriggerAuthentication the workloads' ScaledObjects name: KEDA signs its queries to
    AMP with SigV4 as its own operator's IRSA role (podIdentity provider aws, identityOwner keda;
    field names from the keda 2.20.2 chart's ClusterTriggerAuthentication CRD)."""

    def __init__(self, scope: Construct, construct_id: str, props: KedaAwsAuthenticationProps) -> None:
        super().__init__(scope, construct_id)
        from synthdata_infra.cdk import kubernetes as k8s
        from synthdata_infra.naming import PLATFORM_KEDA_AUTH

        self.manifest = named(
            k8s.manifest.Manifest(
                self,
                "manifest",
                manifest={
                    "apiVersion": "keda.sh/v1alpha1",
                    "kind": "ClusterTriggerAuthentication",
                    "metadata": {"name": PLATFORM_KEDA_AUTH, "labels": props.labels},
                    "spec": {"podIdentity": {"provider": "aws", "identityOwner": "keda"}},
                },
                depends_on=[props.keda_release],
            )
        )
        self.manifest.add_override("count", count_if(props.enabled))
        self.name = f"${{one(kubernetes_manifest.{stable_id(self.manifest)}[*].manifest.metadata.name)}}"
