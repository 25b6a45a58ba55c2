"""The on-premises monitoring stack: ``modules_out/onprem/monitoring/``.

For a cluster that runs the Prometheus operator and Grafana's dashboard sidecar: one
PrometheusRule per rules file, a ServiceMonitor for the generators' metrics ports, and every
dashboard as a ConfigMap labelled ``grafana_dashboard: "1"``. PrometheusRule and ServiceMonitor
are custom resources (``kubernetes_manifest`` needs the CRDs at plan time), behind ``enable_crds``.
"""

from __future__ import annotations

from synthdata_infra.cdk import Construct, kubernetes as k8s
from synthdata_infra.components.expressions import as_map, inner, named, stable_id
from synthdata_infra.config import data_types
from synthdata_infra.monitoring.dashboards import dashboard_files
from synthdata_infra.synth.module_stack import ModuleDoc, ModuleStack
from synthdata_infra.synth.monitoring_files import DASHBOARDS_DIR, add_monitoring_files, data_types_variable

DASHBOARD_LABEL = {"grafana_dashboard": "1"}  # what Grafana's dashboard sidecar watches for


def build(scope: Construct, stack_id: str, _config: None) -> ModuleStack:
    stack = ModuleStack(
        scope,
        stack_id,
        providers=("kubernetes",),
        doc=ModuleDoc(
            label="monitoring",
            title="synthdata monitoring (on-premises Kubernetes)",
            summary=(
                "For a cluster running the Prometheus operator and Grafana's dashboard sidecar: a PrometheusRule "
                "per rules file in `rules/` (for the data types in `data_types`), a ServiceMonitor scraping every "
                "synthdata generator's `metrics` port, and the dashboards in `dashboards/` as ConfigMaps labelled "
                '`grafana_dashboard: "1"`. PrometheusRule and ServiceMonitor need their CRDs at plan time: set '
                "`enable_crds = false` to plan without them."
            ),
            source="../../modules_out/onprem/monitoring",
        ),
    )
    v = stack.variable
    data_types_variable(stack)  # read by the rules files' count conditions as var.data_types
    namespace = v("namespace", type="string", description="Namespace of the PrometheusRules, ServiceMonitor and dashboards.", default="monitoring")
    enable_crds = v(
        "enable_crds",
        type="bool",
        description="Create the PrometheusRule and ServiceMonitor objects (their CRDs must exist at plan time).",
        default=True,
    )
    rule_labels = v(
        "rule_labels",
        type="map(string)",
        description="Labels the Prometheus operator's ruleSelector and serviceMonitorSelector match (kube-prometheus-stack's default shown).",
        default={"release": "kube-prometheus-stack"},
    )
    crds = inner(enable_crds)

    names = []
    for rules_file in add_monitoring_files(stack, "onprem"):
        rule = named(
            k8s.manifest.Manifest(
                stack,
                f"rules_{rules_file.stem}",
                manifest={
                    "apiVersion": "monitoring.coreos.com/v1",
                    "kind": "PrometheusRule",
                    "metadata": {"name": f"synthdata-{rules_file.stem.replace('_', '-')}", "namespace": namespace, "labels": as_map(rule_labels)},
                    "spec": f'${{yamldecode(file("{rules_file.path()}"))}}',
                },
            )
        )
        rule.add_override("count", f"${{{crds} && {rules_file.condition} ? 1 : 0}}")
        names.append(f"kubernetes_manifest.{stable_id(rule)}[*].manifest.metadata.name")

    monitor = named(
        k8s.manifest.Manifest(
            stack,
            "service_monitor",
            manifest={
                "apiVersion": "monitoring.coreos.com/v1",
                "kind": "ServiceMonitor",
                "metadata": {"name": "synthdata-generators", "namespace": namespace, "labels": as_map(rule_labels)},
                "spec": {
                    "namespaceSelector": {"any": True},
                    "selector": {
                        "matchExpressions": [
                            {
                                "key": "app.kubernetes.io/name",
                                "operator": "In",
                                "values": '${[for t in var.data_types : "synthdata-${replace(t, "_", "-")}"]}',
                            }
                        ]
                    },
                    "endpoints": [{"port": "metrics", "path": "/metrics", "interval": "30s"}],
                },
            },
        )
    )
    monitor.add_override("count", f"${{{crds} ? 1 : 0}}")

    config_maps = []
    for file_name in dashboard_files():
        board = file_name.removesuffix(".json")
        config_map = named(
            k8s.config_map_v1.ConfigMapV1(
                stack,
                f"dashboard_{board}",
                metadata=k8s.config_map_v1.ConfigMapV1Metadata(
                    name=f"synthdata-dashboard-{board.replace('_', '-')}", namespace=namespace, labels=DASHBOARD_LABEL
                ),
                data={file_name: f'${{file("${{path.module}}/{DASHBOARDS_DIR}/{file_name}")}}'},
            )
        )
        if board in data_types():
            config_map.add_override("count", f'${{contains(var.data_types, "{board}") ? 1 : 0}}')
            config_maps.append(f"kubernetes_config_map_v1.{stable_id(config_map)}[*].metadata[0].name")
        else:
            config_maps.append(f"[kubernetes_config_map_v1.{stable_id(config_map)}.metadata[0].name]")

    stack.output("prometheus_rule_names", f"${{concat({', '.join(names)})}}", "PrometheusRule objects created (empty when enable_crds is false).")
    stack.output("dashboard_config_maps", f"${{concat({', '.join(config_maps)})}}", "ConfigMaps holding the dashboards.")
    stack.check_logical_ids()
    return stack
