"""The GCP monitoring stack: ``modules_out/gcp/monitoring/``.

Cloud Monitoring alert policies for Google Cloud Managed Service for Prometheus: one policy
per alerting rule of ``rule_groups()``, with the rule's PromQL as its condition, created only
when the rule's group is deployed for ``var.data_types``. Email notification channels come
from an input; a Slack channel takes its bot token from a Secret Manager secret named by an
input (the token never appears in the configuration). Recording rules are no alert policies: they ship in ``rules/``
for Managed Service for Prometheus' rule evaluator.
"""

from __future__ import annotations

import re

from synthdata_infra.cdk import Construct, TerraformLocal, Token, google
from synthdata_infra.components.expressions import as_any, as_map, inner, merged_map, named, stable_id, terraform_literal
from synthdata_infra.monitoring.rules import rule_groups
from synthdata_infra.patterns import EMAIL_RULE, GCP_PROJECT_ID_RULE, hcl_regex
from synthdata_infra.quantities import duration_seconds
from synthdata_infra.synth.shared_inputs import environment_input
from synthdata_infra.synth.module_stack import ModuleDoc, ModuleStack
from synthdata_infra.synth.monitoring_files import RULES_DIR, add_monitoring_files, data_types_variable

# Alert rule groups carry no interval, so Prometheus evaluates them every minute (its default).
EVALUATION_INTERVAL = "60s"
SEVERITIES = {"warning": "WARNING", "critical": "CRITICAL"}  # rule label -> alert policy severity
CHANNEL_NAME_RULE = "^projects/[^/]+/notificationChannels/[^/]+$"

# Prometheus' Go templates -> Cloud Monitoring documentation variables, as `gcloud monitoring
# policies migrate` translates them. `$labels.<name>` may be a metric label or one of the
# prometheus_target resource labels (namespace, job, cluster, ...), hence metric_or_resource.
# Cloud Monitoring has no formatting functions: printf/humanize* of `$value` are dropped.
_LABEL_TEMPLATE = re.compile(r"\{\{\s*(?:humanize\s+)?\$labels\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
_VALUE_TEMPLATE = re.compile(r"\{\{[^{}]*\$value[^{}]*\}\}")


def build(scope: Construct, stack_id: str, _config: None) -> ModuleStack:
    stack = ModuleStack(
        scope,
        stack_id,
        providers=("google",),
        doc=ModuleDoc(
            label="monitoring",
            title="synthdata monitoring (GCP)",
            summary=_summary(),
            source="../../modules_out/gcp/monitoring",
        ),
    )
    v = stack.variable
    project_id = v(
        "project_id",
        type="string",
        description="Project whose Cloud Monitoring holds the alert policies and notification channels (the metrics scoping project).",
        example='"synthdata-prod"',
        validation=[
            {
                "condition": f'${{can(regex({hcl_regex(GCP_PROJECT_ID_RULE)}, var.project_id))}}',
                "error_message": "project_id must be a Google Cloud project id (6-30 lower-case letters, digits and '-').",
            }
        ],
    )
    environment = environment_input(stack, "Environment name; part of every display name and label.")
    data_types_variable(stack)  # read by the rules files' count conditions as var.data_types
    alert_emails = v(
        "alert_emails",
        type="list(string)",
        description="Email addresses notified of every alert; one email notification channel is created per address.",
        default=[],
        validation=[
            {
                "condition": f'${{alltrue([for email in var.alert_emails : can(regex({hcl_regex(EMAIL_RULE)}, email))])}}',
                "error_message": "alert_emails must hold email addresses.",
            }
        ],
    )
    channel_ids = v(
        "notification_channel_ids",
        type="list(string)",
        description=(
            "Existing notification channels also notified, as projects/<project>/notificationChannels/<id> (e.g. a Slack "
            "channel authorised in the console: its OAuth token stays out of Terraform)."
        ),
        default=[],
        validation=[
            {
                "condition": f'${{alltrue([for id in var.notification_channel_ids : can(regex("{CHANNEL_NAME_RULE}", id))])}}',
                "error_message": "notification_channel_ids must be notification channel names: projects/<project>/notificationChannels/<id>.",
            }
        ],
    )
    slack_channel = v(
        "slack_channel",
        type="object({ channel = string, token_secret = string })",
        description=(
            "Slack channel notified of every alert: `channel` is its name without '#', `token_secret` the Secret Manager "
            "secret (id in project_id) whose latest version holds the Slack app's bot token (xoxb-...). null creates none."
        ),
        default=None,
    )
    labels = v("labels", type="map(string)", description="Labels added to every alert policy and notification channel.", default={})
    enabled = v("enabled", type="bool", description="Enable the alert policies (false keeps them, switched off).", default=True)

    common_labels = _local(stack, "labels", f'${{merge({inner(labels)}, {{"synthdata-environment" = {inner(environment)}}})}}')

    email = named(
        google.monitoring_notification_channel.MonitoringNotificationChannel(
            stack,
            "email",
            project=project_id,
            type="email",
            display_name=f"synthdata {environment} alerts: ${{var.alert_emails[count.index]}}",
            description="Receives the synthdata alerts.",
            labels={"email_address": "${var.alert_emails[count.index]}"},
            user_labels=as_map(common_labels),
            # Policies still referencing a removed address drop it instead of failing the delete.
            force_delete=True,
        )
    )
    email.add_override("count", f"${{length({inner(alert_emails)})}}")
    slack_count = f"${{{inner(slack_channel)} == null ? 0 : 1}}"
    token = named(
        google.data_google_secret_manager_secret_version.DataGoogleSecretManagerSecretVersion(
            stack, "slack_token", project=project_id, secret=f"${{{inner(slack_channel)}.token_secret}}"
        )
    )
    token.add_override("count", slack_count)
    slack = named(
        google.monitoring_notification_channel.MonitoringNotificationChannel(
            stack,
            "slack",
            project=project_id,
            type="slack",
            display_name=f"synthdata {environment} alerts: Slack #${{{inner(slack_channel)}.channel}}",
            description="Receives the synthdata alerts.",
            labels={"channel_name": f"#${{{inner(slack_channel)}.channel}}"},
            sensitive_labels=google.monitoring_notification_channel.MonitoringNotificationChannelSensitiveLabels(
                auth_token=f"${{data.google_secret_manager_secret_version.{stable_id(token)}[0].secret_data}}"
            ),
            user_labels=as_map(common_labels),
            force_delete=True,
        )
    )
    slack.add_override("count", slack_count)
    channels = _local(
        stack,
        "notification_channels",
        f"${{concat(google_monitoring_notification_channel.{stable_id(email)}[*].name, "
        f"google_monitoring_notification_channel.{stable_id(slack)}[*].name, {inner(channel_ids)})}}",
    )

    ap = google.monitoring_alert_policy
    rules_files = {rules_file.group: rules_file for rules_file in add_monitoring_files(stack, "gcp")}
    policies = []
    for group in rule_groups():
        group_name = group["name"]
        for rule in group["rules"]:
            if "alert" not in rule:
                continue  # recording rules run in a rule evaluator, not in Cloud Monitoring
            alert, annotations = rule["alert"], rule["annotations"]
            policy = named(
                ap.MonitoringAlertPolicy(
                    stack,
                    f"alert_{_snake(alert)}",
                    project=project_id,
                    display_name=f"synthdata {environment}: {alert}",
                    combiner="OR",
                    enabled=as_any(enabled),
                    severity=SEVERITIES[rule["labels"]["severity"]],
                    conditions=[
                        ap.MonitoringAlertPolicyConditions(
                            display_name=alert,
                            condition_prometheus_query_language=ap.MonitoringAlertPolicyConditionsConditionPrometheusQueryLanguage(
                                query=terraform_literal(rule["expr"]),
                                duration=f"{duration_seconds(rule['for'])}s",
                                evaluation_interval=EVALUATION_INTERVAL,
                                alert_rule=alert,
                                rule_group=group_name,
                                labels=dict(rule["labels"]),
                                # The metrics exist once the generators run; policies come first.
                                disable_metric_validation=True,
                            ),
                        )
                    ],
                    documentation=ap.MonitoringAlertPolicyDocumentation(
                        subject=f"[{environment}] " + terraform_literal(documentation_text(annotations["summary"])),
                        content=terraform_literal(
                            f"{documentation_text(annotations['description'])}\n\n"
                            f"Rule `{alert}` of group `{group_name}` ({RULES_DIR}/{rules_files[group_name].name}).\n\n"
                            f"Runbook: {annotations['runbook_url']}"
                        ),
                        mime_type="text/markdown",
                        links=[ap.MonitoringAlertPolicyDocumentationLinks(display_name="Runbook", url=annotations["runbook_url"])],
                    ),
                    notification_channels=Token.as_list(channels),
                    user_labels=merged_map(common_labels, {"synthdata-data-type": rules_files[group_name].stem}),
                )
            )
            policy.add_override("count", f"${{{rules_files[group_name].condition} ? 1 : 0}}")
            policies.append(f"google_monitoring_alert_policy.{stable_id(policy)}[*].name")

    out = stack.output
    out("alert_policy_names", f"${{concat({', '.join(policies)})}}", "Alert policies created for data_types (projects/<project>/alertPolicies/<id>).")
    out("notification_channel_ids", channels, "Notification channels every alert policy notifies: the email channels, then notification_channel_ids.")
    stack.check_logical_ids()
    return stack


def documentation_text(template: str) -> str:
    """A Prometheus annotation template as Cloud Monitoring documentation text."""
    text = _VALUE_TEMPLATE.sub("${metric.label.value}", _LABEL_TEMPLATE.sub(r"${metric_or_resource.label.\1}", template))
    if "{{" in text:
        raise ValueError(f"annotation {template!r} uses a template construct Cloud Monitoring cannot render")
    return text


def _snake(name: str) -> str:
    """``GPUMemoryPressure`` -> ``gpu_memory_pressure``."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", name).lower()


def _local(stack: ModuleStack, name: str, expression: str) -> str:
    return f"${{local.{stable_id(named(TerraformLocal(stack, name, expression)))}}}"


def _summary() -> str:
    return (
        "Cloud Monitoring alert policies for Google Cloud Managed Service for Prometheus: one policy per synthdata "
        "alerting rule (PromQL condition with the rule's query, `for` duration, rule group and severity; documentation "
        "with the rule's summary, description and runbook), created for the data types in `data_types` (the GPU alert "
        "only when a GPU type is deployed). Every policy notifies one email channel per address in `alert_emails`, a Slack "
        "channel when `slack_channel` is set, and the existing channels in `notification_channel_ids`.\n\n"
        "The Slack channel's bot token is read from Secret Manager (`slack_channel.token_secret`, latest version): no "
        "secret value is written in the configuration, though, as for every secret a resource needs, Terraform keeps it "
        "in state (keep state encrypted and access-controlled). Other channels holding a secret can be authorised in "
        "the console and passed by name, `projects/<project>/notificationChannels/<id>`, in `notification_channel_ids`."
        " Google Cloud Managed Service for Prometheus keeps samples 24 months; this module creates no Grafana.\n\n"
        "GKE's managed collection must be on (Managed Service for Prometheus) so the generators' metrics reach Cloud "
        "Monitoring. The recording rules in `rules/` are not alert policies: deploy them with Managed Service for "
        "Prometheus' rule evaluator (a `Rules`/`ClusterRules` resource) or a self-deployed evaluator; the GPU alert "
        "and the autoscaling signals read their results. The dashboards in `dashboards/*.json` import into Grafana "
        "with the Managed Prometheus data source (the data source is a dashboard variable), or into Cloud Monitoring "
        "through its Grafana-JSON import.\n\n"
        "The `hashicorp/google` provider is not on this machine's offline provider mirror, so this module is not "
        "`terraform validate`d or applied here: the tests check the synthesized JSON and checkov, and evaluate with "
        "Terraform (no provider needed) the inputs' validations, every policy's count and the documentation strings."
    )
