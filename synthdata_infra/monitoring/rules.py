"""Prometheus recording and alerting rules: common, GPU, and one group per data type.

Rules are plain Prometheus rule files (``groups:``), so ``promtool`` checks and tests them and
every backend (Amazon Managed Prometheus, Azure Monitor, GCP Cloud Monitoring, an in-cluster
Prometheus) loads the same text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field

from synthdata_infra.config import resolve
from synthdata_infra.config.loader import data_types, load_yaml, type_folder, validate
from synthdata_infra.config.models import Duration
from synthdata_infra.errors import ConfigError
from synthdata_infra.monitoring.promql import gpu_memory_ratio

@dataclass(frozen=True)
class Alert:
    name: str
    expr: str
    for_: str
    severity: str
    summary: str
    description: str

    def rule(self, runbook_base_url: str) -> dict:
        return {
            "alert": self.name,
            "expr": self.expr,
            "for": self.for_,
            "labels": {"severity": self.severity},
            "annotations": {
                "summary": self.summary,
                "description": self.description,
                "runbook_url": f"{runbook_base_url}/{self.name.lower()}",
            },
        }


RECORDING = [
    {"record": "synthdata:records_generated:rate5m", "expr": "sum by (data_type, service) (rate(synthdata_records_generated_total[5m]))"},
    {"record": "synthdata:errors:rate5m", "expr": "sum by (data_type, service) (rate(synthdata_errors_total[5m]))"},
    # The HPA's external metric for p99 latency triggers (synthdata_infra.monitoring.scaling_signals).
    {
        "record": "synthdata_generation_duration_seconds_p99",
        "expr": "histogram_quantile(0.99, sum by (le, data_type, service) (rate(synthdata_generation_duration_seconds_bucket[5m])))",
    },
]

COMMON_ALERTS = [
    Alert(
        "HighErrorRate",
        "sum by (data_type, service) (rate(synthdata_errors_total[5m])) > 0.05",
        "10m",
        "warning",
        "High error rate in {{ $labels.service }}",
        "{{ $labels.service }} ({{ $labels.data_type }}) fails {{ printf \"%.2f\" $value }} requests per second over 5 minutes.",
    ),
    Alert(
        "ResourceExhaustion",
        "max by (data_type, service) (synthdata_cpu_usage) > 0.9"
        " or max by (data_type, service) (synthdata_memory_usage) > 0.9"
        " or max by (data_type, service) (synthdata_gpu_usage) > 0.95",
        "15m",
        "critical",
        "Resources exhausted in {{ $labels.service }}",
        "{{ $labels.service }} has run above 90% CPU or memory, or 95% GPU, for 15 minutes (now {{ $value | humanizePercentage }}).",
    ),
]

GPU_RECORDING = [
    # Per GPU, with DCGM's namespace and pod labels; also the HPA's pods metric.
    {"record": "synthdata_gpu_memory_usage_ratio", "expr": gpu_memory_ratio()},
]

GPU_ALERTS = [
    Alert(
        "GPUMemoryPressure",
        "synthdata_gpu_memory_usage_ratio > 0.9",
        "5m",
        "critical",
        "GPU memory pressure in {{ $labels.namespace }}/{{ $labels.pod }}",
        "GPU {{ $labels.gpu }} of {{ $labels.pod }} has used {{ $value | humanizePercentage }} of its memory for 5 minutes.",
    ),
]

ALERTS_FILE = "alerts.yaml"


class TypeAlert(BaseModel):
    """One entry of ``profiles/<type>/alerts.yaml``."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    alert: str = Field(pattern=r"^[A-Z][A-Za-z0-9]*$")
    expr: str = Field(min_length=1)
    for_: Duration = Field(alias="for")
    severity: Literal["warning", "critical"]
    summary: str = Field(min_length=1)
    description: str = Field(min_length=1)


class TypeAlerts(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    alerts: tuple[TypeAlert, ...] = ()


def type_alerts(kind: str) -> list[Alert]:
    """The quality alerts of ``kind``, from its folder: thresholds a practitioner would start
    from; tune them per model there."""
    label = f"profiles/{kind}/{ALERTS_FILE}"
    path = type_folder(kind) / ALERTS_FILE
    if not path.is_file():
        return []
    entries = validate(TypeAlerts, load_yaml(path, label), prefix=f"{label}:").alerts
    return [Alert(a.alert, a.expr, a.for_, a.severity, a.summary, a.description) for a in entries]


BACKLOG_FACTOR = 2  # alert when the queue stays above twice the autoscaling trigger


def _backlog_and_absence(kind: str) -> list[Alert]:
    """Alerts every type gets, with thresholds from its profile."""
    title = "".join(part.capitalize() for part in kind.split("_"))
    alerts = []
    config = resolve(kind, environment=None)
    queue = next((t for t in config.scaling.triggers if t.metric == "queue_length"), None)
    if queue:
        limit = int(queue.threshold * BACKLOG_FACTOR)
        alerts.append(
            Alert(
                f"{title}QueueBacklog",
                f'max by (service) (synthdata_queue_length{{data_type="{kind}"}}) > {limit}',
                "15m",
                "warning",
                "Queue backlog in {{ $labels.service }}",
                f"{{{{ printf \"%.0f\" $value }}}} requests wait for 15 minutes, twice the autoscaling trigger ({int(queue.threshold)}): "
                "scaling is not keeping up (max replicas or node capacity reached?).",
            )
        )
    alerts.append(
        Alert(
            f"{title}MetricsAbsent",
            f'absent(synthdata_records_generated_total{{data_type="{kind}"}})',
            "15m",
            "warning",
            f"No {kind} metrics",
            f"No {kind} generator has reported synthdata_records_generated_total for 15 minutes: "
            "the service is down or no longer scraped.",
        )
    )
    return alerts


def all_alert_names(types: tuple[str, ...] | None = None) -> list[str]:
    return [rule["alert"] for group in rule_groups(types) for rule in group["rules"] if "alert" in rule]


def rule_groups(types: tuple[str, ...] | None = None) -> list[dict]:
    """Rule groups for the deployed ``types`` (default: every type): common, GPU (if any GPU
    type), then per type."""
    types = types or data_types()
    runbooks = resolve(types[0], environment=None).monitoring.alerts.runbook_base_url
    groups = [
        {"name": "synthdata_recording", "interval": "1m", "rules": RECORDING},
        {"name": "synthdata_common", "rules": [alert.rule(runbooks) for alert in COMMON_ALERTS]},
    ]
    if any(resolve(kind, environment=None).gpu for kind in types):
        groups.append({"name": "synthdata_gpu", "rules": [*GPU_RECORDING, *(a.rule(runbooks) for a in GPU_ALERTS)]})
    owner: dict[str, str] = {alert.name: "the common rules" for alert in (*COMMON_ALERTS, *GPU_ALERTS)}
    for kind in types:
        alerts = [*type_alerts(kind), *_backlog_and_absence(kind)]
        for alert in alerts:
            if alert.name in owner:
                raise ConfigError(f"profiles/{kind}/{ALERTS_FILE}", alert.name, f"an alert name of its own ({owner[alert.name]} use it too)")
            owner[alert.name] = f"profiles/{kind}"
        groups.append({"name": f"synthdata_{kind}", "rules": [alert.rule(runbooks) for alert in alerts]})
    return groups


TESTS_FILE = "alerts_test.yml"


def type_rule_tests(kind: str) -> list[dict]:
    """The promtool test cases of ``kind`` (``profiles/<type>/alerts_test.yml``, ``tests:``)."""
    label = f"profiles/{kind}/{TESTS_FILE}"
    path = type_folder(kind) / TESTS_FILE
    if not path.is_file():
        raise ConfigError(label, "a missing file", "every data type tests its alerts with promtool cases there (tests: [...])")
    tests = load_yaml(path, label).get("tests")
    if not isinstance(tests, list) or not tests:
        raise ConfigError(f"{label}:tests", tests, "expected a list of promtool test groups (interval, input_series, alert_rule_test)")
    return tests


def promtool_test_file(tests: list[dict], types: tuple[str, ...] | None = None) -> str:
    """A ``promtool test rules`` file running ``tests`` against the rule files of ``types``,
    which it expects beside it (the names ``rules_files`` gives)."""
    document = {"rule_files": list(rules_files(types)), "evaluation_interval": "1m", "tests": tests}
    return yaml.safe_dump(document, sort_keys=False, width=1000)


def rules_files(types: tuple[str, ...] | None = None) -> dict[str, str]:
    """File name -> Prometheus rules YAML, one file per group."""
    return {
        f"{group['name'].removeprefix('synthdata_')}.rules.yml": yaml.safe_dump({"groups": [group]}, sort_keys=False, width=1000)
        for group in rule_groups(types)
    }
