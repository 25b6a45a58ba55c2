"""ScrapeTarget: the object the provider's metrics collector reads to scrape the generator's
``metrics`` port, of the kind ``kind`` names (null: none, e.g. on premises, where the monitoring
module's one ServiceMonitor covers every generator of the cluster).

- ``ServiceMonitor`` (monitoring.coreos.com/v1, prometheus-operator): selects the Service, port ``metrics``.
- ``PodMonitoring`` (monitoring.googleapis.com/v1, GKE managed collection): selects the pods.
- ``PodMonitor`` (azmonitoring.coreos.com/v1, the AKS metrics add-on ama-metrics): selects the pods.

Custom resources: one ``kubernetes_manifest`` per kind, created only for the kind asked for.
"""

from __future__ import annotations

from synthdata_infra.cdk import Construct, kubernetes as k8s
from synthdata_infra.components.expressions import inner, named
from synthdata_infra.components.workload_props import WorkloadObjectProps

METRICS_PATH = "/metrics"
SCRAPE_INTERVAL = "30s"
PORT_NAME = "metrics"  # the Service's and the container's metrics port


def _endpoint() -> dict[str, str]:
    return {"port": PORT_NAME, "path": METRICS_PATH, "interval": SCRAPE_INTERVAL}


# kind -> (apiVersion, construct id, the endpoints key of its spec)
KINDS = {
    "ServiceMonitor": ("monitoring.coreos.com/v1", "service_monitor", "endpoints"),
    "PodMonitoring": ("monitoring.googleapis.com/v1", "pod_monitoring", "endpoints"),
    "PodMonitor": ("azmonitoring.coreos.com/v1", "pod_monitor", "podMetricsEndpoints"),
}


class ScrapeTargetProps(WorkloadObjectProps):
    kind: str  # string-or-null expression: one of KINDS


class ScrapeTarget(Construct):
    def __init__(self, scope: Construct, construct_id: str, props: ScrapeTargetProps) -> None:
        super().__init__(scope, construct_id)
        kind = inner(props.kind)
        for name, (api_version, construct, endpoints) in KINDS.items():
            created = named(
                k8s.manifest.Manifest(
                    self,
                    construct,
                    manifest={
                        "apiVersion": api_version,
                        "kind": name,
                        "metadata": {"name": props.name, "namespace": props.namespace, "labels": props.object_labels},
                        "spec": {"selector": {"matchLabels": props.selector_labels}, endpoints: [_endpoint()]},
                    },
                )
            )
            created.add_override("count", f'${{{kind} == "{name}" ? 1 : 0}}')
