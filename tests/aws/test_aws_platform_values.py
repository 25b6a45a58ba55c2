"""modules_out/aws/platform as JSON: the Kubernetes side no provider here can plan (helm, kubernetes).

What must agree between the AWS and the Kubernetes side: each IRSA role trusts exactly the service
account the chart creates, in the namespace the chart runs in, and the chart annotates that service
account with that role; the autoscaler manages exactly the node groups the cloud modules create;
the StorageClasses encrypt with the volume key on the EBS CSI driver; KEDA's authentication is the
one the workloads name, of a kind the KEDA chart serves.
"""

from __future__ import annotations

import json
import re

import pytest

from synthdata_infra.catalog import storage_class_for, storage_classes
from synthdata_infra.components.platform.charts import CHARTS
from synthdata_infra.naming import PLATFORM_KEDA_AUTH
from tests.conftest import REPO, TYPES, load, resources

MODULE = REPO / "modules_out" / "aws" / "platform"
IRSA = "eks.amazonaws.com/role-arn"


def release(component: str) -> dict:
    return resources(MODULE, "helm_release")[f"platform_{component.replace('-', '_')}"]


def values(component: str) -> dict:
    (document,) = release(component)["values"]
    return json.loads(document)


def trusted_service_account(role: str) -> str:
    """``namespace:name`` the role's trust policy names (the jsonencode text of the module)."""
    policy = resources(MODULE, "aws_iam_role")[role]["assume_role_policy"]
    return re.search(r'"system:serviceaccount:([^"]+)"', policy).group(1)


def test_each_chart_runs_as_the_role_that_trusts_its_service_account():
    kps = values("kube-prometheus-stack")["prometheus"]["serviceAccount"]
    assert kps["annotations"] == {IRSA: "${aws_iam_role.prometheus_role.arn}"} and kps["create"] is True
    assert trusted_service_account("prometheus_role") == f"{CHARTS['kube-prometheus-stack'].namespace}:{kps['name']}"

    autoscaler = values("cluster-autoscaler")["rbac"]["serviceAccount"]
    assert autoscaler["annotations"] == {IRSA: "${aws_iam_role.cluster_autoscaler_role.arn}"}
    assert release("cluster-autoscaler")["namespace"] == CHARTS["cluster-autoscaler"].namespace == "kube-system"
    assert trusted_service_account("cluster_autoscaler_role") == f"kube-system:{autoscaler['name']}"

    # The keda chart names its operator's service account keda-operator (serviceAccount.operator.name)
    # and annotates it with podIdentity.aws.irsa.roleArn.
    assert values("keda")["podIdentity"] == {"aws": {"irsa": {"enabled": True, "roleArn": "${aws_iam_role.keda_role.arn}"}}}
    assert trusted_service_account("keda_role") == f"{CHARTS['keda'].namespace}:keda-operator"

    # The EBS CSI add-on runs its controller as ebs-csi-controller-sa in kube-system (EKS user guide).
    assert trusted_service_account("ebs_csi_identity_role") == "kube-system:ebs-csi-controller-sa"
    (addon,) = resources(MODULE, "aws_eks_addon").values()
    assert addon["service_account_role_arn"] == "${aws_iam_role.ebs_csi_identity_role.arn}"


def test_prometheus_remote_writes_to_the_workspace_with_sigv4_and_nothing_else_of_the_stack_runs():
    kps = values("kube-prometheus-stack")
    (remote,) = kps["prometheus"]["prometheusSpec"]["remoteWrite"]
    assert remote == {
        "url": "${data.aws_prometheus_workspace.workspace.prometheus_endpoint}api/v1/remote_write",
        "sigv4": {"region": "${data.aws_region.region.id}"},
    }
    assert kps["alertmanager"] == {"enabled": False} and kps["grafana"] == {"enabled": False}
    assert kps["defaultRules"] == {"create": False}  # the monitoring module's rules run in AMP
    spec = kps["prometheus"]["prometheusSpec"]
    assert spec["serviceMonitorSelectorNilUsesHelmValues"] is False and spec["podMonitorSelectorNilUsesHelmValues"] is False
    # The role may write to that workspace only.
    policy = resources(MODULE, "aws_iam_role_policy")["prometheus_access"]["policy"]
    assert '"aps:RemoteWrite"' in policy and "data.aws_prometheus_workspace.workspace.arn" in policy


def test_the_workloads_scrape_kind_is_served_by_a_chart_the_platform_installs():
    from synthdata_infra.providers import get

    assert get("aws").scrape_kind == "ServiceMonitor"
    installed = [CHARTS[name] for name in _installed()]
    assert any(chart.serves("monitoring.coreos.com/v1", "ServiceMonitor") for chart in installed)
    assert any(chart.serves("keda.sh/v1alpha1", "ClusterTriggerAuthentication") for chart in installed)


def _installed() -> set[str]:
    return {body["name"] for body in resources(MODULE, "helm_release").values()}


def test_keda_authenticates_to_amp_as_its_operator():
    auth = resources(MODULE, "kubernetes_manifest")["keda_auth_manifest"]["manifest"]
    assert (auth["apiVersion"], auth["kind"], auth["metadata"]["name"]) == ("keda.sh/v1alpha1", "ClusterTriggerAuthentication", PLATFORM_KEDA_AUTH)
    assert auth["spec"] == {"podIdentity": {"provider": "aws", "identityOwner": "keda"}}
    body = resources(MODULE, "kubernetes_manifest")["keda_auth_manifest"]
    assert body["depends_on"] == ["helm_release.platform_keda"] and body["count"] == "${var.enable_crds ? 1 : 0}"
    policy = resources(MODULE, "aws_iam_role_policy")["keda_access"]["policy"]
    for action in ("aps:QueryMetrics", "aps:GetSeries", "aps:GetLabels", "aps:GetMetricMetadata"):
        assert f'"{action}"' in policy


def test_every_storage_class_of_the_catalog_encrypts_with_the_volume_key_on_the_ebs_driver():
    created = {body["metadata"]["name"]: body for body in resources(MODULE, "kubernetes_storage_class_v1").values()}
    for storage_class in storage_classes():
        mapping = storage_class_for("aws", storage_class)
        body = created[mapping.storage_class_name]
        if mapping.provisioner == "kubernetes.io/no-provisioner":  # node-local NVMe: static local PVs, nothing to encrypt with
            assert "parameters" not in body
            continue
        assert body["storage_provisioner"] == "ebs.csi.aws.com"
        assert body["parameters"] == {**mapping.parameters, "encrypted": "true", "kmsKeyId": "${local.volume_arn}"}
    policy = resources(MODULE, "aws_iam_role_policy")["ebs_csi_identity_access"]["policy"]
    assert policy.count("local.volume_arn") == 2  # the driver's role may use exactly that key


@pytest.mark.parametrize("kind", TYPES)
def test_the_autoscaler_manages_every_node_group_the_cloud_modules_create(kind):
    """Both discovery tags (the chart's autoDiscovery.tags default) on the node group, and the
    owner tag is the one the autoscaler's role may change groups by."""
    (group,) = resources(REPO / "modules_out" / "aws" / kind, "aws_eks_node_group").values()
    tags = group["tags"]
    assert '"k8s.io/cluster-autoscaler/enabled" = "true"' in tags
    assert '"k8s.io/cluster-autoscaler/${var.cluster_name}" = "owned"' in tags
    assert values("cluster-autoscaler")["autoDiscovery"] == {"clusterName": "${var.cluster_name}"}
    policy = resources(MODULE, "aws_iam_role_policy")["cluster_autoscaler_access"]["policy"]
    assert '"aws:ResourceTag/k8s.io/cluster-autoscaler/${var.cluster_name}" = "owned"' in policy


def test_gpu_nodes_get_the_device_plugin_and_dcgm_on_eks():
    variables = load(MODULE, "variables.tf.json")["variable"]
    assert variables["enable_device_plugin"]["default"] is True  # AL2023 NVIDIA AMIs have none
    assert release("nvidia-device-plugin")["count"] == "${var.enable_device_plugin ? 1 : 0}"
    assert "count" not in release("dcgm-exporter")


def test_every_chart_is_pinned_from_the_table():
    for body in resources(MODULE, "helm_release").values():
        chart = CHARTS[body["name"]]
        assert (body["repository"], body["chart"], body["version"]) == (chart.repository, chart.chart, chart.version)
    assert _installed() == set(CHARTS) - {"kube-state-metrics"}  # kube-prometheus-stack brings it
