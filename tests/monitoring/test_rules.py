"""Alert and recording rules: promtool's checks and unit tests, and their links to the catalog."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from synthdata_infra.config import data_types
from synthdata_infra.monitoring.catalog import metric_catalog
from synthdata_infra.monitoring.rules import all_alert_names, promtool_test_file, rule_groups, rules_files, type_rule_tests
from synthdata_infra.monitoring.scaling_signals import SIGNALS
from tests.conftest import REPO
from tests.monitoring.promql import metric_names

HERE = Path(__file__).parent
# Metrics that come from the cluster rather than the catalog (kube-state-metrics, cAdvisor).
CLUSTER_METRICS = {"container_cpu_usage_seconds_total", "container_memory_working_set_bytes", "kube_pod_container_resource_requests"}


def promtool() -> str:
    binary = shutil.which("promtool")
    assert binary, "promtool not found: `make test` installs the Debian package prometheus"
    return binary


def all_rule_tests() -> list[dict]:
    """The common cases (rules_test.yml here) and every data type's (profiles/<type>/alerts_test.yml)."""
    common = yaml.safe_load((HERE / "rules_test.yml").read_text())["tests"]
    return [*common, *(test for kind in data_types() for test in type_rule_tests(kind))]


@pytest.fixture
def rules_dir(tmp_path: Path) -> Path:
    for name, text in rules_files().items():
        (tmp_path / name).write_text(text)
    (tmp_path / "rules_test.yml").write_text(promtool_test_file(all_rule_tests()))
    return tmp_path


def committed_rules() -> list[Path]:
    return sorted(REPO.glob("modules_out/*/monitoring/rules/*.rules.yml"))


def test_every_monitoring_module_ships_the_same_rules():
    folders = {path.parent for path in committed_rules()}
    assert {f.parent.parent.name for f in folders} >= {"aws", "onprem"}
    for folder in folders:
        assert {p.name: p.read_text() for p in folder.glob("*.rules.yml")} == rules_files()


@pytest.mark.integration
@pytest.mark.parametrize("rules_file", committed_rules(), ids=lambda p: f"{p.parts[-4]}/{p.name}")
def test_promtool_check_rules(rules_file):
    done = subprocess.run([promtool(), "check", "rules", str(rules_file)], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS" in done.stdout


@pytest.mark.integration
def test_promtool_unit_tests_pass(rules_dir):
    done = subprocess.run([promtool(), "test", "rules", "rules_test.yml"], cwd=rules_dir, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS" in done.stdout


@pytest.mark.integration
def test_promtool_unit_tests_catch_a_changed_threshold(rules_dir):
    common = rules_dir / "common.rules.yml"
    common.write_text(common.read_text().replace("> 0.05", "> 5"))
    done = subprocess.run([promtool(), "test", "rules", "rules_test.yml"], cwd=rules_dir, capture_output=True, text=True, check=False)
    assert done.returncode != 0 and "HighErrorRate" in done.stdout + done.stderr


def test_every_alert_has_a_firing_and_a_quiet_case():
    cases = [case for test in all_rule_tests() for case in test["alert_rule_test"]]
    firing = {c["alertname"] for c in cases if c["exp_alerts"]}
    quiet = {c["alertname"] for c in cases if not c["exp_alerts"]}
    assert firing == set(all_alert_names()), set(all_alert_names()) ^ firing
    assert quiet == set(all_alert_names()), set(all_alert_names()) ^ quiet


def test_every_alert_is_documented_and_graded():
    for group in rule_groups():
        for rule in group["rules"]:
            if "alert" in rule:
                assert set(rule["annotations"]) == {"summary", "description", "runbook_url"}, rule["alert"]
                assert rule["annotations"]["runbook_url"].startswith("https://")
                assert rule["labels"]["severity"] in {"warning", "critical"}


def test_rules_use_only_catalog_metrics_and_recorded_series():
    recorded = {rule["record"] for group in rule_groups() for rule in group["rules"] if "record" in rule}
    known = metric_catalog().names() | recorded
    for group in rule_groups():
        for rule in group["rules"]:
            for name in metric_names(rule["expr"]):
                base = name.removesuffix("_bucket")
                assert name in known or base in known, f"{rule.get('alert') or rule.get('record')} uses unknown {name}"


def test_autoscaling_signals_exist_in_the_catalog_or_rules():
    """The HPA's pods/external metrics must be series the catalog or the recording rules produce."""
    recorded = {rule["record"] for group in rule_groups() for rule in group["rules"] if "record" in rule}
    known = metric_catalog().names() | recorded
    for metric, signal in SIGNALS.items():
        if signal.source != "resource":
            assert signal.name in known, metric
        query = signal.query.format(selector='namespace="n", pod=~"p-.*"', service="s")
        used = {name.removesuffix("_bucket") for name in metric_names(query)}
        assert used <= known | CLUSTER_METRICS, metric


def test_rule_groups_follow_data_types():
    names = [g["name"] for g in rule_groups(("tabular",))]
    assert names == ["synthdata_recording", "synthdata_common", "synthdata_tabular"]
    assert "synthdata_gpu" in [g["name"] for g in rule_groups(("image",))]
    assert [g["name"] for g in rule_groups()][-len(data_types()):] == [f"synthdata_{k}" for k in data_types()]
