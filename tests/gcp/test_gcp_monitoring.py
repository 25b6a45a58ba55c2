"""modules_out/gcp/monitoring: Cloud Monitoring alert policies from the synthdata alerting rules.

The google provider is not on this machine's provider mirror, so the module cannot be
`terraform validate`d here. The synthesized JSON is checked against the rules, and real
Terraform (no provider needed) evaluates what can be evaluated without one: the inputs with
their validations, every policy's count for a given data_types, and the documentation
strings, which must come out with Cloud Monitoring's ${...} variables intact.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import promql_parser
import pytest

from synthdata_infra.monitoring.rules import all_alert_names, rule_groups
from tests.conftest import GPU_TYPES, TYPES, load, resources, strings, unescape
from tests.test_checkov import findings_under

POLICY = "google_monitoring_alert_policy"
CHANNEL = "google_monitoring_notification_channel"
FILES = {"main.tf.json", "variables.tf.json", "outputs.tf.json", "versions.tf.json", "README.md"}
SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
# What a `${` in this module's Terraform may start; anything else must be written `$${`.
REFERENCE = re.compile(r"\$\{(var\.|local\.|google_[a-z_]+\.|data\.|count\.|(length|concat|merge|contains|setintersection|alltrue|can|regex)\(|true ?)")
CLOUD_MONITORING_VARIABLE = re.compile(r"\$\{(metric|metric_or_resource|resource|policy|condition)\.[a-z_.A-Z0-9]+\}")


@pytest.fixture(scope="module")
def module(synthesized) -> Path:
    return synthesized("gcp") / "gcp" / "monitoring"


@pytest.fixture(scope="module")
def policies(module: Path) -> dict[str, dict]:
    """Alert name -> the policy resource."""
    return {body["conditions"][0]["condition_prometheus_query_language"]["alert_rule"]: body for body in resources(module, POLICY).values()}


def alert_rules() -> dict[str, tuple[str, dict]]:
    """Alert name -> (rule group, rule) for every alerting rule of every group."""
    return {rule["alert"]: (group["name"], rule) for group in rule_groups() for rule in group["rules"] if "alert" in rule}


def seconds(duration: str) -> int:
    parts = re.findall(r"(\d+)([smhd])", duration)
    assert "".join(n + u for n, u in parts) == duration, duration
    return sum(int(n) * SECONDS[u] for n, u in parts)


# -- files and conventions -------------------------------------------------------------------


def test_inputs_and_outputs(module):
    variables = load(module, "variables.tf.json")["variable"]
    assert {name for name, spec in variables.items() if "default" not in spec} == {"project_id", "environment"}
    expected = {
        "data_types": ("list(string)", list(TYPES)),
        "alert_emails": ("list(string)", []),
        "notification_channel_ids": ("list(string)", []),
        "labels": ("map(string)", {}),
        "enabled": ("bool", True),
    }
    for name, (kind, default) in expected.items():
        assert (variables[name]["type"], variables[name]["default"]) == (kind, default), name
    assert all(spec["description"] for spec in variables.values())
    outputs = load(module, "outputs.tf.json")["output"]
    assert set(outputs) == {"alert_policy_names", "notification_channel_ids"}
    names = outputs["alert_policy_names"]["value"]
    assert all(f"{POLICY}.{name}[*].name" in names for name in resources(module, POLICY))
    assert outputs["notification_channel_ids"]["value"] == "${local.notification_channels}"


@pytest.mark.integration
@pytest.mark.slow
def test_checkov_finds_nothing(modules_out_checkov):
    """checkov from the repository root (its .checkov.yaml applies). It has no checks for
    google_monitoring_*: what matters is that it parses the module and fails nothing."""
    result = findings_under(modules_out_checkov, "gcp/monitoring")
    assert (result["failed"], result["parsing_errors"]) == ([], [])


# -- alert policies --------------------------------------------------------------------------


def test_one_policy_per_alert(module, policies):
    names = all_alert_names()
    assert len(resources(module, POLICY)) == len(names) == len(set(names))
    assert set(policies) == set(names)
    recordings = {rule["record"] for group in rule_groups() for rule in group["rules"] if "record" in rule}
    assert not recordings & set(policies)


def test_condition_carries_the_rule(policies):
    for alert, (group, rule) in alert_rules().items():
        policy = policies[alert]
        assert len(policy["conditions"]) == 1 and policy["combiner"] == "OR"
        condition = policy["conditions"][0]
        assert condition["display_name"] == alert
        promql = condition["condition_prometheus_query_language"]
        assert promql["query"] == rule["expr"], alert
        promql_parser.parse(unescape(promql["query"]))
        assert promql["duration"] == f"{seconds(rule['for'])}s", alert
        assert promql["evaluation_interval"] == "60s"
        assert (promql["alert_rule"], promql["rule_group"]) == (alert, group)
        assert promql["labels"] == rule["labels"] == {"severity": rule["labels"]["severity"]}
        assert promql["disable_metric_validation"] is True
        assert policy["severity"] == {"warning": "WARNING", "critical": "CRITICAL"}[rule["labels"]["severity"]]


def test_durations_are_the_rules_for():
    spot = {name: rule["for"] for name, (_, rule) in alert_rules().items()}
    assert (spot["HighErrorRate"], seconds(spot["HighErrorRate"])) == ("10m", 600)
    assert seconds(spot["TextPIILeak"]) == 0


def test_policy_settings(module, policies):
    for alert, (group, _) in alert_rules().items():
        policy = policies[alert]
        assert policy["project"] == "${var.project_id}"
        assert policy["enabled"] == "${var.enabled}"
        assert policy["display_name"] == f"synthdata ${{var.environment}}: {alert}"
        assert policy["notification_channels"] == "${local.notification_channels}"
        kind = group.removeprefix("synthdata_")
        assert policy["user_labels"] == f'${{merge(local.labels, {{"synthdata-data-type" = "{kind}"}})}}'
    assert load(module, "main.tf.json")["locals"]["labels"] == '${merge(var.labels, {"synthdata-environment" = var.environment})}'


def test_documentation_holds_summary_description_and_runbook(policies):
    for alert, (group, rule) in alert_rules().items():
        documentation = policies[alert]["documentation"]
        runbook = rule["annotations"]["runbook_url"]
        assert runbook.startswith("https://") and runbook in documentation["content"]
        assert documentation["links"] == [{"display_name": "Runbook", "url": runbook}]
        assert f"rules/{group.removeprefix('synthdata_')}.rules.yml" in documentation["content"]
        assert documentation["mime_type"] == "text/markdown"
        assert documentation["subject"].startswith("[${var.environment}] ")
        for text in (documentation["subject"], documentation["content"]):
            assert "{{" not in text and "$value" not in text and "$labels" not in text, (alert, text)


def test_prometheus_templates_become_cloud_monitoring_variables(policies):
    gpu = policies["GPUMemoryPressure"]["documentation"]
    assert gpu["subject"] == (
        "[${var.environment}] GPU memory pressure in $${metric_or_resource.label.namespace}/$${metric_or_resource.label.pod}"
    )
    assert gpu["content"].startswith(
        "GPU $${metric_or_resource.label.gpu} of $${metric_or_resource.label.pod} has used $${metric.label.value} of its memory"
    )
    error = policies["HighErrorRate"]["documentation"]["content"]
    assert error.startswith("$${metric_or_resource.label.service} ($${metric_or_resource.label.data_type}) fails $${metric.label.value} requests")


def test_no_unescaped_template_sequences(module):
    """Every `${` starts a Terraform reference or is written `$${`; every `%{` is written `%%{`."""
    checked = 0
    for text in strings(load(module, "main.tf.json")):
        for match in re.finditer(r"(?<!\$)\$\{", text):
            assert REFERENCE.match(text, match.start()), f"unescaped ${{ in {text!r}"
            checked += 1
        assert not re.search(r"(?<!%)%\{", text), text
        for match in re.finditer(r"\$\$\{", text):
            assert CLOUD_MONITORING_VARIABLE.match(text, match.start() + 1), text
    assert checked > 0


# -- notification channels -------------------------------------------------------------------


def test_email_channels_from_input(module):
    channels = resources(module, CHANNEL)
    assert set(channels) == {"email", "slack"}
    email = channels["email"]
    assert email["count"] == "${length(var.alert_emails)}"
    assert email["type"] == "email"
    assert email["labels"] == {"email_address": "${var.alert_emails[count.index]}"}
    assert email["project"] == "${var.project_id}"
    assert email["user_labels"] == "${local.labels}"
    assert "sensitive_labels" not in email
    assert load(module, "main.tf.json")["locals"]["notification_channels"] == (
        f"${{concat({CHANNEL}.email[*].name, {CHANNEL}.slack[*].name, var.notification_channel_ids)}}"
    )


def test_slack_channel_takes_its_token_from_secret_manager(module):
    main = load(module, "main.tf.json")
    slack = resources(module, CHANNEL)["slack"]
    assert slack["type"] == "slack" and slack["count"] == "${var.slack_channel == null ? 0 : 1}"
    assert slack["labels"] == {"channel_name": "#${var.slack_channel.channel}"}
    # The token is read from Secret Manager: no variable carries it.
    assert slack["sensitive_labels"] == {"auth_token": "${data.google_secret_manager_secret_version.slack_token[0].secret_data}"}
    token = main["data"]["google_secret_manager_secret_version"]["slack_token"]
    assert token == {"count": "${var.slack_channel == null ? 0 : 1}", "project": "${var.project_id}", "secret": "${var.slack_channel.token_secret}"}
    variables = load(module, "variables.tf.json")["variable"]
    assert variables["slack_channel"]["type"] == "object({ channel = string, token_secret = string })"
    assert variables["slack_channel"]["default"] is None


def test_readme_documents_the_module(module):
    readme = (module / "README.md").read_text()
    for phrase in ("notification_channel_ids", "Slack", "managed collection", "rule evaluator", "dashboards/", "Grafana", "terraform validate"):
        assert phrase in readme, phrase


# -- real Terraform, no provider -------------------------------------------------------------


@pytest.fixture(scope="module")
def terraform_root(module, tmp_path_factory) -> Path:
    """A root module holding this module's inputs and, as outputs, what they decide: the count
    and the documentation of every policy."""
    if not shutil.which("terraform"):
        pytest.skip("terraform is not on PATH")
    root = tmp_path_factory.mktemp("gcp-monitoring-terraform")
    shutil.copy(module / "variables.tf.json", root / "variables.tf.json")
    policies = resources(module, POLICY)
    outputs = {
        "counts": {"value": {name: body["count"] for name, body in policies.items()}},
        "documentation": {
            "value": {name: {"subject": body["documentation"]["subject"], "content": body["documentation"]["content"]} for name, body in policies.items()}
        },
        "alerts": {"value": {name: body["conditions"][0]["condition_prometheus_query_language"]["alert_rule"] for name, body in policies.items()}},
    }
    (root / "outputs.tf.json").write_text(json.dumps({"output": outputs}))
    init = terraform(root, "init", "-input=false")
    assert init.returncode == 0, init.stderr
    return root


def terraform(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {"TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1", "PATH": os.environ["PATH"], "HOME": str(root)}
    return subprocess.run(["terraform", *args, "-no-color"], cwd=root, env=env, capture_output=True, text=True, timeout=300, check=False)


def apply(root: Path, **variables) -> dict:
    args = [f"-var={name}={json.dumps(value) if not isinstance(value, str) else value}" for name, value in variables.items()]
    done = terraform(root, "apply", "-auto-approve", "-input=false", *args)
    assert done.returncode == 0, done.stderr
    shown = terraform(root, "output", "-json")
    return {name: item["value"] for name, item in json.loads(shown.stdout).items()}


@pytest.mark.parametrize(
    "data_types",
    [None, ["tabular"], ["image"], ["text", "audio"], ["video", "time_series"]],
    ids=["default", "tabular", "image", "text+audio", "video+time_series"],
)
def test_counts_follow_data_types(terraform_root, data_types):
    variables = {"project_id": "synthdata-test", "environment": "test"}
    if data_types is not None:
        variables["data_types"] = data_types
    values = apply(terraform_root, **variables)
    created = {values["alerts"][name] for name, count in values["counts"].items() if count == 1}
    assert set(values["counts"].values()) <= {0, 1}
    assert created == set(all_alert_names(tuple(data_types or TYPES)))
    assert ("GPUMemoryPressure" in created) == bool(set(GPU_TYPES) & set(data_types or TYPES))


def test_documentation_renders_cloud_monitoring_variables(terraform_root):
    values = apply(terraform_root, project_id="synthdata-test", environment="prod")
    rendered = {values["alerts"][name]: text for name, text in values["documentation"].items()}
    gpu = rendered["GPUMemoryPressure"]
    assert gpu["subject"] == "[prod] GPU memory pressure in ${metric_or_resource.label.namespace}/${metric_or_resource.label.pod}"
    assert "${metric.label.value}" in gpu["content"]
    for alert, (_, rule) in alert_rules().items():
        assert rule["annotations"]["runbook_url"] in rendered[alert]["content"]
        assert "$${" not in rendered[alert]["content"] + rendered[alert]["subject"]


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("environment", "Production-EU", "environment must be"),
        ("project_id", "X", "project_id must be"),
        ("alert_emails", ["not-an-address"], "alert_emails must hold"),
        ("notification_channel_ids", ["slack-oncall"], "notification_channel_ids must be"),
        ("data_types", ["audio", "3d"], "data_types may only hold"),
    ],
)
def test_invalid_inputs_are_refused(terraform_root, variable, value, message):
    variables = {"project_id": "synthdata-test", "environment": "test", variable: value}
    args = [f"-var={name}={json.dumps(v) if not isinstance(v, str) else v}" for name, v in variables.items()]
    done = terraform(terraform_root, "plan", "-input=false", *args)
    assert done.returncode != 0
    assert message in " ".join(done.stderr.split()), done.stderr


# -- translation helpers: the paths that must fail -------------------------------------------


def test_unsupported_templates_are_refused():
    from synthdata_infra.synth.gcp_monitoring_module import documentation_text

    assert documentation_text('{{ $labels.pod }} at {{ $value | humanizePercentage }}') == "${metric_or_resource.label.pod} at ${metric.label.value}"
    with pytest.raises(ValueError, match="template construct"):
        documentation_text("{{ range $labels }}x{{ end }}")
