"""The AWS monitoring stack: ``modules_out/aws/monitoring/``.

Amazon Managed Prometheus with the project's rule groups, an alert manager routing to an SNS
topic with the receivers the environment asks for (an email subscription, an AWS Chatbot Slack
channel), and Amazon Managed Grafana reading the workspace. The alert manager definition and
Grafana are each behind an input (default on).
"""

from __future__ import annotations

from synthdata_infra.catalog import aws_managed_policy_arn
from synthdata_infra.cdk import Construct, TerraformLocal, aws
from synthdata_infra.components.aws.aws_props import policy_document
from synthdata_infra.components.expressions import as_map, count_if, inner, named, stable_id
from synthdata_infra.naming import monitoring_workspace
from synthdata_infra.synth.shared_inputs import environment_input
from synthdata_infra.synth.module_stack import ModuleDoc, ModuleStack
from synthdata_infra.synth.grafana_module import unified_uid
from synthdata_infra.synth.monitoring_files import add_monitoring_files, data_types_variable

SNS_DEFAULT_KEY = "alias/aws/sns"
# Grafana role of the service account that imports the dashboards: Editor creates folders and dashboards
# and administers nothing (users, data sources, organisation settings stay out of reach).
GRAFANA_IMPORT_ROLE = "EDITOR"


def build(scope: Construct, stack_id: str, _config: None) -> ModuleStack:
    stack = ModuleStack(
        scope,
        stack_id,
        providers=("aws",),
        doc=ModuleDoc(
            label="monitoring",
            title="synthdata monitoring (AWS)",
            summary=(
                "Amazon Managed Prometheus workspace carrying the synthdata recording and alert rules "
                "(`rules/`, one rule group namespace per file, for the data types in `data_types`), an alert "
                "manager routing alerts to an encrypted SNS topic, and Amazon Managed Grafana with the workspace "
                "as data source. Receivers of the topic: an email subscription (`alert_email`) and an AWS Chatbot "
                "Slack channel configuration (`slack_channel`: authorise the Slack workspace once in the AWS "
                "Chatbot console; no webhook or token passes through Terraform; its guardrail `AWSDenyAll` lets the "
                "channel receive alerts and run nothing). With Grafana, a workspace service account (role Editor) and a "
                "token the caller mints for it (`aws_grafana_workspace_service_account_token` in the root: no secret "
                "leaves this module) let the companion module `../grafana` import the dashboards in `dashboards/` "
                "(configure its grafana provider with `grafana_url` and that token; see its README); `unified_dashboard_url` is then the "
                "unified dashboard's URL. Alert manager and Grafana can each be switched off. Amazon Managed Prometheus keeps "
                "samples 150 days; the module cannot change that."
            ),
            source="../../modules_out/aws/monitoring",
        ),
    )
    v = stack.variable
    environment = environment_input(stack, "Environment name; part of every resource name.")
    data_types_variable(stack)  # read by the rules files' count conditions as var.data_types
    alert_email = v("alert_email", type="string", description="Email address subscribed to alerts; null subscribes none.", default=None)
    slack_channel = v(
        "slack_channel",
        type="object({ workspace_id = string, channel_id = string })",
        description=(
            "Slack channel AWS Chatbot posts the alerts to (workspace = Slack team id T..., channel id C...); the workspace "
            "must be authorised in the AWS Chatbot console first. null creates no Slack receiver."
        ),
        default=None,
    )
    enable_alert_manager = v("enable_alert_manager", type="bool", description="Route alerts to the SNS topic.", default=True)
    enable_grafana = v(
        "enable_grafana",
        type="bool",
        description="Create an Amazon Managed Grafana workspace, and the service account the dashboards import (../grafana) uses.",
        default=True,
    )
    tags = v("tags", type="map(string)", description="Tags added to every resource.", default={})

    name = monitoring_workspace(environment)
    tags_local = named(TerraformLocal(stack, "tags", f'${{merge({inner(tags)}, {{"synthdata:environment" = {inner(environment)}}})}}'))
    all_tags = as_map(f"${{local.{stable_id(tags_local)}}}")
    caller = named(aws.data_aws_caller_identity.DataAwsCallerIdentity(stack, "caller"))
    region = named(aws.data_aws_region.DataAwsRegion(stack, "region"))
    partition = named(aws.data_aws_partition.DataAwsPartition(stack, "partition"))
    account_id = f"${{data.aws_caller_identity.{stable_id(caller)}.account_id}}"

    workspace = named(
        aws.prometheus_workspace.PrometheusWorkspace(stack, "prometheus", alias=name, tags=all_tags)
    )
    rules = add_monitoring_files(stack, "aws")
    namespaces = []
    for rules_file in rules:
        namespace = named(
            aws.prometheus_rule_group_namespace.PrometheusRuleGroupNamespace(
                stack,
                f"rules_{rules_file.stem}",
                name=rules_file.group,
                workspace_id=workspace.id,
                data=f'${{file("{rules_file.path()}")}}',
            )
        )
        namespace.add_override("count", f"${{{rules_file.condition} ? 1 : 0}}")
        namespaces.append(f"aws_prometheus_rule_group_namespace.{stable_id(namespace)}[*].name")

    topic = named(
        aws.sns_topic.SnsTopic(stack, "alerts", name=f"{name}-alerts", kms_master_key_id=SNS_DEFAULT_KEY, tags=all_tags)
    )
    named(
        aws.sns_topic_policy.SnsTopicPolicy(
            stack,
            "alerts_policy",
            arn=topic.arn,
            policy=policy_document(
                {
                    "Sid": "ManagedPrometheusPublishes",
                    "Effect": "Allow",
                    "Principal": {"Service": "aps.amazonaws.com"},
                    "Action": ["sns:Publish", "sns:GetTopicAttributes"],
                    "Resource": topic.arn,
                    "Condition": {
                        "StringEquals": {"aws:SourceAccount": account_id},
                        "ArnEquals": {"aws:SourceArn": workspace.arn},
                    },
                }
            ),
        )
    )
    subscription = named(
        aws.sns_topic_subscription.SnsTopicSubscription(
            stack, "alerts_email", topic_arn=topic.arn, protocol="email", endpoint=alert_email
        )
    )
    subscription.add_override("count", f"${{{inner(alert_email)} == null ? 0 : 1}}")

    slack_count = f"${{{inner(slack_channel)} == null ? 0 : 1}}"
    chatbot_role = named(
        aws.iam_role.IamRole(
            stack,
            "chatbot_role",
            name=f"{name}-chatbot",
            description="AWS Chatbot posts the synthdata alerts to Slack (no permissions: it only relays SNS messages)",
            assume_role_policy=policy_document(
                {"Effect": "Allow", "Principal": {"Service": "chatbot.amazonaws.com"}, "Action": "sts:AssumeRole"}
            ),
            tags=all_tags,
        )
    )
    chatbot_role.add_override("count", slack_count)
    slack = named(
        aws.chatbot_slack_channel_configuration.ChatbotSlackChannelConfiguration(
            stack,
            "alerts_slack",
            configuration_name=f"{name}-alerts",
            iam_role_arn=f"${{aws_iam_role.{stable_id(chatbot_role)}[0].arn}}",
            slack_team_id=f"${{{inner(slack_channel)}.workspace_id}}",
            slack_channel_id=f"${{{inner(slack_channel)}.channel_id}}",
            sns_topic_arns=[topic.arn],
            # Members of the channel can read alerts but run no AWS command from Slack.
            guardrail_policy_arns=[aws_managed_policy_arn("AWSDenyAll", f"${{data.aws_partition.{stable_id(partition)}.partition}}")],
            logging_level="ERROR",
            tags=all_tags,
        )
    )
    slack.add_override("count", slack_count)

    definition = named(
        aws.prometheus_alert_manager_definition.PrometheusAlertManagerDefinition(
            stack,
            "alert_manager",
            workspace_id=workspace.id,
            definition=(
                "alertmanager_config: |\n"
                "  route:\n"
                "    receiver: sns\n"
                "    group_by: [alertname, service]\n"
                "    group_wait: 30s\n"
                "    repeat_interval: 4h\n"
                "  receivers:\n"
                "    - name: sns\n"
                "      sns_configs:\n"
                f"        - topic_arn: {topic.arn}\n"
                "          sigv4:\n"
                f"            region: ${{data.aws_region.{stable_id(region)}.id}}\n"
            ),
        )
    )
    definition.add_override("count", count_if(enable_alert_manager))

    grafana_role = named(
        aws.iam_role.IamRole(
            stack,
            "grafana_role",
            name=f"{name}-grafana",
            description="Amazon Managed Grafana reads the synthdata Prometheus workspace",
            assume_role_policy=policy_document(
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "grafana.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                    "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
                }
            ),
            tags=all_tags,
        )
    )
    grafana_role.add_override("count", count_if(enable_grafana))
    role_ref = f"aws_iam_role.{stable_id(grafana_role)}[0]"
    query_access = named(
        aws.iam_role_policy_attachment.IamRolePolicyAttachment(
            stack,
            "grafana_query_access",
            role=f"${{{role_ref}.name}}",
            policy_arn=aws_managed_policy_arn("AmazonPrometheusQueryAccess", f"${{data.aws_partition.{stable_id(partition)}.partition}}"),
        )
    )
    query_access.add_override("count", count_if(enable_grafana))
    grafana = named(
        aws.grafana_workspace.GrafanaWorkspace(
            stack,
            "grafana",
            name=name,
            description="synthdata dashboards",
            account_access_type="CURRENT_ACCOUNT",
            authentication_providers=["AWS_SSO"],
            permission_type="CUSTOMER_MANAGED",
            role_arn=f"${{{role_ref}.arn}}",
            data_sources=["PROMETHEUS"],
            tags=all_tags,
        )
    )
    grafana.add_override("count", count_if(enable_grafana))
    grafana_ref = f"aws_grafana_workspace.{stable_id(grafana)}"
    # Workspace service accounts need Grafana 9 or later; CreateWorkspace without grafanaVersion creates the
    # latest version AWS offers (AWS SDK docs, CreateWorkspaceRequest.grafanaVersion).
    importer = named(
        aws.grafana_workspace_service_account.GrafanaWorkspaceServiceAccount(
            stack,
            "grafana_dashboards",
            name="synthdata-dashboards",
            grafana_role=GRAFANA_IMPORT_ROLE,
            workspace_id=f"${{{grafana_ref}[0].id}}",
        )
    )
    importer.add_override("count", count_if(enable_grafana))
    importer_ref = f"aws_grafana_workspace_service_account.{stable_id(importer)}"
    grafana_url = f'one([for endpoint in {grafana_ref}[*].endpoint : "https://${{endpoint}}"])'

    out = stack.output
    out("workspace_id", workspace.id, "Amazon Managed Prometheus workspace.")
    out("prometheus_endpoint", workspace.prometheus_endpoint, "Workspace endpoint (query and remote write share it).")
    out("remote_write_url", f"{workspace.prometheus_endpoint}api/v1/remote_write", "Where cluster Prometheus agents remote-write.")
    out("sns_topic_arn", topic.arn, "SNS topic receiving the alerts.")
    out(
        "slack_channel_configuration_arn",
        f"${{one(aws_chatbot_slack_channel_configuration.{stable_id(slack)}[*].chat_configuration_arn)}}",
        "AWS Chatbot Slack channel configuration relaying the topic; null when slack_channel is null.",
    )
    out("rule_group_namespaces", f"${{concat({', '.join(namespaces)})}}", "Rule group namespaces created for data_types.")
    out("grafana_endpoint", f"${{one({grafana_ref}[*].endpoint)}}", "Grafana workspace host name; null when enable_grafana is false.")
    out("grafana_url", f"${{{grafana_url}}}", "Grafana workspace URL (https://); null when enable_grafana is false. The grafana provider's url.")
    out("grafana_workspace_id", f"${{one({grafana_ref}[*].id)}}", "Grafana workspace id; null when enable_grafana is false.")
    out(
        "grafana_service_account_id",
        f"${{one({importer_ref}[*].service_account_id)}}",
        "Service account (Grafana role Editor) the dashboards import's token belongs to; null when enable_grafana is false.",
    )
    out(
        "unified_dashboard_url",
        f'${{one([for endpoint in {grafana_ref}[*].endpoint : "https://${{endpoint}}/d/{unified_uid("aws")}"])}}',
        "URL of the unified dashboard once ../grafana has imported it (the synthdata roots apply both); null when enable_grafana is false.",
    )
    out("data_types", f"${{var.data_types}}", "The data types monitored (the dashboards import takes the same).")
    stack.check_logical_ids()
    return stack
