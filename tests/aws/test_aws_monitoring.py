"""modules_out/aws/monitoring: apply, re-plan and destroy against moto (its terraform validate:
test_validate.py)."""

from __future__ import annotations

import json
import shutil

import boto3
import pytest

from tests.aws.conftest import terraform
from tests.aws.test_aws_modules import write_provider
from tests.conftest import REPO, TYPES

MODULE = REPO / "modules_out" / "aws" / "monitoring"


def write_monitoring_root(root, endpoint: str, **inputs: str) -> None:
    """A root calling a copy of the AWS monitoring module with ``inputs`` (HCL values), against moto."""
    shutil.copytree(MODULE, root / "module")
    write_provider(root, endpoint)
    lines = "".join(f"  {name} = {value}\n" for name, value in {"environment": '"test"', **inputs}.items())
    (root / "main.tf").write_text(f'module "monitoring" {{\n  source = "./module"\n{lines}}}\n\noutput "monitoring" {{\n  value = module.monitoring\n}}\n')


@pytest.mark.slow
def test_monitoring_applies_replans_clean_and_destroys(moto, terraform_env, tmp_path):
    # moto implements neither Managed Grafana nor the alert manager definition: both off,
    # every other input at its default.
    write_monitoring_root(tmp_path, moto, enable_grafana="false", enable_alert_manager="false")
    for step in (("init", "-input=false"), ("apply", "-auto-approve", "-input=false")):
        done = terraform(terraform_env, tmp_path, *step)
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr
    outputs = json.loads(terraform(terraform_env, tmp_path, "output", "-json").stdout)["monitoring"]["value"]

    amp = boto3.client("amp", endpoint_url=moto, region_name="us-east-1", aws_access_key_id="moto", aws_secret_access_key="moto")
    namespaces = amp.list_rule_groups_namespaces(workspaceId=outputs["workspace_id"])["ruleGroupsNamespaces"]
    expected = {"synthdata_recording", "synthdata_common", "synthdata_gpu"} | {
        f"synthdata_{kind}" for kind in TYPES
    }
    assert {n["name"] for n in namespaces} == expected == set(outputs["rule_group_namespaces"])
    stored = amp.describe_rule_groups_namespace(workspaceId=outputs["workspace_id"], name="synthdata_common")
    assert stored["ruleGroupsNamespace"]["data"].decode() == (MODULE / "rules" / "common.rules.yml").read_text()
    assert outputs["grafana_endpoint"] is None
    assert outputs["remote_write_url"].endswith("/api/v1/remote_write")

    plan = terraform(terraform_env, tmp_path, "plan", "-detailed-exitcode", "-input=false")
    assert plan.returncode == 0, "re-plan is not empty:\n" + plan.stdout[-4000:]
    destroy = terraform(terraform_env, tmp_path, "destroy", "-auto-approve", "-input=false")
    assert destroy.returncode == 0, destroy.stderr
    assert amp.list_workspaces()["workspaces"] == []


def test_slack_and_email_receivers_plan_when_asked(moto, terraform_env, tmp_path):
    """With both receivers given, Terraform plans the email subscription and the AWS Chatbot Slack
    channel on the alert topic (moto has no Chatbot API: planned, not applied)."""
    write_monitoring_root(
        tmp_path,
        moto,
        enable_grafana="false",
        alert_email='"oncall@example.com"',
        slack_channel='{ workspace_id = "T0000000000", channel_id = "C0000000001" }',
    )
    for step in (("init", "-input=false"), ("plan", "-input=false", "-out=plan.bin")):
        done = terraform(terraform_env, tmp_path, *step)
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr
    planned = json.loads(terraform(terraform_env, tmp_path, "show", "-json", "plan.bin").stdout)
    created = {change["address"]: change["change"]["after"] for change in planned["resource_changes"] if "create" in change["change"]["actions"]}
    email = created["module.monitoring.aws_sns_topic_subscription.alerts_email[0]"]
    assert (email["protocol"], email["endpoint"]) == ("email", "oncall@example.com")
    slack = created["module.monitoring.aws_chatbot_slack_channel_configuration.alerts_slack[0]"]
    assert (slack["slack_team_id"], slack["slack_channel_id"], slack["configuration_name"]) == ("T0000000000", "C0000000001", "synthdata-test-alerts")
    assert slack["guardrail_policy_arns"] == ["arn:aws:iam::aws:policy/AWSDenyAll"]
    assert "module.monitoring.aws_iam_role.chatbot_role[0]" in created
    assert "module.monitoring.aws_prometheus_alert_manager_definition.alert_manager[0]" in created


@pytest.mark.slow
def test_grafana_with_its_dashboards_service_account_plans(moto, terraform_env, tmp_path):
    """moto has no Managed Grafana, so the applies above keep it off: with enable_grafana at its
    default, Terraform (aws 5.100) plans the workspace, the Editor service account the dashboards
    import uses, and a token of it minted by the root as the synthdata roots do (the uid in the
    unified dashboard's URL is checked against dashboards/unified.json in
    tests/monitoring/test_grafana_dashboards.py)."""
    write_monitoring_root(tmp_path, moto, enable_alert_manager="false")
    with (tmp_path / "main.tf").open("a") as root:
        root.write(
            'resource "aws_grafana_workspace_service_account_token" "grafana_dashboards" {\n'
            '  name               = "synthdata-dashboards"\n'
            "  seconds_to_live    = 3600\n"
            "  service_account_id = module.monitoring.grafana_service_account_id\n"
            "  workspace_id       = module.monitoring.grafana_workspace_id\n"
            "}\n"
        )
    for step in (("init", "-input=false"), ("plan", "-input=false", "-out=plan.bin")):
        done = terraform(terraform_env, tmp_path, *step)
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr
    planned = json.loads(terraform(terraform_env, tmp_path, "show", "-json", "plan.bin").stdout)
    created = {change["address"]: change["change"]["after"] for change in planned["resource_changes"] if "create" in change["change"]["actions"]}
    assert "module.monitoring.aws_grafana_workspace.grafana[0]" in created
    account = created["module.monitoring.aws_grafana_workspace_service_account.grafana_dashboards[0]"]
    assert (account["grafana_role"], account["name"]) == ("EDITOR", "synthdata-dashboards")
    assert created["aws_grafana_workspace_service_account_token.grafana_dashboards"]["seconds_to_live"] == 3600
    uid = json.loads((MODULE / "dashboards" / "unified.json").read_text())["uid"]
    config = planned["configuration"]["root_module"]["module_calls"]["monitoring"]["module"]["outputs"]
    assert f"/d/{uid}" in json.dumps(config["unified_dashboard_url"])
