"""The Azure monitoring stack: ``modules_out/azure/monitoring/``.

An Azure Monitor workspace (managed Prometheus) carrying the synthdata rules as Prometheus rule
groups, one per group of ``rule_groups()``, created only when the group is deployed for
``var.data_types``; an action group every alert notifies (email per address, optional webhook);
and Azure Managed Grafana reading the workspace through its system-assigned identity.
"""

from __future__ import annotations


from synthdata_infra.cdk import Construct, TerraformLocal, azurerm
from synthdata_infra.components.expressions import as_any, as_map, count_if, inner, named, stable_id, terraform_literal
from synthdata_infra.monitoring.rules import rule_groups
from synthdata_infra.naming import monitoring_workspace
from synthdata_infra.patterns import EMAIL_RULE, hcl_regex
from synthdata_infra.quantities import duration_seconds
from synthdata_infra.synth.shared_inputs import environment_input
from synthdata_infra.synth.module_stack import ModuleDoc, ModuleStack
from synthdata_infra.synth.grafana_module import unified_uid
from synthdata_infra.synth.monitoring_files import RULES_DIR, add_monitoring_files, data_types_variable

# Rule label -> Azure alert severity (0 Critical, 1 Error, 2 Warning, 3 Informational, 4 Verbose).
# Sev0 stays free for platform-wide outages: a synthdata `critical` alert concerns one service's
# output (privacy, PII, resources) and pages as Sev1; `warning` is Azure's Warning.
SEVERITIES = {"critical": 1, "warning": 2}
# Prometheus evaluates a group without an interval every minute (its default); Azure needs it explicit.
DEFAULT_INTERVAL = "1m"
# A fired alert resolves itself after its condition has held false this long (Azure allows 1 to 15 minutes).
TIME_TO_RESOLVE = "PT10M"
MONITORING_DATA_READER = "Monitoring Data Reader"  # built-in role: query an Azure Monitor workspace
# Built-in role of the identity that imports the dashboards (../grafana): create folders and dashboards,
# administer nothing (https://learn.microsoft.com/azure/managed-grafana/how-to-manage-access-permissions-users-identities).
GRAFANA_EDITOR = "Grafana Editor"
# azurerm 4.55 (the oldest provider in range) accepts "10" and "11", and Azure creates 11 only; later
# 4.x releases move the accepted pair forward ("11"/"12", then "12"/"13").
GRAFANA_MAJOR_VERSION = "11"



def build(scope: Construct, stack_id: str, _config: None) -> ModuleStack:
    stack = ModuleStack(
        scope,
        stack_id,
        providers=("azurerm",),
        doc=ModuleDoc(
            label="monitoring",
            title="synthdata monitoring (Azure)",
            summary=_summary(),
            source="../../modules_out/azure/monitoring",
        ),
    )
    v = stack.variable
    resource_group_name = v(
        "resource_group_name",
        type="string",
        description="Existing resource group of the workspace, rule groups, action group and Grafana.",
        example='"rg-synthdata-production"',
    )
    location = v("location", type="string", description="Azure region of the workspace, rule groups and Grafana.", example='"westeurope"')
    environment = environment_input(stack)
    data_types_variable(stack)  # read by the rules files' count conditions as var.data_types
    alert_emails = v(
        "alert_emails",
        type="list(string)",
        description="Email addresses the action group notifies of every alert.",
        default=[],
        validation=[
            {
                "condition": f'${{alltrue([for email in var.alert_emails : can(regex({hcl_regex(EMAIL_RULE)}, email))])}}',
                "error_message": "alert_emails must hold email addresses.",
            }
        ],
    )
    webhook_url = v(
        "webhook_url",
        type="string",
        description=(
            "HTTPS endpoint the action group also calls with the common alert schema; null calls none. The URL is "
            "stored in Terraform state: leave it null when it embeds a secret and add that receiver out of band."
        ),
        default=None,
        validation=[
            {
                "condition": '${var.webhook_url == null || can(regex("^https://", var.webhook_url))}',
                "error_message": "webhook_url must be an https:// URL (or null).",
            }
        ],
    )
    slack_webhook = v(
        "slack_webhook",
        type="object({ key_vault_id = string, secret_name = string })",
        description=(
            "Key Vault secret holding the URL of the Slack webhook the action group also calls (a Slack Workflow Builder "
            "webhook trigger or a relay that posts the common alert schema to Slack; a plain incoming webhook rejects "
            "that schema). The URL never appears in the configuration. null creates no Slack receiver."
        ),
        default=None,
    )
    enable_alerts = v(
        "enable_alerts",
        type="bool",
        description="Enable the alert rules (false keeps them, switched off; recording rules stay on for autoscaling).",
        default=True,
    )
    cluster_name = v(
        "cluster_name",
        type="string",
        description="AKS cluster whose metrics the rule groups evaluate; null evaluates every cluster writing to the workspace.",
        default=None,
    )
    public_network_access = v(
        "public_network_access_enabled",
        type="bool",
        description=(
            "Keep the public endpoints of the workspace and Grafana; false leaves private access only (ingestion "
            "through a private link scope, Grafana through a private endpoint), which the caller provides."
        ),
        default=True,
    )
    enable_grafana = v("enable_grafana", type="bool", description="Create Azure Managed Grafana reading the workspace.", default=True)
    grafana_major_version = v(
        "grafana_major_version",
        type="string",
        description=(
            "Grafana major version of the managed Grafana. azurerm 4.55 accepts 10 and 11 (Azure creates 11 only); "
            "newer azurerm 4.x releases accept only the versions Azure offers then (e.g. 12 and 13)."
        ),
        default=GRAFANA_MAJOR_VERSION,
    )
    grafana_editor = v(
        "grafana_editor_principal_id",
        type="string",
        description=(
            "Object id of the identity that imports the dashboards (../grafana, with a Microsoft Entra token in GRAFANA_AUTH); "
            "it gets Grafana Editor on the Grafana. null: the identity running Terraform."
        ),
        default=None,
    )
    tags = v("tags", type="map(string)", description="Tags added to every resource.", default={})

    name = monitoring_workspace(environment)
    tags_local = named(TerraformLocal(stack, "tags", f'${{merge({inner(tags)}, {{"synthdata:environment" = {inner(environment)}}})}}'))
    all_tags = as_map(f"${{local.{stable_id(tags_local)}}}")

    workspace = named(
        azurerm.monitor_workspace.MonitorWorkspace(
            stack,
            "workspace",
            name=name,
            resource_group_name=resource_group_name,
            location=location,
            public_network_access_enabled=as_any(public_network_access),
            tags=all_tags,
        )
    )

    action_group = named(
        azurerm.monitor_action_group.MonitorActionGroup(
            stack,
            "alerts",
            name=f"{name}-alerts",
            resource_group_name=resource_group_name,
            short_name=f"sd{environment}",  # at most 12 characters: environment has at most 10
            tags=all_tags,
        )
    )
    # Receivers are nested blocks: Terraform builds a variable number of them only with `dynamic` (a
    # `for` expression cannot stand for blocks in JSON: "Either a JSON object or a JSON array is required").
    action_group.add_override(
        "dynamic.email_receiver",
        {
            "for_each": alert_emails,
            "content": {
                "name": "email-${email_receiver.key}",
                "email_address": "${email_receiver.value}",
                "use_common_alert_schema": True,
            },
        },
    )
    slack_url = named(
        azurerm.data_azurerm_key_vault_secret.DataAzurermKeyVaultSecret(
            stack, "slack_webhook", key_vault_id=f"${{{inner(slack_webhook)}.key_vault_id}}", name=f"${{{inner(slack_webhook)}.secret_name}}"
        )
    )
    slack_url.add_override("count", f"${{{inner(slack_webhook)} == null ? 0 : 1}}")
    # for_each holds the receivers' names only: a sensitive value (the Slack URL) cannot decide how many blocks exist.
    action_group.add_override(
        "dynamic.webhook_receiver",
        {
            "for_each": f'${{concat({inner(webhook_url)} == null ? [] : ["webhook"], {inner(slack_webhook)} == null ? [] : ["slack"])}}',
            "content": {
                "name": "${webhook_receiver.value}",
                "service_uri": (
                    f'${{webhook_receiver.value == "slack" ? data.azurerm_key_vault_secret.{stable_id(slack_url)}[0].value : {inner(webhook_url)}}}'
                ),
                "use_common_alert_schema": True,
            },
        },
    )

    rules_files = {rules_file.group: rules_file for rules_file in add_monitoring_files(stack, "azure")}
    rule_group_names = []
    for group in rule_groups():
        rules_file = rules_files[group["name"]]
        rule_group = named(
            azurerm.monitor_alert_prometheus_rule_group.MonitorAlertPrometheusRuleGroup(
                stack,
                f"rules_{rules_file.stem}",
                name=f"{group['name']}-{environment}",
                resource_group_name=resource_group_name,
                location=location,
                description=f"synthdata Prometheus rule group {group['name']} ({RULES_DIR}/{rules_file.name}).",
                scopes=[workspace.id],
                cluster_name=cluster_name,
                interval=iso_duration(group.get("interval", DEFAULT_INTERVAL)),
                # azurerm sends an unset flag as false, which would create the group disabled.
                rule_group_enabled=True,
                rule=[_rule(rule, action_group.id, enable_alerts) for rule in group["rules"]],
                tags=all_tags,
            )
        )
        rule_group.add_override("count", f"${{{rules_file.condition} ? 1 : 0}}")
        rule_group_names.append(f"azurerm_monitor_alert_prometheus_rule_group.{stable_id(rule_group)}[*].name")

    dg = azurerm.dashboard_grafana
    grafana = named(
        dg.DashboardGrafana(
            stack,
            "grafana",
            name=name,
            resource_group_name=resource_group_name,
            location=location,
            grafana_major_version=grafana_major_version,
            identity=dg.DashboardGrafanaIdentity(type="SystemAssigned"),
            azure_monitor_workspace_integrations=[dg.DashboardGrafanaAzureMonitorWorkspaceIntegrations(resource_id=workspace.id)],
            public_network_access_enabled=as_any(public_network_access),
            tags=all_tags,
        )
    )
    grafana.add_override("count", count_if(enable_grafana))
    grafana_ref = f"azurerm_dashboard_grafana.{stable_id(grafana)}"
    reader = named(
        azurerm.role_assignment.RoleAssignment(
            stack,
            "grafana_reads_workspace",
            scope=workspace.id,
            role_definition_name=MONITORING_DATA_READER,
            principal_id=f"${{{grafana_ref}[0].identity[0].principal_id}}",
            principal_type="ServicePrincipal",
        )
    )
    reader.add_override("count", count_if(enable_grafana))
    client = named(azurerm.data_azurerm_client_config.DataAzurermClientConfig(stack, "current"))
    editor = named(
        azurerm.role_assignment.RoleAssignment(
            stack,
            "grafana_dashboards_editor",
            scope=f"${{{grafana_ref}[0].id}}",
            role_definition_name=GRAFANA_EDITOR,
            principal_id=f"${{coalesce({inner(grafana_editor)}, data.azurerm_client_config.{stable_id(client)}.object_id)}}",
        )
    )
    editor.add_override("count", count_if(enable_grafana))
    endpoints = f"{grafana_ref}[*].endpoint"
    url_of = 'startswith(endpoint, "https://") ? trimsuffix(endpoint, "/") : "https://${endpoint}"'
    grafana_url = f"one([for endpoint in {endpoints} : {url_of}])"

    out = stack.output
    out("workspace_id", workspace.id, "Azure Monitor workspace; point the AKS cluster's managed Prometheus (metrics add-on) at it.")
    out("query_endpoint", workspace.query_endpoint, "Prometheus query endpoint of the workspace.")
    out("action_group_id", action_group.id, "Action group every alert rule notifies.")
    out("rule_group_names", f"${{concat({', '.join(rule_group_names)})}}", "Prometheus rule groups created for data_types.")
    out("grafana_endpoint", f"${{one({grafana_ref}[*].endpoint)}}", "URL of the managed Grafana; null when enable_grafana is false.")
    out("grafana_url", f"${{{grafana_url}}}", "URL of the managed Grafana (https://, no trailing slash): the grafana provider's url; null when enable_grafana is false.")
    out(
        "unified_dashboard_url",
        f'${{one([for endpoint in {endpoints} : "${{{url_of}}}/d/{unified_uid("azure")}"])}}',
        "URL of the unified dashboard once ../grafana has imported it (the synthdata roots apply both); null when enable_grafana is false.",
    )
    out("data_types", "${var.data_types}", "The data types monitored (the dashboards import takes the same).")
    stack.check_logical_ids()
    return stack


def _rule(rule: dict, action_group_id: str, enable_alerts: str):
    """One rule block. azurerm sends an unset `enabled` as false, so every rule sets it; a recording
    rule must not carry the alert-only fields (the provider refuses them)."""
    pr = azurerm.monitor_alert_prometheus_rule_group
    if "record" in rule:
        return pr.MonitorAlertPrometheusRuleGroupRule(record=rule["record"], expression=terraform_literal(rule["expr"]), enabled=True)
    return pr.MonitorAlertPrometheusRuleGroupRule(
        alert=rule["alert"],
        expression=terraform_literal(rule["expr"]),
        for_=iso_duration(rule["for"]),
        severity=SEVERITIES[rule["labels"]["severity"]],
        labels={key: terraform_literal(value) for key, value in rule["labels"].items()},
        # Azure renders the same Go templates ({{ $labels.x }}, {{ $value }}) as Prometheus.
        annotations={key: terraform_literal(value) for key, value in rule["annotations"].items()},
        enabled=as_any(enable_alerts),
        action=[pr.MonitorAlertPrometheusRuleGroupRuleAction(action_group_id=action_group_id)],
        alert_resolution=pr.MonitorAlertPrometheusRuleGroupRuleAlertResolution(auto_resolved=True, time_to_resolve=TIME_TO_RESOLVE),
    )


def iso_duration(duration: str) -> str:
    """A Prometheus duration (``10m``, ``1h30m``, ``0m``) in ISO 8601 (``PT10M``, ``PT1H30M``, ``PT0M``)."""
    hours, rest = divmod(duration_seconds(duration), 3600)
    minutes, seconds = divmod(rest, 60)
    text = (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes else "") + (f"{seconds}S" if seconds else "")
    return f"PT{text or '0M'}"


def _summary() -> str:
    return (
        "An Azure Monitor workspace (managed Prometheus) with the synthdata recording and alert rules: one Prometheus "
        "rule group per file in `rules/`, created for the data types in `data_types` (the GPU group only when a GPU "
        "type is deployed), evaluated every minute for `cluster_name` (null: every cluster writing to the workspace). "
        "Alert rules keep their PromQL, their `for` (as ISO 8601, `0m` -> `PT0M`), labels and annotations (Azure "
        "renders the same `{{ $labels.x }}` templates as Prometheus), resolve themselves 10 minutes after their "
        "condition clears, and notify one action group: an email receiver per address in `alert_emails` and, when "
        "`webhook_url` is set, a webhook receiver, and when `slack_webhook` is set, a webhook receiver whose URL is read "
        "from Key Vault. `enable_alerts = false` switches the alert rules off (recording rules stay). Severity: `critical` -> Sev1 (Error), `warning` -> Sev2 (Warning); "
        "Sev0 is left to platform-wide outages. The Azure Monitor workspace keeps samples 18 months.\n\n"
        "The webhook URL is stored in Terraform state. Some services put a secret in it (Slack, Teams, PagerDuty "
        "integration keys): leave `webhook_url` null for those and add the receiver to the action group outside "
        "Terraform (portal or `az monitor action-group update --add-action webhook ...`).\n\n"
        "Azure Managed Grafana (`enable_grafana`, default on) gets a system-assigned identity holding `Monitoring "
        "Data Reader` on the workspace, which it has as its Azure Monitor workspace integration (a Prometheus data "
        "source). The companion module `../grafana` imports the dashboards in `dashboards/` (their data source is a "
        "dashboard variable) with a Microsoft Entra token of the identity `grafana_editor_principal_id` (default: the "
        "one running Terraform), which gets `Grafana Editor` on the Grafana; `unified_dashboard_url` is then the "
        "unified dashboard's URL. Users need a Grafana role (`Grafana Admin`, `Grafana Editor` or `Grafana Viewer`) on the Grafana resource, "
        "granted outside this module.\n\n"
        "Metrics reach the workspace from AKS's managed Prometheus (the Azure Monitor metrics add-on, `ama-metrics`) "
        "pointed at `workspace_id`. It scrapes the generators' `prometheus.io/scrape` pod annotations only in the "
        "namespaces matched by `podannotationnamespaceregex` in its `ama-metrics-settings-configmap` (kube-system); "
        "its collectors run in `kube-system`, which the workload modules' network policy must let scrape (their "
        "`monitoring_namespace`).\n\n"
        "The `hashicorp/azurerm` provider is not on this machine's offline provider mirror, so this module is not "
        "`terraform validate`d or applied here: the tests check the synthesized JSON and checkov, and evaluate with "
        "Terraform (no provider needed) the inputs' validations, every rule group's count and the receivers."
    )
