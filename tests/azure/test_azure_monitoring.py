"""modules_out/azure/monitoring: Azure Monitor workspace, Prometheus rule groups, action group, Grafana.

The azurerm provider is not on this machine's provider mirror, so the module cannot be
`terraform validate`d here. The synthesized JSON is checked against the rules, and real
Terraform (no provider needed) evaluates what can be evaluated without one: the inputs with
their validations, every counted resource for given inputs, the receivers' for_each, and the
rule strings, which must come out of Terraform's template evaluation as the exact Prometheus text.
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
from synthdata_infra.synth.azure_monitoring_module import iso_duration, terraform_literal
from tests.conftest import GPU_TYPES, TYPES, load, resources, strings, unescape
from tests.test_checkov import findings_under

RULE_GROUP = "azurerm_monitor_alert_prometheus_rule_group"
WORKSPACE = "azurerm_monitor_workspace"
ACTION_GROUP = "azurerm_monitor_action_group"
GRAFANA = "azurerm_dashboard_grafana"
ROLE = "azurerm_role_assignment"
FILES = {"main.tf.json", "variables.tf.json", "outputs.tf.json", "versions.tf.json", "README.md"}
SEVERITIES = {"critical": 1, "warning": 2}  # the documented mapping onto Azure's 0 (Critical) .. 4 (Verbose)
WORKSPACE_ID = "${azurerm_monitor_workspace.workspace.id}"
ACTION_GROUP_ID = "${azurerm_monitor_action_group.alerts.id}"
# What a `${` in this module's Terraform may start; anything else must be written `$${`.
REFERENCE = re.compile(
    r"\$\{(var\.|local\.|azurerm_[a-z_]+\.|count\.|email_receiver\.|webhook_receiver\.|"
    r"(length|concat|merge|contains|setintersection|alltrue|can|regex|one|coalesce)\(|endpoint\}|true ?)"
)


@pytest.fixture(scope="module")
def module(synthesized) -> Path:
    return synthesized("azure") / "azure" / "monitoring"


@pytest.fixture(scope="module")
def main(module: Path) -> dict:
    return load(module, "main.tf.json")


@pytest.fixture(scope="module")
def groups(module: Path) -> dict[str, dict]:
    """Prometheus group name (synthdata_common, ...) -> its rule group resource."""
    found = {}
    for body in resources(module, RULE_GROUP).values():
        name = body["name"]
        assert name.endswith("-${var.environment}"), name
        found[name.removesuffix("-${var.environment}")] = body
    return found


def alert_rules() -> dict[str, tuple[str, dict]]:
    """Alert name -> (rule group, rule) for every alerting rule of every group."""
    return {rule["alert"]: (group["name"], rule) for group in rule_groups() for rule in group["rules"] if "alert" in rule}


# -- files and conventions -------------------------------------------------------------------


def test_inputs_and_outputs(module):
    variables = load(module, "variables.tf.json")["variable"]
    assert {name for name, spec in variables.items() if "default" not in spec} == {"resource_group_name", "location", "environment"}
    expected = {
        "data_types": ("list(string)", list(TYPES)),
        "alert_emails": ("list(string)", []),
        "webhook_url": ("string", None),
        "slack_webhook": ("object({ key_vault_id = string, secret_name = string })", None),
        "enable_alerts": ("bool", True),
        "cluster_name": ("string", None),
        "public_network_access_enabled": ("bool", True),
        "enable_grafana": ("bool", True),
        "grafana_major_version": ("string", "11"),
        "grafana_editor_principal_id": ("string", None),
        "tags": ("map(string)", {}),
    }
    assert set(variables) == set(expected) | {"resource_group_name", "location", "environment"}
    for name, (kind, default) in expected.items():
        assert (variables[name]["type"], variables[name]["default"]) == (kind, default), name
    assert all(spec["description"] for spec in variables.values())
    assert "state" in variables["webhook_url"]["description"]  # the URL lands in state: the caller is told

    outputs = load(module, "outputs.tf.json")["output"]
    dashboards = {"grafana_url", "unified_dashboard_url", "data_types"}  # tests/monitoring/test_grafana_dashboards.py
    assert {name: spec["value"] for name, spec in outputs.items() if name not in {"rule_group_names", *dashboards}} == {
        "workspace_id": WORKSPACE_ID,
        "query_endpoint": "${azurerm_monitor_workspace.workspace.query_endpoint}",
        "action_group_id": ACTION_GROUP_ID,
        "grafana_endpoint": "${one(azurerm_dashboard_grafana.grafana[*].endpoint)}",
    }
    names = outputs["rule_group_names"]["value"]
    assert names.startswith("${concat(") and names.endswith(")}")
    assert sorted(re.findall(rf"{RULE_GROUP}\.(\w+)\[\*\]\.name", names)) == sorted(resources(module, RULE_GROUP))
    assert all(spec["description"] for spec in outputs.values())


@pytest.mark.integration
def test_checkov_finds_nothing(modules_out_checkov):
    """checkov from the repository root (its .checkov.yaml applies). Its 3.2 release has no checks
    for these resource types: what matters is that it scans the module and fails nothing. (Its graph
    builder logs "Failed to add block" for Terraform JSON `dynamic` blocks, the action group's
    receivers; no graph check covers these types, and the per-resource checks still run.)"""
    result = findings_under(modules_out_checkov, "azure/monitoring")
    assert (result["failed"], result["parsing_errors"]) == ([], [])


# -- workspace and rule groups ---------------------------------------------------------------


def test_workspace(main):
    (workspace,) = main["resource"][WORKSPACE].values()
    assert workspace == {
        "name": "synthdata-${var.environment}",
        "resource_group_name": "${var.resource_group_name}",
        "location": "${var.location}",
        "public_network_access_enabled": "${var.public_network_access_enabled}",
        "tags": "${local.tags}",
    }
    assert main["locals"]["tags"] == '${merge(var.tags, {"synthdata:environment" = var.environment})}'


def test_one_rule_group_per_group(groups):
    assert set(groups) == {group["name"] for group in rule_groups()}
    assert len(groups) == len(rule_groups())
    for group in rule_groups():
        body = groups[group["name"]]
        stem = group["name"].removeprefix("synthdata_")
        assert body["scopes"] == [WORKSPACE_ID]
        assert body["interval"] == "PT1M"
        assert body["rule_group_enabled"] is True  # azurerm sends an unset flag as false
        assert body["cluster_name"] == "${var.cluster_name}"
        assert (body["location"], body["resource_group_name"], body["tags"]) == ("${var.location}", "${var.resource_group_name}", "${local.tags}")
        assert f"rules/{stem}.rules.yml" in body["description"]
        assert len(body["rule"]) == len(group["rules"])


def test_every_rule_with_its_expression(groups):
    """Every recording and alerting rule is present, in order, with the generated expression."""
    for group in rule_groups():
        for rule, body in zip(group["rules"], groups[group["name"]]["rule"], strict=True):
            assert body.get("record") == rule.get("record") and body.get("alert") == rule.get("alert"), body
            assert body["expression"] == rule["expr"]
            promql_parser.parse(unescape(body["expression"]))
            # azurerm sends an unset flag as false; alert rules follow enable_alerts, recording rules stay on.
            assert body["enabled"] == ("${var.enable_alerts}" if "alert" in body else True)


def test_recording_rules_carry_no_alert_fields(groups):
    """azurerm refuses action, severity, annotations, for and alert_resolution on a recording rule."""
    records = [body for group in groups.values() for body in group["rule"] if "record" in body]
    assert len(records) == sum(1 for group in rule_groups() for rule in group["rules"] if "record" in rule) > 0
    for body in records:
        assert set(body) == {"record", "expression", "enabled"}, body


def test_alert_rules_carry_the_rule(groups):
    alerts = {body["alert"]: body for group in groups.values() for body in group["rule"] if "alert" in body}
    assert set(alerts) == set(all_alert_names())
    for alert, (_, rule) in alert_rules().items():
        body = alerts[alert]
        assert body["for"] == iso_duration(rule["for"]), alert
        assert body["severity"] == SEVERITIES[rule["labels"]["severity"]], alert
        assert body["labels"] == rule["labels"]
        # Azure renders Prometheus' Go templates: the annotations are the rule's, untranslated.
        assert body["annotations"] == rule["annotations"]
        assert set(body["annotations"]) == {"summary", "description", "runbook_url"}
        assert body["action"] == [{"action_group_id": ACTION_GROUP_ID}]
        assert body["alert_resolution"] == {"auto_resolved": True, "time_to_resolve": "PT10M"}


def test_for_is_iso_8601():
    spot = {name: rule["for"] for name, (_, rule) in alert_rules().items()}
    assert (spot["HighErrorRate"], iso_duration(spot["HighErrorRate"])) == ("10m", "PT10M")
    assert (spot["TextPIILeak"], iso_duration(spot["TextPIILeak"])) == ("0m", "PT0M")


def test_severity_mapping(groups):
    severities = {(body["labels"]["severity"], body["severity"]) for group in groups.values() for body in group["rule"] if "alert" in body}
    assert severities == {("critical", 1), ("warning", 2)}


def test_rule_group_counts_follow_the_rules_files(groups):
    conditions = {group: body["count"] for group, body in groups.items()}
    assert conditions["synthdata_recording"] == conditions["synthdata_common"] == "${true ? 1 : 0}"
    assert conditions["synthdata_gpu"] == f'${{length(setintersection(var.data_types, {json.dumps(list(GPU_TYPES))})) > 0 ? 1 : 0}}'
    for kind in TYPES:
        assert conditions[f"synthdata_{kind}"] == f'${{contains(var.data_types, "{kind}") ? 1 : 0}}'


def test_literal_strings_are_escaped():
    text = 'x{job="${env}"} and %{ if a }{{ $labels.pod }}%{ endif }'
    assert terraform_literal(text) == 'x{job="$${env}"} and %%{ if a }{{ $labels.pod }}%%{ endif }'
    assert unescape(terraform_literal(text)) == text


def test_no_unescaped_template_sequences(main):
    """Every `${` starts a Terraform reference or is written `$${`; every `%{` is written `%%{`."""
    checked = 0
    for text in strings(main):
        for match in re.finditer(r"(?<!\$)\$\{", text):
            assert REFERENCE.match(text, match.start()), f"unescaped ${{ in {text!r}"
            checked += 1
        assert not re.search(r"(?<!%)%\{", text), text
    assert checked > 0


# -- action group ----------------------------------------------------------------------------


def test_action_group_receivers(main):
    ((name, group),) = main["resource"][ACTION_GROUP].items()
    assert name == "alerts"
    assert group["name"] == "synthdata-${var.environment}-alerts"
    assert group["short_name"] == "sd${var.environment}"
    assert group["resource_group_name"] == "${var.resource_group_name}"
    # A receiver is a nested block: Terraform builds a variable number of them only with `dynamic`.
    assert "email_receiver" not in group and "webhook_receiver" not in group
    assert group["dynamic"] == {
        "email_receiver": {
            "for_each": "${var.alert_emails}",
            "content": {"name": "email-${email_receiver.key}", "email_address": "${email_receiver.value}", "use_common_alert_schema": True},
        },
        "webhook_receiver": {
            # Names only: the Slack URL is sensitive and cannot decide how many blocks exist.
            "for_each": '${concat(var.webhook_url == null ? [] : ["webhook"], var.slack_webhook == null ? [] : ["slack"])}',
            "content": {
                "name": "${webhook_receiver.value}",
                "service_uri": '${webhook_receiver.value == "slack" ? data.azurerm_key_vault_secret.slack_webhook[0].value : var.webhook_url}',
                "use_common_alert_schema": True,
            },
        },
    }
    # The Slack webhook URL is read from Key Vault, never passed as a variable.
    secret = main["data"]["azurerm_key_vault_secret"]["slack_webhook"]
    assert secret == {
        "count": "${var.slack_webhook == null ? 0 : 1}",
        "key_vault_id": "${var.slack_webhook.key_vault_id}",
        "name": "${var.slack_webhook.secret_name}",
    }


# -- Grafana ---------------------------------------------------------------------------------


def test_grafana_behind_its_input(main):
    (grafana,) = main["resource"][GRAFANA].values()
    assert grafana["count"] == "${var.enable_grafana ? 1 : 0}"
    assert grafana["identity"] == {"type": "SystemAssigned"}
    assert grafana["azure_monitor_workspace_integrations"] == [{"resource_id": WORKSPACE_ID}]
    assert grafana["grafana_major_version"] == "${var.grafana_major_version}"
    assert grafana["public_network_access_enabled"] == "${var.public_network_access_enabled}"
    assert grafana["name"] == "synthdata-${var.environment}"
    assert grafana["tags"] == "${local.tags}"
    reader = main["resource"][ROLE]["grafana_reads_workspace"]  # (grafana_dashboards_editor: tests/monitoring/test_grafana_dashboards.py)
    assert reader == {
        "count": "${var.enable_grafana ? 1 : 0}",
        "scope": WORKSPACE_ID,
        "role_definition_name": "Monitoring Data Reader",
        "principal_id": "${azurerm_dashboard_grafana.grafana[0].identity[0].principal_id}",
        "principal_type": "ServicePrincipal",
    }


def test_readme_documents_the_module(module):
    readme = (module / "README.md").read_text()
    for phrase in (
        "not on this machine's offline provider mirror",
        "checkov",
        "dashboards/",
        "data source is a dashboard variable",
        "stored in Terraform state",
        "`critical` -> Sev1",
        "`warning` -> Sev2",
        "PT0M",
        "Monitoring Data Reader",
        "podannotationnamespaceregex",
    ):
        assert phrase in readme, phrase


# -- real Terraform, no provider -------------------------------------------------------------


@pytest.fixture(scope="module")
def terraform_root(module, main, tmp_path_factory) -> Path:
    """A root module holding this module's inputs, locals and, as outputs, what they decide: every
    counted resource, the receivers' for_each, the names, and every rule group's rule strings."""
    if not shutil.which("terraform"):
        pytest.skip("terraform is not on PATH")
    root = tmp_path_factory.mktemp("azure-monitoring-terraform")
    shutil.copy(module / "variables.tf.json", root / "variables.tf.json")
    rule_groups_ = main["resource"][RULE_GROUP]
    action_group = main["resource"][ACTION_GROUP]["alerts"]
    (grafana,) = main["resource"][GRAFANA].values()
    reader = main["resource"][ROLE]["grafana_reads_workspace"]
    (workspace,) = main["resource"][WORKSPACE].values()
    rule_text_keys = ("alert", "record", "expression", "for", "labels", "annotations")
    outputs = {
        "rule_group_counts": {"value": {name: body["count"] for name, body in rule_groups_.items()}},
        "rule_group_names": {"value": {name: body["name"] for name, body in rule_groups_.items()}},
        "rules": {
            "value": {name: [{k: rule[k] for k in rule_text_keys if k in rule} for rule in body["rule"]] for name, body in rule_groups_.items()}
        },
        "grafana_count": {"value": grafana["count"]},
        "reader_count": {"value": reader["count"]},
        "emails": {"value": action_group["dynamic"]["email_receiver"]["for_each"]},
        "webhooks": {"value": action_group["dynamic"]["webhook_receiver"]["for_each"]},
        "slack_secret_count": {"value": main["data"]["azurerm_key_vault_secret"]["slack_webhook"]["count"]},
        "short_name": {"value": action_group["short_name"]},
        "names": {"value": {"workspace": workspace["name"], "grafana": grafana["name"], "action_group": action_group["name"]}},
        "tags": {"value": "${local.tags}"},
    }
    (root / "main.tf.json").write_text(json.dumps({"locals": main["locals"], "output": outputs}))
    init = terraform(root, "init", "-input=false")
    assert init.returncode == 0, init.stderr
    return root


def terraform(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {"TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1", "PATH": os.environ["PATH"], "HOME": str(root)}
    return subprocess.run(["terraform", *args, "-no-color"], cwd=root, env=env, capture_output=True, text=True, timeout=300, check=False)


def var_args(variables: dict) -> list[str]:
    return [f"-var={name}={json.dumps(value) if not isinstance(value, str) else value}" for name, value in variables.items()]


def apply(root: Path, **variables) -> dict:
    done = terraform(root, "apply", "-auto-approve", "-input=false", *var_args({"resource_group_name": "rg", "location": "westeurope", **variables}))
    assert done.returncode == 0, done.stderr
    shown = terraform(root, "output", "-json")
    return {name: item["value"] for name, item in json.loads(shown.stdout).items()}


@pytest.mark.parametrize(
    "data_types",
    [None, ["tabular"], ["image"], ["text", "audio"], ["video", "time_series"]],
    ids=["default", "tabular", "image", "text+audio", "video+time_series"],
)
def test_rule_groups_follow_data_types(terraform_root, data_types):
    variables = {"environment": "test"}
    if data_types is not None:
        variables["data_types"] = data_types
    values = apply(terraform_root, **variables)
    assert set(values["rule_group_counts"].values()) <= {0, 1}
    created = {values["rule_group_names"][name] for name, count in values["rule_group_counts"].items() if count == 1}
    assert created == {f"{group['name']}-test" for group in rule_groups(tuple(data_types or TYPES))}
    alerts = {rule["alert"] for name, rules in values["rules"].items() if values["rule_group_counts"][name] for rule in rules if "alert" in rule}
    assert alerts == set(all_alert_names(tuple(data_types or TYPES)))
    assert ("synthdata_gpu-test" in created) == bool(set(GPU_TYPES) & set(data_types or TYPES))


def test_rule_strings_survive_terraform_as_prometheus_text(terraform_root):
    """Terraform evaluates every string as a template: what reaches Azure must be the rules' own text."""
    values = apply(terraform_root, environment="prod")
    rendered = {values["rule_group_names"][name].removesuffix("-prod"): rules for name, rules in values["rules"].items()}
    for group in rule_groups():
        for rule, body in zip(group["rules"], rendered[group["name"]], strict=True):
            assert body["expression"] == rule["expr"]
            if "alert" in rule:
                assert (body["alert"], body["for"], body["labels"]) == (rule["alert"], iso_duration(rule["for"]), rule["labels"])
                assert body["annotations"] == rule["annotations"]
            else:
                assert body["record"] == rule["record"]
    gpu_alert = next(body for body in rendered["synthdata_gpu"] if "alert" in body)
    assert gpu_alert["annotations"]["summary"] == "GPU memory pressure in {{ $labels.namespace }}/{{ $labels.pod }}"


def test_grafana_and_its_role_follow_enable_grafana(terraform_root):
    values = apply(terraform_root, environment="test")
    assert (values["grafana_count"], values["reader_count"]) == (1, 1)
    values = apply(terraform_root, environment="test", enable_grafana=False)
    assert (values["grafana_count"], values["reader_count"]) == (0, 0)


def test_receivers_follow_inputs(terraform_root):
    values = apply(terraform_root, environment="test")
    assert (values["emails"], values["webhooks"], values["slack_secret_count"]) == ([], [], 0)
    values = apply(
        terraform_root,
        environment="test",
        alert_emails=["oncall@example.com", "ml@example.com"],
        webhook_url="https://hooks.example.com/synthdata",
        slack_webhook={"key_vault_id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv", "secret_name": "slack"},
    )
    assert values["emails"] == ["oncall@example.com", "ml@example.com"]
    assert (values["webhooks"], values["slack_secret_count"]) == (["webhook", "slack"], 1)


def test_names_fit_azure_limits(terraform_root):
    """The longest environment the validation accepts (10 characters) still fits every name."""
    values = apply(terraform_root, environment="production", tags={"team": "ml"})
    assert values["short_name"] == "sdproduction" and len(values["short_name"]) <= 12  # action group short name
    assert re.fullmatch(r"[a-zA-Z][-a-zA-Z0-9]{0,21}[a-zA-Z0-9]", values["names"]["grafana"])  # 2-23 characters
    assert re.fullmatch(r"[a-zA-Z0-9][-a-zA-Z0-9]{2,42}[a-zA-Z0-9]", values["names"]["workspace"])
    assert values["tags"] == {"team": "ml", "synthdata:environment": "production"}


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("environment", "Production-EU", "environment must be"),
        ("alert_emails", ["not-an-address"], "alert_emails must hold"),
        ("webhook_url", "http://hooks.example.com", "webhook_url must be"),
        ("data_types", ["audio", "3d"], "data_types may only hold"),
    ],
)
def test_invalid_inputs_are_refused(terraform_root, variable, value, message):
    variables = {"resource_group_name": "rg", "location": "westeurope", "environment": "test", variable: value}
    done = terraform(terraform_root, "plan", "-input=false", *var_args(variables))
    assert done.returncode != 0
    assert message in " ".join(done.stderr.split()), done.stderr
