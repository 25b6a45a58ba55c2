"""Grafana dashboards (grafana-foundation-sdk, Grafana 11): one per data type and the unified view.

The Prometheus datasource is a dashboard variable, so one JSON file works against any
Prometheus-compatible backend (Amazon Managed Prometheus, Azure Monitor, an in-cluster one).
Uids are fixed (``synthdata-<type>``, ``synthdata-unified``): links and provisioning rely on them.
"""

from __future__ import annotations

import json

from grafana_foundation_sdk.builders import dashboard, prometheus, stat, timeseries
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models.dashboard import DataSourceRef

from synthdata_infra.config import resolve
from synthdata_infra.config.loader import data_types
from synthdata_infra.monitoring.catalog import metric_catalog
from synthdata_infra.monitoring.promql import gpu_memory_ratio
from synthdata_infra.planning import placement_for

DATASOURCE = DataSourceRef(type_val="prometheus", uid="${datasource}")
REFRESH = "10s"  # the seed's refresh interval


def _query(expr: str, legend: str, ref_id: str) -> prometheus.Dataquery:
    return prometheus.Dataquery().expr(expr).legend_format(legend).ref_id(ref_id)


def _series(title: str, unit: str, queries: list[tuple[str, str]], width: int = 12) -> timeseries.Panel:
    panel = timeseries.Panel().title(title).unit(unit).datasource(DATASOURCE).height(8).span(width)
    for index, (expr, legend) in enumerate(queries):
        panel = panel.with_target(_query(expr, legend, chr(ord("A") + index)))
    return panel


def _stat(title: str, unit: str, expr: str, legend: str, width: int = 6) -> stat.Panel:
    return stat.Panel().title(title).unit(unit).datasource(DATASOURCE).height(4).span(width).with_target(_query(expr, legend, "A"))


def _variables(board: dashboard.Dashboard, service_selector: str) -> dashboard.Dashboard:
    return board.with_variable(
        dashboard.DatasourceVariable("datasource").label("Data source").type("prometheus")
    ).with_variable(
        dashboard.QueryVariable("service")
        .label("Service")
        .datasource(DATASOURCE)
        .query(f"label_values({service_selector}, service)")
        .multi(True)
        .include_all(True)
        .all_value(".*")
    )


def type_panels(kind: str) -> list:
    """Throughput, latency quantiles, quality, errors, queue, scaling (and GPU for GPU types)."""
    selector = f'data_type="{kind}", service=~"$service"'
    metrics = metric_catalog().for_type(kind)
    histogram = next(m.name for m in metrics if m.kind == "histogram")
    scores = [m for m in metrics if m.kind == "gauge" and ("score" in m.name or "per_second" in m.name)]
    panels = [
        _series("Throughput", "ops", [(f"sum by (service) (rate(synthdata_records_generated_total{{{selector}}}[$__rate_interval]))", "{{service}}")]),
        _series(
            "Generation latency",
            "s",
            [
                (f"histogram_quantile({q}, sum by (le) (rate({histogram}_bucket[$__rate_interval])))", f"p{int(q * 100)}")
                for q in (0.5, 0.95, 0.99)
            ],
        ),
        _series("Quality", "none", [(f"avg by (model, dataset) ({m.name})", m.name.removeprefix(f"synthdata_{kind}_")) for m in scores]),
        _series("Errors", "reqps", [(f"sum by (service, error_type) (rate(synthdata_errors_total{{{selector}}}[$__rate_interval]))", "{{service}} {{error_type}}")]),
        _series("Queue length", "short", [(f"max by (service) (synthdata_queue_length{{{selector}}})", "{{service}}")]),
        _series(
            "Resource use",
            "percentunit",
            [(f"avg by (service) (synthdata_{r}_usage{{{selector}}})", f"{{{{service}}}} {r}") for r in ("cpu", "memory")],
        ),
        _series(
            "Replicas",
            "short",
            [(f"count by (service) (count by (service, pod) (synthdata_cpu_usage{{{selector}}}))", "{{service}} pods")],
        ),
    ]
    if resolve(kind, environment=None).gpu:
        panels += [
            _series("GPU utilisation", "percent", [("avg by (pod) (DCGM_FI_DEV_GPU_UTIL)", "{{pod}}")]),
            _series(
                "GPU memory",
                "percentunit",
                [(f"max by (pod) ({gpu_memory_ratio()})", "{{pod}}")],
            ),
        ]
    return panels


def type_dashboard(kind: str) -> dict:
    title = kind.replace("_", " ").title()
    board = (
        dashboard.Dashboard(f"Synthetic Data - {title} Synthesis")
        .uid(f"synthdata-{kind.replace('_', '-')}")
        .tags(["synthdata", kind])
        .refresh(REFRESH)
        .time("now-6h", "now")
    )
    board = _variables(board, f'synthdata_records_generated_total{{data_type="{kind}"}}')
    for panel in type_panels(kind):
        board = board.with_panel(panel)
    return board.build()


def cost_per_hour_expr(provider: str) -> str:
    """Pods of each type x the catalog's on-demand price of one replica on ``provider``."""
    terms = []
    for kind in data_types():
        placement = placement_for(resolve(kind, environment=None), provider)
        per_replica = round(placement.usd_per_hour / placement.replicas, 4)
        terms.append(f'(count(count by (pod) (synthdata_cpu_usage{{data_type="{kind}"}})) or vector(0)) * {per_replica}')
    return " + ".join(terms)


def unified_dashboard(provider: str = "aws") -> dict:
    """The seed's unified view: an overview row, then a row per data type."""
    board = (
        dashboard.Dashboard("Synthetic Data Platform - Unified View")
        .uid("synthdata-unified")
        .tags(["synthdata"])
        .refresh(REFRESH)
        .time("now-6h", "now")
    )
    board = _variables(board, "synthdata_records_generated_total")
    board = board.with_row(dashboard.Row("Platform Overview"))
    board = board.with_panel(_stat("Services reporting", "short", "count by (data_type) (count by (data_type, service) (synthdata_records_generated_total))", "{{data_type}}"))
    board = board.with_panel(
        _series("Total Synthetic Data Generated", "ops", [("sum(rate(synthdata_records_generated_total[5m])) by (data_type)", "{{data_type}}")], width=6)
    )
    board = board.with_panel(
        _series(
            "Resource utilisation",
            "percentunit",
            [(f"avg by (data_type) (synthdata_{r}_usage)", f"{{{{data_type}}}} {r}") for r in ("cpu", "memory", "gpu")],
            width=6,
        )
    )
    board = board.with_panel(
        _stat("Estimated cost per hour", "currencyUSD", cost_per_hour_expr(provider), f"on-demand, {provider} catalog")
        .description(f"Running pods of each type x the on-demand price of one replica in the {provider} catalog.")
    )
    for kind in data_types():
        board = board.with_row(dashboard.Row(f"{kind.replace('_', ' ').title()} Services"))
        for panel in type_panels(kind)[:4]:
            board = board.with_panel(panel)
    return board.build()


def to_json(built: object) -> str:
    return json.dumps(json.loads(JSONEncoder(sort_keys=True, indent=2).encode(built)), sort_keys=True, indent=2) + "\n"


def dashboard_files(provider: str = "aws") -> dict[str, str]:
    files = {f"{kind}.json": to_json(type_dashboard(kind)) for kind in data_types()}
    files["unified.json"] = to_json(unified_dashboard(provider))
    return files
