"""monitoring.alerts: every provider's monitoring root passes the receivers the environment asks
for, and every provider's monitoring module turns them into an email and a Slack receiver.

The AWS module is planned by Terraform (tests/aws/test_aws_monitoring.py); the others are checked
as JSON here, the on-premises AlertmanagerConfig's receivers evaluated by Terraform itself (no
provider needed).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest

from synthdata_infra import providers
from synthdata_infra.config import load_environment, resolve
from synthdata_infra.deploy.plan import Target, monitoring_settings, plan_service
from synthdata_infra.errors import ConfigError
from tests.conftest import REPO, edit_yaml

BOTH = {"monitoring": {"alerts": {"channels": ["email", "slack"]}}}
NONE = {"monitoring": {"alerts": {"channels": []}}}
OFF = {"monitoring": {"alerts": {"enabled": False}}}


def main(provider: str) -> dict:
    return json.loads((REPO / "modules_out" / provider / "monitoring" / "main.tf.json").read_text())


def inputs(provider: str, layer: dict) -> dict:
    environment = load_environment("staging")
    return providers.get(provider).monitoring_inputs(environment, Target(), {}, resolve("image", "staging", layer).monitoring)


# provider -> (input carrying the email addresses, input carrying the Slack channel, what the root
# passes for "no email", the alert_slack field the Slack input carries).
RECEIVER_INPUTS = {
    "aws": ("alert_email", "slack_channel", None, "channel_id"),  # AWS Chatbot: no secret at all
    "gcp": ("alert_emails", "slack_channel", [], "secret"),
    "azure": ("alert_emails", "slack_webhook", [], "secret"),
    "onprem": ("alert_emails", "slack_channel", [], "secret"),
}


@pytest.mark.parametrize("provider", providers.names())
def test_the_root_passes_the_receivers_asked_for(provider):
    email_input, slack_input, no_email, slack_field = RECEIVER_INPUTS[provider]
    staging = load_environment("staging")
    asked = inputs(provider, BOTH)
    assert asked[email_input] in (staging.alert_email, [staging.alert_email])
    assert getattr(staging.alert_slack, slack_field) in json.dumps(asked[slack_input])
    for layer in (NONE, OFF):
        quiet = inputs(provider, layer)
        assert (quiet[email_input], quiet[slack_input]) == (no_email, None)
    only_slack = inputs(provider, {"monitoring": {"alerts": {"channels": ["slack"]}}})
    assert only_slack[email_input] == no_email and only_slack[slack_input] is not None


def test_aws_slack_uses_chatbot_ids_and_no_secret():
    asked = inputs("aws", BOTH)
    assert asked["slack_channel"] == {"workspace_id": "T0000000000", "channel_id": "C0000000002"}
    assert asked["enable_alert_manager"] is True and inputs("aws", OFF)["enable_alert_manager"] is False


def test_a_channel_without_a_destination_is_refused():
    environment = load_environment("staging").model_copy(update={"alert_slack": None})
    settings = resolve("image", "staging").monitoring
    with pytest.raises(ConfigError) as refused:
        providers.get("gcp").monitoring_inputs(environment, Target(), {}, settings)
    assert refused.value.path == "environments/staging.yaml:alert_slack" and "asks for slack" in str(refused.value)


def test_azure_needs_the_key_vault_of_the_slack_secret():
    staging = load_environment("staging")
    environment = staging.model_copy(update={"alert_slack": staging.alert_slack.model_copy(update={"azure_key_vault_id": None})})
    with pytest.raises(ConfigError, match="alert_slack.azure_key_vault_id"):
        providers.get("azure").monitoring_inputs(environment, Target(), {}, resolve("image", "staging").monitoring)


def test_an_unsupported_channel_names_the_supported_ones(cli):
    result = cli("config", "show", "--type", "tabular", "--set", "monitoring.alerts.channels=[email, pagerduty]")
    assert result.exit_code == 2
    assert "monitoring.alerts.channels.1" in result.stderr and "expected one of email, slack" in result.stderr


def test_monitoring_is_not_overridden_per_service():
    environment = load_environment("staging")
    entry = environment.services[0].model_copy(update={"overrides": OFF}) if environment.services else None
    if entry is None:
        from synthdata_infra.config.environment import ServiceEntry

        entry = ServiceEntry(name="quiet", data_type="tabular", provider="aws", overrides=OFF)
    with pytest.raises(ConfigError) as refused:
        plan_service(environment, entry)
    assert refused.value.path == "overrides.monitoring.alerts.enabled" and "per environment" in str(refused.value)


def test_an_environment_runbook_url_the_rules_do_not_carry_is_refused(project):
    edit_yaml(project / "environments" / "dev.yaml", lambda d: d["config"]["monitoring"]["alerts"].update(runbook_base_url="https://x.example.org/r"))
    with pytest.raises(ConfigError) as refused:
        monitoring_settings(load_environment("dev"), ("tabular",))
    assert refused.value.path.endswith("monitoring.alerts.runbook_base_url") and "synthdata-infra synth" in str(refused.value)


def test_gcp_module_has_an_email_and_a_slack_channel():
    channels = main("gcp")["resource"]["google_monitoring_notification_channel"]
    assert channels["email"]["type"] == "email" and channels["slack"]["type"] == "slack"
    assert channels["slack"]["count"] == "${var.slack_channel == null ? 0 : 1}"


def test_azure_module_has_an_email_and_a_slack_receiver():
    dynamic = main("azure")["resource"]["azurerm_monitor_action_group"]["alerts"]["dynamic"]
    assert dynamic["email_receiver"]["for_each"] == "${var.alert_emails}"
    assert '"slack"' in dynamic["webhook_receiver"]["for_each"] and "azurerm_key_vault_secret" in dynamic["webhook_receiver"]["content"]["service_uri"]


def test_onprem_alertmanager_config_has_an_email_and_a_slack_receiver(tmp_path):
    """Terraform evaluates the AlertmanagerConfig's receivers and count as the module writes them."""
    if not shutil.which("terraform"):
        pytest.fail("terraform is not on PATH")
    module = REPO / "modules_out" / "onprem" / "monitoring"
    manifest = main("onprem")["resource"]["kubernetes_manifest"]["alertmanager_config"]
    shutil.copy(module / "variables.tf.json", tmp_path / "variables.tf.json")
    outputs = {"receivers": {"value": manifest["manifest"]["spec"]["receivers"]}, "count": {"value": manifest["count"]}}
    (tmp_path / "main.tf.json").write_text(json.dumps({"output": outputs}))
    env = {"TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1", "PATH": os.environ["PATH"], "HOME": str(tmp_path)}

    def evaluate(**variables) -> dict:
        args = [f"-var={name}={json.dumps(value)}" for name, value in variables.items()]
        done = subprocess.run(["terraform", "apply", "-auto-approve", "-input=false", *args], cwd=tmp_path, env=env, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        shown = subprocess.run(["terraform", "output", "-json"], cwd=tmp_path, env=env, capture_output=True, text=True)
        return {name: item["value"] for name, item in json.loads(shown.stdout).items()}

    assert subprocess.run(["terraform", "init", "-input=false"], cwd=tmp_path, env=env, capture_output=True).returncode == 0
    asked = inputs("onprem", BOTH)
    values = evaluate(alert_emails=asked["alert_emails"], slack_channel=asked["slack_channel"])
    (receiver,) = values["receivers"]
    assert values["count"] == 1
    assert receiver["emailConfigs"] == [{"to": "synthdata-alerts-staging@example.com", "sendResolved": True}]
    assert receiver["slackConfigs"] == [
        {"channel": "#synthdata-alerts-staging", "sendResolved": True, "apiURL": {"name": "synthdata-slack-alerts", "key": "url"}}
    ]
    assert evaluate()["count"] == 0  # no receiver: no AlertmanagerConfig
    assert evaluate(alert_emails=["a@example.com"], enable_alerts=False)["count"] == 0
