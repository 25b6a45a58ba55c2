"""The dashboards import (modules_out/{aws,azure}/grafana) against the dashboards it ships, the
monitoring modules' URLs, and the monitoring roots that wire the grafana provider.

moto has no Managed Grafana (the AWS moto tests keep enable_grafana off), and the grafana provider
is not on the offline mirror: what Terraform would import is checked here as JSON, against the
generated dashboard files and their uids."""

from __future__ import annotations

import collections
import json
import re

import pytest

from synthdata_infra import providers
from synthdata_infra.monitoring.dashboards import dashboard_files
from synthdata_infra.synth.grafana_module import FOLDER_UID, dashboard_uids
from tests.conftest import REPO, TYPES, load

GRAFANA_PROVIDERS = [name for name, provider in providers.REGISTRY.items() if provider.dashboards is not None]
FILE_REFERENCE = re.compile(r'^\$\{file\("\$\{path\.module\}/dashboards/([a-z_]+\.json)"\)\}$')


def test_the_clouds_with_a_managed_grafana_have_a_dashboards_import():
    assert GRAFANA_PROVIDERS == ["aws", "azure"]  # GCP creates no Grafana; on-prem loads ConfigMaps


@pytest.mark.parametrize("provider", GRAFANA_PROVIDERS)
def test_every_dashboard_file_is_imported_exactly_once_with_its_uid(provider):
    module = REPO / "modules_out" / provider / "grafana"
    shipped = {path.name: json.loads(path.read_text()) for path in sorted((module / "dashboards").glob("*.json"))}
    assert set(shipped) == {f"{kind}.json" for kind in TYPES} | {"unified.json"}
    # the same bytes as the generator and as the monitoring module's copy
    expected = dashboard_files(providers.get(provider).cost_catalog)
    for name in shipped:
        text = (module / "dashboards" / name).read_text()
        assert text == expected[name] == (REPO / "modules_out" / provider / "monitoring" / "dashboards" / name).read_text(), name

    main = load(module, "main.tf.json")
    dashboards = main["resource"]["grafana_dashboard"]
    imported = collections.Counter()
    for address, body in dashboards.items():
        match = FILE_REFERENCE.match(body["config_json"])
        assert match, (address, body["config_json"])  # read with file(): no `${` of the JSON is interpolated
        name = match.group(1)
        imported[name] += 1
        board = name.removesuffix(".json")
        assert address == f"dashboard_{board}"
        assert body["folder"] == "${grafana_folder.folder.uid}" and body["overwrite"] is True
        if board in TYPES:
            assert body["count"] == f'${{contains(var.data_types, "{board}") ? 1 : 0}}'
        else:
            assert "count" not in body  # the unified dashboard always
    assert imported == collections.Counter(set(shipped))  # each file once, none left out
    uids = {name.removesuffix(".json"): board["uid"] for name, board in shipped.items()}
    assert uids == dashboard_uids(provider)
    assert len(set(uids.values())) == len(uids)  # a uid is a dashboard's URL: no two alike
    assert uids["unified"] == "synthdata-unified"
    assert main["resource"]["grafana_folder"] == {"folder": {"uid": FOLDER_UID, "title": "${var.folder_title}"}}
    outputs = load(module, "outputs.tf.json")["output"]
    assert outputs["unified_dashboard_url"]["value"] == "${grafana_dashboard.dashboard_unified.url}"
    assert load(module, "versions.tf.json")["terraform"]["required_providers"] == {
        "grafana": {"source": "grafana/grafana", "version": ">= 4.0.0, < 5.0.0"}
    }


def test_a_planted_second_import_or_a_missing_one_is_caught(tmp_path):
    """The exactly-once check above fails on a duplicated and on a dropped dashboard."""
    main = load(REPO / "modules_out" / "aws" / "grafana", "main.tf.json")
    dashboards = main["resource"]["grafana_dashboard"]
    names = [FILE_REFERENCE.match(body["config_json"]).group(1) for body in dashboards.values()]
    shipped = collections.Counter({f"{kind}.json": 1 for kind in TYPES} | {"unified.json": 1})
    assert collections.Counter(names) == shipped
    assert collections.Counter(names + ["audio.json"]) != shipped
    assert collections.Counter(names[1:]) != shipped


@pytest.mark.parametrize("provider", GRAFANA_PROVIDERS)
def test_the_monitoring_module_gives_the_unified_dashboards_url_by_its_uid(provider):
    module = REPO / "modules_out" / provider / "monitoring"
    outputs = load(module, "outputs.tf.json")["output"]
    uid = dashboard_uids(provider)["unified"]
    assert outputs["unified_dashboard_url"]["value"].endswith(f'/d/{uid}"])}}')
    assert outputs["grafana_url"]["value"].startswith("${one([for endpoint in ")
    assert outputs["data_types"]["value"] == "${var.data_types}"
    readme = (module / "README.md").read_text()
    assert "../grafana" in readme and "import manually" not in readme


def test_aws_monitoring_module_has_an_editor_service_account_and_no_secret_output():
    module = REPO / "modules_out" / "aws" / "monitoring"
    resources = load(module, "main.tf.json")["resource"]
    (account,) = resources["aws_grafana_workspace_service_account"].values()
    assert account["grafana_role"] == "EDITOR"  # dashboards and folders, no admin
    assert account["count"] == "${var.enable_grafana ? 1 : 0}"
    assert "aws_grafana_workspace_service_account_token" not in resources  # the root mints it
    outputs = load(module, "outputs.tf.json")["output"]
    assert not any(output.get("sensitive") for output in outputs.values())  # the root's `monitoring` output stays plain
    assert outputs["grafana_service_account_id"]["value"] == "${one(aws_grafana_workspace_service_account.grafana_dashboards[*].service_account_id)}"
    assert outputs["grafana_url"]["value"] == '${one([for endpoint in aws_grafana_workspace.grafana[*].endpoint : "https://${endpoint}"])}'
    readme = (REPO / "modules_out" / "aws" / "grafana" / "README.md").read_text()
    assert "stored in the root's state" in readme
    assert "-replace=aws_grafana_workspace_service_account_token.grafana_dashboards`" in readme


def test_azure_monitoring_module_makes_the_importing_identity_grafana_editor():
    module = REPO / "modules_out" / "azure" / "monitoring"
    main = load(module, "main.tf.json")
    editor = main["resource"]["azurerm_role_assignment"]["grafana_dashboards_editor"]
    assert editor == {
        "count": "${var.enable_grafana ? 1 : 0}",
        "principal_id": "${coalesce(var.grafana_editor_principal_id, data.azurerm_client_config.current.object_id)}",
        "role_definition_name": "Grafana Editor",
        "scope": "${azurerm_dashboard_grafana.grafana[0].id}",
    }
    assert "current" in main["data"]["azurerm_client_config"]
    readme = (REPO / "modules_out" / "azure" / "grafana" / "README.md").read_text()
    assert "GRAFANA_AUTH" in readme and "https://dashboard.azure.com" in readme


def _monitoring_root(provider: str, *, local: bool = False) -> dict:
    from synthdata_infra.cdk import App, Testing
    from synthdata_infra.config import load_environment
    from synthdata_infra.deploy.plan import Target
    from synthdata_infra.deploy.roots import build_monitoring_root

    environment = load_environment("production", REPO)
    target = Target(local_endpoint="http://127.0.0.1:1") if local else Target()
    app = App(skip_validation=True)
    stack = build_monitoring_root(app, environment, provider, tuple(TYPES), target)
    return json.loads(Testing.synth(stack))


@pytest.mark.parametrize("provider", GRAFANA_PROVIDERS)
def test_the_monitoring_root_configures_grafana_from_the_monitoring_modules_outputs(provider):
    root = _monitoring_root(provider)
    (config,) = root["provider"]["grafana"]
    assert config["url"] == "${module.monitoring.grafana_url}"
    if provider == "aws":
        from synthdata_infra.providers.aws import GRAFANA_TOKEN, GRAFANA_TOKEN_SECONDS

        token = f"aws_grafana_workspace_service_account_token.{GRAFANA_TOKEN}"
        assert config == {"url": "${module.monitoring.grafana_url}", "auth": f"${{{token}.key}}"}
        body = root["resource"]["aws_grafana_workspace_service_account_token"][GRAFANA_TOKEN]
        assert body["service_account_id"] == "${module.monitoring.grafana_service_account_id}"
        assert body["workspace_id"] == "${module.monitoring.grafana_workspace_id}"
        assert body["seconds_to_live"] == GRAFANA_TOKEN_SECONDS <= 3600  # short: its value is in the root's state
        readme = (REPO / "modules_out" / "aws" / "grafana" / "README.md").read_text()
        assert f"-replace={token}`" in readme and f"seconds_to_live    = {GRAFANA_TOKEN_SECONDS}" in readme
    else:
        assert "auth" not in config  # GRAFANA_AUTH: an Entra token minted for the run
    assert root["terraform"]["required_providers"]["grafana"] == {"source": "grafana/grafana", "version": ">= 4.0.0, < 5.0.0"}
    module = root["module"]["grafana"]
    assert module["source"].endswith(f"/{provider}/grafana") and module["data_types"] == "${module.monitoring.data_types}"
    assert root["module"]["monitoring"]["enable_grafana"] is True


def test_the_local_target_has_no_grafana():
    root = _monitoring_root("aws", local=True)
    assert "grafana" not in root.get("provider", {}) and "grafana" not in root["module"]
    assert "aws_grafana_workspace_service_account_token" not in root.get("resource", {})
    assert root["module"]["monitoring"]["enable_grafana"] is False


@pytest.mark.integration
@pytest.mark.slow
def test_checkov_still_fails_a_defect_next_to_the_grafana_block_it_cannot_parse(tmp_path):
    """checkov 3.2 logs "Failed to add block" for azure/monitoring (azurerm_dashboard_grafana among
    them) and has no check for these types, so it passes the module without a finding: shown here
    to hide nothing by planting a Key Vault with known failures beside the Grafana and seeing them
    reported (its per-resource checks still run; only the graph skips the blocks). checkov has no
    checks for grafana_* resources either: the JSON tests above are what checks the dashboards import."""
    from tests.test_checkov import run_checkov

    source = REPO / "modules_out" / "azure" / "monitoring"
    copy = tmp_path / "modules_out" / "azure" / "monitoring"
    copy.mkdir(parents=True)
    main = load(source, "main.tf.json")
    assert "azurerm_dashboard_grafana" in main["resource"]
    main["resource"]["azurerm_key_vault"] = {
        "planted": {"name": "planted", "location": "${var.location}", "resource_group_name": "${var.resource_group_name}", "tenant_id": "t", "sku_name": "standard"}
    }
    (copy / "main.tf.json").write_text(json.dumps(main))
    (copy / "variables.tf.json").write_text((source / "variables.tf.json").read_text())
    result = run_checkov(copy)
    failed = {(check["check_id"], check["resource"]) for check in result["failed"]}
    assert ("CKV_AZURE_42", "resource.planted") in failed  # Key Vault without purge protection
    assert {resource for _, resource in failed} == {"resource.planted"}
