"""On premises: the platform's metrics backend is kube-prometheus-stack, in the namespace the
on-premises monitoring module puts its PrometheusRules, ServiceMonitor and dashboards in.

It brings kube-state-metrics (with the ServiceMonitor and honorLabels its rules expect), so the
core's own kube-state-metrics chart is left out (one, not two). The Prometheus selects every
ServiceMonitor, PodMonitor and PrometheusRule in the cluster (the workloads' ServiceMonitors
carry no release label), and the Alertmanager applies AlertmanagerConfigs to every alert, not
only to alerts from their own namespace (the synthdata alerts carry the services' namespaces).
"""

from __future__ import annotations

from synthdata_infra.components.platform.charts import CHARTS, NODE_EXPORTER_NAMESPACE

KUBE_PROMETHEUS_STACK = "kube-prometheus-stack"

# Keys checked against kube-prometheus-stack 88.5.3's values.yaml.
KUBE_PROMETHEUS_STACK_VALUES = {
    "prometheus": {
        "prometheusSpec": {
            "serviceMonitorSelectorNilUsesHelmValues": False,
            "podMonitorSelectorNilUsesHelmValues": False,
            "ruleSelectorNilUsesHelmValues": False,
        }
    },
    "alertmanager": {"alertmanagerSpec": {"alertmanagerConfigMatcherStrategy": {"type": "None"}}},
    # The node exporter needs the host (hostNetwork, hostPID, hostPath): its own privileged namespace.
    "prometheus-node-exporter": {"namespaceOverride": NODE_EXPORTER_NAMESPACE},
}

# The Prometheus service the chart creates: <fullname>-prometheus, fullname = the release name
# when it contains the chart name (templates/_helpers.tpl), port prometheus.service.port (9090).
PROMETHEUS_URL = f"http://{KUBE_PROMETHEUS_STACK}-prometheus.{CHARTS[KUBE_PROMETHEUS_STACK].namespace}.svc:9090"
