"""What a cloud's managed Prometheus scrapes in the platform: the exporters the platform installs
(DCGM exporter, kube-state-metrics), described once and written as each collector's own kind
(GKE ``PodMonitoring``, AKS ``PodMonitor``)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from synthdata_infra.components.platform.charts import CHARTS


class ScrapeTarget(BaseModel):
    """Pods of one exporter the platform installed: where they run and how they expose metrics."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str  # the exporter's component in CHARTS (its release), and the scrape object's name
    namespace: str
    match_labels: dict[str, str]  # selects the exporter's pods
    port: str  # the container port's name
    path: str = "/metrics"
    interval: str = "30s"
    # The exporter's own labels win over the target's: DCGM's namespace/pod name the GPU's consumer
    # pod (the scaling queries select on them), not the exporter's.
    honor_labels: bool = False


def _release(component: str) -> dict[str, str]:
    """The pod labels a chart's selector uses with the release named after its component (both
    charts' _helpers.tpl: app.kubernetes.io/name = chart name, app.kubernetes.io/instance = release)."""
    return {"app.kubernetes.io/name": CHARTS[component].chart, "app.kubernetes.io/instance": component}


# dcgm-exporter 4.8.2 templates/daemonset.yaml: container port "metrics" (9400).
DCGM = ScrapeTarget(
    name="dcgm-exporter", namespace=CHARTS["dcgm-exporter"].namespace, match_labels=_release("dcgm-exporter"), port="metrics", honor_labels=True
)
# kube-state-metrics chart: container port "http" (8080).
KUBE_STATE_METRICS = ScrapeTarget(
    name="kube-state-metrics", namespace=CHARTS["kube-state-metrics"].namespace, match_labels=_release("kube-state-metrics"), port="http", honor_labels=True
)

# keda 2.20.2 values.yaml: serviceAccount.operator.name (the operator's service account, which the
# cloud identities are federated to / bound with).
KEDA_OPERATOR_SERVICE_ACCOUNT = "keda-operator"


def after(resource: Any, release: Any) -> None:
    """Order a custom resource after the helm release that installs its CRD, operator or target."""
    resource.add_override("depends_on", [f"helm_release.{release.friendly_unique_id}"])


def order_after_releases(trigger_authentication: Any, monitors: dict[str, Any], releases: dict[str, Any]) -> None:
    """KEDA's ClusterTriggerAuthentication after KEDA, each exporter's scrape object after the exporter."""
    after(trigger_authentication, releases["keda"])
    for component, monitor in monitors.items():
        after(monitor, releases[component])
