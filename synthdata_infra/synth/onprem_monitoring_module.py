"""The on-premises monitoring stack: ``modules_out/onprem/monitoring/``.

For a cluster that runs the Prometheus operator and Grafana's dashboard sidecar: one
PrometheusRule per rules file, a ServiceMonitor for the generators' metrics ports, an
AlertmanagerConfig routing the alerts to email and Slack receivers, and every dashboard as a
ConfigMap labelled ``grafana_dashboard: "1"``. PrometheusRule, ServiceMonitor and
AlertmanagerConfig are custom resources (``kubernetes_manifest`` needs the CRDs at plan time),
behind ``enable_crds``.
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
    enable_dashboards = v(
        "enable_dashboards",
        type="bool",
        description="Create the dashboard ConfigMaps Grafana's sidecar loads (false: no Grafana is fed).",
        default=True,
    )
    enable_alerts = v("enable_alerts", type="bool", description="Create the AlertmanagerConfig routing the alerts to the receivers.", default=True)
    alert_emails = v("alert_emails", type="list(string)", description="Email addresses the Alertmanager notifies of every alert.", default=[])
    slack_channel = v(
        "slack_channel",
        type="object({ channel = string, secret_name = string })",
        description=(
            "Slack channel (name without '#') notified of every alert; `secret_name` is a Secret in `namespace` whose key "
            "`url` holds the incoming-webhook URL. null creates no Slack receiver."
        ),
        default=None,
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

    receiver = "synthdata"
    alertmanager = named(
        k8s.manifest.Manifest(
            stack,
            "alertmanager_config",
            manifest={
                "apiVersion": "monitoring.coreos.com/v1alpha1",
                "kind": "AlertmanagerConfig",
                "metadata": {"name": "synthdata-alerts", "namespace": namespace, "labels": as_map(rule_labels)},
                "spec": {
                    "route": {"receiver": receiver, "groupBy": ["alertname", "service"], "groupWait": "30s", "repeatInterval": "4h"},
                    "receivers": [
                        {
                            "name": receiver,
                            "emailConfigs": f"${{[for address in {inner(alert_emails)} : {{ to = address, sendResolved = true }}]}}",
                            "slackConfigs": (
                                f"${{{inner(slack_channel)} == null ? [] : [{{ channel = \"#${{{inner(slack_channel)}.channel}}\", "
                                f"sendResolved = true, apiURL = {{ name = {inner(slack_channel)}.secret_name, key = \"url\" }} }}]}}"
                            ),
                        }
                    ],
                },
            },
        )
    )
    alertmanager.add_override(
        "count", f"${{{crds} && {inner(enable_alerts)} && (length({inner(alert_emails)}) > 0 || {inner(slack_channel)} != null) ? 1 : 0}}"
    )

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
        wanted = f'contains(var.data_types, "{board}")' if board in data_types() else "true"
        config_map.add_override("count", f"${{{inner(enable_dashboards)} && {wanted} ? 1 : 0}}")
        config_maps.append(f"kubernetes_config_map_v1.{stable_id(config_map)}[*].metadata[0].name")

    stack.output("prometheus_rule_names", f"${{concat({', '.join(names)})}}", "PrometheusRule objects created (empty when enable_crds is false).")
    stack.output(
        "alertmanager_config",
        f"${{one(kubernetes_manifest.{stable_id(alertmanager)}[*].manifest.metadata.name)}}",
        "AlertmanagerConfig routing the alerts; null when none is created.",
    )
    stack.output("dashboard_config_maps", f"${{concat({', '.join(config_maps)})}}", "ConfigMaps holding the dashboards.")
    stack.check_logical_ids()
    return stack
