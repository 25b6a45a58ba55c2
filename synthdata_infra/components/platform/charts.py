"""Every Helm chart a platform module installs: one table, one pinned version each.

The platform modules (``modules_out/<provider>/platform/``) read it, the README's "What the
platform module installs" table is written from it, and the consistency tests read ``crds`` to
check that every custom resource a workload or monitoring module creates is served by a chart
its provider's platform installs.

Where the facts come from: each version is the chart's release tag in its own repository
(``version`` of the chart's Chart.yaml at that tag); ``crds`` are the CustomResourceDefinitions
the chart's templates (or its CRD subchart) contain at that tag, with the API versions they
serve; ``pod_security`` is what the chart's default security contexts allow (see ``why``).
Re-check all three, and every value key ``core.py`` sets, when a version changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

# Paths on a cluster's nodes that a platform chart mounts (hostPath): they belong to the nodes, not
# to the machine that synthesized the module, so the no-absolute-path rule leaves them alone.
GKE_NVIDIA_HOST_PATH = "/home/kubernetes/bin/nvidia"  # where GKE's driver installer puts the NVIDIA libraries
NODE_HOST_PATHS = (GKE_NVIDIA_HOST_PATH,)

PodSecurity = Literal["restricted", "baseline", "privileged"]


@dataclass(frozen=True)
class Chart:
    """One pinned Helm chart: which component it is, where it comes from, where it runs, why."""

    component: str  # the key in CHARTS, the helm release name and the Terraform resource name
    repository: str  # Helm repository URL
    chart: str
    version: str  # exact chart version (never a range, never latest)
    namespace: str  # the namespace the platform creates for it
    why: str  # one line for the README
    crds: frozenset[tuple[str, str]] = frozenset()  # (apiVersion, kind) of the CRDs it installs and serves
    # Pod Security Admission level of its namespace: restricted unless the component needs the host.
    pod_security: PodSecurity = "restricted"
    pod_security_reason: str = ""  # why anything less than restricted
    exports: tuple[str, ...] = ()  # metric exporters it runs (the metric catalog's ``exporter`` names)

    def serves(self, api_version: str, kind: str) -> bool:
        return (api_version, kind) in self.crds


def _crds(api_version: str, *kinds: str) -> frozenset[tuple[str, str]]:
    return frozenset((api_version, kind) for kind in kinds)


GPU_NAMESPACE = "nvidia-gpu"
MONITORING_NAMESPACE = "monitoring"  # the onprem monitoring module's default namespace
NODE_EXPORTER_NAMESPACE = "node-exporter"

CHARTS: dict[str, Chart] = {
    chart.component: chart
    for chart in (
        Chart(
            # github.com/cert-manager/cert-manager tag v1.21.1, deploy/charts/cert-manager (CRDs: templates/crd-*.yaml, all v1)
            component="cert-manager",
            repository="https://charts.jetstack.io",
            chart="cert-manager",
            version="v1.21.1",
            namespace="cert-manager",
            why="TLS certificates for the services' Ingresses from the ClusterIssuer the profiles name (ACME http-01 through nginx)",
            crds=_crds("cert-manager.io/v1", "Certificate", "CertificateRequest", "ClusterIssuer", "Issuer")
            | _crds("acme.cert-manager.io/v1", "Challenge", "Order"),
        ),
        Chart(
            # github.com/kubernetes/ingress-nginx tag helm-chart-4.15.1 (controller v1.15.1). The project
            # was retired upstream in March 2026 (no releases after it); kept because the workload's
            # NetworkPolicies and IngressClass name it. Its controller drops ALL capabilities and adds
            # only NET_BIND_SERVICE, which restricted allows.
            component="ingress-nginx",
            repository="https://kubernetes.github.io/ingress-nginx",
            chart="ingress-nginx",
            version="4.15.1",
            namespace="ingress-nginx",
            why="the ingress controller (IngressClass nginx) in the namespace the services' NetworkPolicies admit traffic from",
        ),
        Chart(
            # github.com/kedacore/charts tag v2.20.2, keda/ (CRDs: keda/templates/crds/, all v1alpha1)
            component="keda",
            repository="https://kedacore.github.io/charts",
            chart="keda",
            version="2.20.2",
            namespace="keda",
            why="autoscaling on the profiles' Prometheus signals (queue length, GPU use, p99 latency) plus CPU and memory; authenticates natively to AMP, GMP and Azure Monitor",
            crds=_crds("keda.sh/v1alpha1", "ScaledObject", "ScaledJob", "TriggerAuthentication", "ClusterTriggerAuthentication")
            | _crds("eventing.keda.sh/v1alpha1", "CloudEventSource", "ClusterCloudEventSource"),
        ),
        Chart(
            # github.com/external-secrets/external-secrets tag helm-chart-2.9.0 (deploy/crds/bundle.yaml):
            # ExternalSecret, SecretStore and ClusterSecretStore serve v1 only (v1beta1 is listed, served: false).
            component="external-secrets",
            repository="https://charts.external-secrets.io",
            chart="external-secrets",
            version="2.9.0",
            namespace="external-secrets",
            why="fills each service's Kubernetes Secrets from the cloud secret store through the service's own workload identity",
            crds=_crds("external-secrets.io/v1", "ExternalSecret", "SecretStore", "ClusterSecretStore", "ClusterExternalSecret")
            | _crds("external-secrets.io/v1alpha1", "PushSecret", "ClusterPushSecret"),
        ),
        Chart(
            # github.com/prometheus-community/helm-charts tag kube-state-metrics-8.4.0 (app v2.20.0)
            component="kube-state-metrics",
            repository="https://prometheus-community.github.io/helm-charts",
            chart="kube-state-metrics",
            version="8.4.0",
            namespace="kube-state-metrics",
            why="object status series (kube_pod_container_resource_requests, replicas) the CPU/memory scaling queries and alerts read",
            exports=("kube-state-metrics",),
        ),
        Chart(
            # github.com/NVIDIA/dcgm-exporter tag 4.5.3-4.8.2, deployment/ (chart 4.8.2). Its container runs
            # as root with SYS_ADMIN (profiling counters) and reads the kubelet's pod-resources socket
            # through a hostPath to label each GPU with the pod using it.
            component="dcgm-exporter",
            repository="https://nvidia.github.io/dcgm-exporter/helm-charts",
            chart="dcgm-exporter",
            version="4.8.2",
            namespace=GPU_NAMESPACE,
            why="per-GPU utilisation and memory series (DCGM_FI_DEV_*) the GPU alerts, dashboards and autoscaling read",
            exports=("dcgm-exporter",),
            pod_security="privileged",
            pod_security_reason="the DCGM exporter runs as root with SYS_ADMIN and mounts the kubelet pod-resources hostPath",
        ),
        Chart(
            # github.com/NVIDIA/k8s-device-plugin tag v0.20.0, deployments/helm/nvidia-device-plugin
            component="nvidia-device-plugin",
            repository="https://nvidia.github.io/k8s-device-plugin",
            chart="nvidia-device-plugin",
            version="0.20.0",
            namespace=GPU_NAMESPACE,
            why="advertises nvidia.com/gpu on GPU nodes where the cloud does not (EKS AL2023 NVIDIA AMIs)",
            pod_security="privileged",
            pod_security_reason="the device plugin mounts the kubelet device-plugins hostPath to register nvidia.com/gpu",
        ),
        Chart(
            # github.com/prometheus-community/helm-charts tag kube-prometheus-stack-88.5.3 (operator v0.93.1;
            # CRDs: charts/crds/crds/*.yaml). Its node exporter needs hostNetwork, hostPID and hostPath:
            # it runs in its own privileged namespace (namespaceOverride) so monitoring stays restricted.
            component="kube-prometheus-stack",
            repository="https://prometheus-community.github.io/helm-charts",
            chart="kube-prometheus-stack",
            version="88.5.3",
            namespace=MONITORING_NAMESPACE,
            why=(
                "Prometheus operator (the ServiceMonitor kind), Prometheus, kube-state-metrics and node exporter: on premises the "
                "metrics backend (with Alertmanager and Grafana); on EKS the collector remote-writing to Amazon Managed Prometheus"
            ),
            exports=("kube-state-metrics", "node-exporter"),
            crds=_crds("monitoring.coreos.com/v1", "Alertmanager", "PodMonitor", "Probe", "Prometheus", "PrometheusRule", "ServiceMonitor", "ThanosRuler")
            | _crds("monitoring.coreos.com/v1alpha1", "AlertmanagerConfig", "PrometheusAgent", "ScrapeConfig"),
        ),
        Chart(
            # github.com/kubernetes/autoscaler tag cluster-autoscaler-chart-9.59.0,
            # cluster-autoscaler/charts/cluster-autoscaler (appVersion 1.35.0, image.tag v1.35.0: EKS 1.35,
            # in standard support until 2027-03-27 by the EKS version calendar; other minors set the module's
            # cluster_autoscaler_image_tag). No CRDs used; runs in kube-system (the core creates no namespace
            # there). AWS only.
            component="cluster-autoscaler",
            repository="https://kubernetes.github.io/autoscaler",
            chart="cluster-autoscaler",
            version="9.59.0",
            namespace="kube-system",
            why="adds EKS nodes while pods are Pending and removes idle ones (EKS managed node groups do not scale themselves); it manages the node groups tagged k8s.io/cluster-autoscaler/<cluster>",
        ),
    )
}

# Namespaces a chart's values place pods in besides its own (kube-prometheus-stack's node exporter).
EXTRA_NAMESPACES: dict[str, tuple[str, PodSecurity, str]] = {
    NODE_EXPORTER_NAMESPACE: (
        "kube-prometheus-stack",
        "privileged",
        "node exporter reads the host's /proc, /sys and root filesystem with hostNetwork and hostPID",
    ),
}


# What a provider's managed cluster brings itself, without a chart: CRDs its add-ons serve and
# metric exporters it runs. The kubelet's cAdvisor (container_* series) runs everywhere.
# GKE: managed collection of Managed Service for Prometheus (on by default on current GKE) serves
# monitoring.googleapis.com/v1 (cloud.google.com/stackdriver/docs/managed-prometheus/setup-managed).
# AKS: the Azure Monitor managed Prometheus add-on deploys PodMonitor and ServiceMonitor CRDs in the
# azmonitoring.coreos.com/v1 group (learn.microsoft.com/azure/azure-monitor/containers/prometheus-metrics-scrape-crd).
MANAGED_CRDS: dict[str, frozenset[tuple[str, str]]] = {
    "gcp": _crds("monitoring.googleapis.com/v1", "PodMonitoring", "ClusterPodMonitoring", "Rules", "ClusterRules", "GlobalRules", "OperatorConfig"),
    "azure": _crds("azmonitoring.coreos.com/v1", "PodMonitor", "ServiceMonitor"),
}
CLUSTER_EXPORTERS = ("kubelet",)  # every cluster: the kubelet's cAdvisor
# AKS: the metrics add-on runs its own kube-state-metrics (ama-metrics-ksm) and scrapes it by
# default (learn.microsoft.com/azure/azure-monitor/containers/prometheus-metrics-scrape-default), so
# the AKS platform installs no second one (its series would be counted twice).
MANAGED_EXPORTERS: dict[str, tuple[str, ...]] = {"azure": ("kube-state-metrics",)}


def chart(component: str) -> Chart:
    return CHARTS[component]


README_BEGIN = "<!-- platform charts: generated from synthdata_infra/components/platform/charts.py -->"
README_END = "<!-- end of platform charts -->"


def readme_table() -> str:
    """The README's "What the platform module installs" table, one row per chart of the table."""
    rows = ["| Component | Chart, version (repository) | Namespace | Pod Security | Why |", "| --- | --- | --- | --- | --- |"]
    for c in CHARTS.values():
        security = c.pod_security if c.pod_security == "restricted" else f"{c.pod_security}: {c.pod_security_reason}"
        rows.append(f"| {c.component} | `{c.chart}` {c.version} ({c.repository}) | `{c.namespace}` | {security} | {c.why} |")
    return "\n".join(rows)


def update_readme(text: str) -> str:
    """``text`` (README.md) with the part between the markers replaced by ``readme_table()``."""
    head, begin, rest = text.partition(README_BEGIN)
    _, end, tail = rest.partition(README_END)
    if not begin or not end:
        raise ValueError(f"README.md lacks the markers {README_BEGIN} ... {README_END}")
    return f"{head}{README_BEGIN}\n{readme_table()}\n{README_END}{tail}"


if __name__ == "__main__":  # python -m synthdata_infra.components.platform.charts: rewrite the README's table
    from pathlib import Path

    readme = Path(__file__).resolve().parents[3] / "README.md"
    readme.write_text(update_readme(readme.read_text(encoding="utf-8")), encoding="utf-8")
