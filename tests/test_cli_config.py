"""`config show` and `cost` through the real entry point, including every bad input of the
foundation issue: exit status 2, one message naming the key path, the value and what is allowed."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import yaml

from tests.conftest import REPO, TYPES, edit_yaml


def test_image_production_with_gpu_override(cli):
    result = cli("config", "show", "--type", "image", "--environment", "production", "--set", "gpu.count=2", "--format", "json")
    assert result.exit_code == 0, result.stderr
    shown = json.loads(result.stdout)
    assert shown["gpu"] == {"type": "nvidia-tesla-t4", "count": 2, "memory": "16Gi"}
    assert shown["resources"]["cpu"] == "8" and shown["resources"]["memory"] == "32Gi"
    assert shown["storage"]["cdn_enabled"] is True


def test_video_defaults_to_two_v100(cli):
    shown = json.loads(cli("config", "show", "--type", "video", "--format", "json").stdout)
    assert (shown["gpu"]["type"], shown["gpu"]["count"]) == ("nvidia-tesla-v100", 2)


def test_tabular_has_no_gpu_and_100gi(cli):
    shown = yaml.safe_load(cli("config", "show", "--type", "tabular").stdout)
    assert shown["gpu"] is None
    assert shown["storage"]["size"] == "100Gi"


def test_show_with_provider_includes_placement(cli):
    shown = json.loads(cli("config", "show", "--type", "tabular", "--provider", "aws", "--format", "json").stdout)
    placement = shown["placement"]
    assert placement["instance_type"] and placement["nodes"] >= 1
    assert placement["replicas"] == shown["replicas"]


def test_show_onprem_has_no_cloud_placement(cli):
    shown = json.loads(cli("config", "show", "--type", "tabular", "--provider", "onprem", "--format", "json").stdout)
    assert shown["provider"] == "onprem" and "placement" not in shown


@pytest.mark.parametrize(
    ("args", "expected_family"),
    [
        (["--type", "image", "--provider", "aws"], "g4dn."),
        (["--type", "video", "--provider", "gcp"], "v100"),
        (["--type", "video", "--provider", "azure", "--set", "gpu.type=nvidia-a100"], "a100"),
    ],
)
def test_cost_picks_the_gpu_family(cli, args, expected_family):
    result = cli("cost", *args)
    assert result.exit_code == 0, result.stderr
    rows = _rows(result.stdout)
    assert expected_family in (rows["instance type"] + " " + rows["gpu per node"]).lower()
    assert float(rows["usd/hour"]) > 0


def _rows(stdout: str) -> dict[str, str]:
    rows = {}
    for line in stdout.splitlines():
        label, _, value = line.partition("  ")
        rows[label.strip()] = value.strip()
    return rows


def test_cost_month_is_730_hours(cli):
    rows = _rows(cli("cost", "--type", "tabular", "--provider", "gcp").stdout)
    assert float(rows["usd/month"]) == pytest.approx(float(rows["usd/hour"]) * 730, abs=0.01 * 730)


def test_cost_replicas_option_scales_nodes(cli):
    def nodes(replicas: str) -> int:
        return int(_rows(cli("cost", "--type", "image", "--provider", "aws", "--replicas", replicas).stdout)["nodes"])

    assert nodes("10") > nodes("2")


BAD_INPUTS = [
    # (args, path named, value named, allowed text)
    (["config", "show", "--type", "tabular", "--set", "gpu.cuont=2"], "gpu.cuont", "2", "did you mean gpu.count"),
    (["config", "show", "--type", "image", "--set", "gpu.cuont=2"], "gpu.cuont", "2", "allowed keys here: count, memory, type"),
    (["config", "show", "--type", "tabular", "--set", "resources.memory=lots"], "resources.memory", "'lots'", "16Gi"),
    (["config", "show", "--type", "pictures"], "type", "'pictures'", ", ".join(TYPES)),
    (["config", "show", "--type", "image", "--set", "gpu.type=nvidia-gtx-1080"], "gpu.type", "'nvidia-gtx-1080'", "nvidia-tesla-t4"),
    (["config", "show", "--type", "image", "--set", "storage.storage_class=floppy"], "storage.storage_class", "'floppy'", "fast-ssd"),
    (["config", "show", "--type", "image", "--environment", "qa"], "environment", "'qa'", "dev, production, staging"),
    (["config", "show", "--type", "image", "--set", "gpu.count=-1"], "gpu.count", "-1", ">= 1"),
    (["config", "show", "--type", "tabular", "--set", "replicas=-3"], "replicas", "-3", ">= 1"),
    (["config", "show", "--type", "tabular", "--set", "scaling.min_replicas=8", "--set", "scaling.max_replicas=4"],
     "scaling.min_replicas", "8", "must not exceed scaling.max_replicas (4)"),
    (["config", "show", "--type", "tabular", "--set", "replicas=50"], "replicas", "50", "scaling.max_replicas (20)"),
    (["cost", "--type", "video", "--provider", "aws", "--set", "resources.cpu=4000"], "resources", "cpu=4000", "no aws instance type fits"),
    (["cost", "--type", "tabular", "--provider", "onprem"], "provider", "'onprem'", "aws, gcp, azure"),
    (["cost", "--type", "tabular", "--provider", "gcp", "--replicas", "0"], "replicas", "0", ">= 1"),
    (["config", "show", "--type", "tabular", "--set", "gpu.count=2"], "gpu.type", "null", "required"),
    (["config", "show", "--type", "tabular", "--set", "scaling.triggers=[{metric: gpu_utilization, threshold: 0.9, urgency: high}]"],
     "scaling.triggers.0.metric", "'gpu_utilization'", "GPU metrics need a GPU"),
    (["config", "show", "--type", "tabular", "--set", "not a path"], "--set", "'not a path'", "PATH=VALUE"),
    (["config", "show", "--type", "tabular", "--format", "xml"], "--format", "'xml'", "yaml, json"),
    (["config", "show", "--type", "tabular", "--provider", "openstack"], "provider", "'openstack'", "aws, gcp, azure, onprem"),
]


@pytest.mark.parametrize(("args", "path", "value", "allowed"), BAD_INPUTS, ids=[" ".join(a[2:]) for a, *_ in BAD_INPUTS])
def test_bad_input_exits_2_with_one_clear_message(cli, args, path, value, allowed):
    result = cli(*args)
    assert result.exit_code == 2
    assert result.stdout == ""
    message = result.stderr.strip()
    assert len(message.splitlines()) == 1, message
    assert message.startswith(f"error: {path}: got ")
    assert value in message and allowed in message
    assert "Traceback" not in message


def test_error_in_an_environment_file_names_the_file_and_key(cli, project):
    edit_yaml(project / "environments/dev.yaml", lambda d: d["config"].update(replicas="many"))
    result = cli("config", "show", "--type", "tabular", "--environment", "dev")
    assert result.exit_code == 2
    assert "replicas: got 'many'; expected a whole number" in result.stderr


def test_unknown_key_in_a_profile_is_an_error(cli, project):
    edit_yaml(project / "profiles/audio/profile.yaml", lambda d: d["storage"].update(sise="1Ti"))
    result = cli("config", "show", "--type", "audio")
    assert result.exit_code == 2 and "storage.sise: got '1Ti'; unknown key" in result.stderr


def test_console_script_prints_no_traceback():
    env = {**os.environ, "SYNTHDATA_INFRA_ROOT": str(REPO)}
    script = os.path.join(os.path.dirname(sys.executable), "synthdata-infra")
    done = subprocess.run([script, "config", "show", "--type", "tabular", "--set", "gpu.cuont=2"],
                          capture_output=True, text=True, env=env, check=False)
    assert done.returncode == 2
    assert done.stderr.startswith("error: gpu.cuont: got 2; unknown key")
    assert "Traceback" not in done.stderr


def test_usage_errors_exit_2(cli):
    result = cli("config", "show")
    assert result.exit_code == 2 and "--type" in result.stderr


def test_broken_yaml_in_a_profile_names_the_file(cli, project):
    (project / "profiles/text/profile.yaml").write_text("resources: [unclosed\n")
    result = cli("config", "show", "--type", "text")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: profiles/text/profile.yaml: got 'invalid YAML'; fix the syntax: line 2, column 1:")
    assert result.stderr.count("\n") == 1


def test_profile_that_is_not_a_mapping(cli, project):
    (project / "profiles/text/profile.yaml").write_text("- just\n- a list\n")
    result = cli("config", "show", "--type", "text")
    assert result.exit_code == 2
    assert result.stderr.strip() == "error: profiles/text/profile.yaml: got 'list'; expected a mapping at the top level"


def test_environment_file_name_must_match_its_name_key(cli, project):
    edit_yaml(project / "environments/staging.yaml", lambda d: d.update(name="stage"))
    result = cli("config", "show", "--type", "text", "--environment", "staging")
    assert result.exit_code == 2
    assert result.stderr.strip() == "error: environments/staging.yaml:name: got 'stage'; expected 'staging', the file's name"


def test_workspace_name_template_is_checked(cli, project):
    edit_yaml(project / "environments/dev.yaml", lambda d: d["terraform_cloud"].update(workspace_name="ws-{team}"))
    result = cli("config", "show", "--type", "text", "--environment", "dev")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: environments/dev.yaml:terraform_cloud.workspace_name: got 'ws-{team}'; expected a workspace name template using {service}")


@pytest.mark.parametrize("domain", ["Synthdata.Example.com", "localhost", "example..com", "-bad.example.com", "a" * 250 + ".com"])
def test_an_environment_domain_must_be_a_dns_name(cli, project, domain):
    edit_yaml(project / "environments/dev.yaml", lambda d: d.update(domain=domain))
    result = cli("config", "show", "--type", "tabular", "--environment", "dev")
    assert result.exit_code == 2
    assert f"domain: got '{domain}'; expected a lower-case DNS name of at least two labels" in result.stderr
    assert "https://<service>.<domain>" in result.stderr


def test_an_environment_domain_gives_services_an_https_endpoint(project):
    from synthdata_infra.config import ServiceEntry, load_environment
    from synthdata_infra.deploy.plan import plan_service

    entry = ServiceEntry(name="ledger", data_type="tabular", provider="aws")
    edit_yaml(project / "environments/dev.yaml", lambda d: d.update(domain="synth.example.org"))
    plan = plan_service(load_environment("dev", project), entry)
    assert (plan.endpoint, plan.workload_inputs()["ingress_host"]) == ("https://ledger.synth.example.org", "ledger.synth.example.org")
    edit_yaml(project / "environments/dev.yaml", lambda d: d.pop("domain"))
    plan = plan_service(load_environment("dev", project), entry)
    assert plan.endpoint == "http://ledger.synthdata-ledger-dev.svc.cluster.local" and "ingress_host" not in plan.workload_inputs()
