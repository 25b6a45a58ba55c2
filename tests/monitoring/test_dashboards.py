"""Grafana dashboards: valid Grafana 11 JSON whose every query parses as PromQL."""

from __future__ import annotations

import json

import pytest


from synthdata_infra.monitoring.dashboards import dashboard_files
from tests.conftest import GPU_TYPES, REPO, TYPES
from tests.monitoring.promql import metric_names

# What Grafana substitutes before a query reaches Prometheus.
GRAFANA_VARIABLES = {"$__rate_interval": "5m", "$service": "customer-synth", "${datasource}": "prom"}


def substituted(expr: str) -> str:
    for variable, value in GRAFANA_VARIABLES.items():
        expr = expr.replace(variable, value)
    return expr


def panels(board: dict) -> list[dict]:
    return [p for p in board["panels"] if p["type"] != "row"]


@pytest.mark.parametrize("name", [*TYPES, "unified"])
def test_dashboard_is_grafana_11_with_a_datasource_variable(name):
    board = json.loads(dashboard_files()[f"{name}.json"])
    assert board["schemaVersion"] >= 39  # Grafana 11
    assert board["uid"] == f"synthdata-{name.replace('_', '-')}"
    variables = {v["name"]: v for v in board["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource" and variables["datasource"]["query"] == "prometheus"
    for panel in panels(board):
        assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}
        assert panel["targets"], panel["title"]
        assert len({t["refId"] for t in panel["targets"]}) == len(panel["targets"]) and all(t["refId"] for t in panel["targets"])


@pytest.mark.parametrize("name", [*TYPES, "unified"])
def test_every_query_parses_as_promql(name):
    board = json.loads(dashboard_files()[f"{name}.json"])
    for panel in panels(board):
        for target in panel["targets"]:
            assert metric_names(substituted(target["expr"])), f"{panel['title']}: {target['expr']}"


@pytest.mark.parametrize("kind", TYPES)
def test_gpu_panels_only_for_gpu_types(kind):
    titles = {p["title"] for p in panels(json.loads(dashboard_files()[f"{kind}.json"]))}
    assert ("GPU utilisation" in titles) is (kind in GPU_TYPES)
    assert {"Throughput", "Generation latency", "Quality", "Errors", "Replicas"} <= titles


def test_unified_has_an_overview_and_a_row_per_data_type():
    board = json.loads(dashboard_files()["unified.json"])
    rows = [p["title"] for p in board["panels"] if p["type"] == "row"]
    assert rows == ["Platform Overview", *(f"{k.replace('_', ' ').title()} Services" for k in TYPES)]
    overview = {p["title"]: p for p in board["panels"][1:5]}
    assert set(overview) == {"Services reporting", "Total Synthetic Data Generated", "Resource utilisation", "Estimated cost per hour"}
    throughput = overview["Total Synthetic Data Generated"]["targets"][0]["expr"]
    assert throughput == "sum(rate(synthdata_records_generated_total[5m])) by (data_type)"  # the seed's query
    cost = overview["Estimated cost per hour"]["targets"][0]["expr"]
    assert all(f'data_type="{k}"' in cost for k in TYPES)


def test_cost_estimate_uses_each_clouds_catalog():
    aws = json.loads(dashboard_files("aws")["unified.json"])
    gcp = json.loads(dashboard_files("gcp")["unified.json"])
    expr = lambda board: next(p for p in board["panels"] if p["title"] == "Estimated cost per hour")["targets"][0]["expr"]  # noqa: E731
    assert expr(aws) != expr(gcp)


def test_committed_dashboards_are_the_generated_ones():
    for folder in REPO.glob("modules_out/*/monitoring/dashboards"):
        provider = folder.parent.parent.name
        expected = dashboard_files(provider if provider != "onprem" else "aws")
        assert {p.name: p.read_text() for p in folder.glob("*.json")} == expected


def test_monitor_command_writes_a_dashboard(cli, tmp_path):
    target = tmp_path / "unified.json"
    result = cli("monitor", "--dashboard", "unified", "--provider", "gcp", "--out", str(target))
    assert result.exit_code == 0, result.stderr
    assert json.loads(target.read_text()) == json.loads(dashboard_files("gcp")["unified.json"])
    shown = cli("monitor", "--dashboard", "video")
    assert json.loads(shown.stdout)["uid"] == "synthdata-video"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--dashboard", "pictures"], f"error: --dashboard: got 'pictures'; expected unified or one of {', '.join(TYPES)}"),
        (["--provider", "onprem"], "error: provider: got 'onprem'; expected one of aws, gcp, azure (a cloud catalog is needed)"),
    ],
)
def test_monitor_bad_input_exits_2(cli, args, message):
    result = cli("monitor", *args)
    assert result.exit_code == 2 and result.stderr.strip() == message
