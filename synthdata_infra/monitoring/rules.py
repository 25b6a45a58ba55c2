"""Prometheus recording and alerting rules: common, GPU, and one group per data type.

Rules are plain Prometheus rule files (``groups:``), so ``promtool`` checks and tests them and
every backend (Amazon Managed Prometheus, Azure Monitor, GCP Cloud Monitoring, an in-cluster
Prometheus) loads the same text.
"""

from __future__ import annotations

from dataclasses import dataclass

import yaml

from synthdata_infra.config import resolve
from synthdata_infra.config.loader import DATA_TYPES

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
    {"record": "synthdata_gpu_memory_usage_ratio", "expr": "DCGM_FI_DEV_FB_USED / (DCGM_FI_DEV_FB_USED + DCGM_FI_DEV_FB_FREE)"},
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

# Per type: (quality alerts) — thresholds a practitioner would start from; tune per model.
TYPE_ALERTS: dict[str, list[Alert]] = {
    "tabular": [
        Alert(
            "TabularPrivacyScoreDrop",
            "min by (service, dataset) (synthdata_tabular_privacy_score) < 0.8",
            "15m",
            "critical",
            "Privacy score of {{ $labels.dataset }} dropped",
            "Privacy preservation of {{ $labels.dataset }} is {{ printf \"%.2f\" $value }} (below 0.8) for 15 minutes: generated records may disclose source rows.",
        ),
        Alert(
            "TabularSchemaValidationErrors",
            "sum by (service, dataset) (rate(synthdata_tabular_schema_validation_errors_total[10m])) > 0",
            "15m",
            "warning",
            "Schema validation errors for {{ $labels.dataset }}",
            "Generated records of {{ $labels.dataset }} fail schema validation ({{ printf \"%.2f\" $value }} per second).",
        ),
    ],
    "time_series": [
        Alert(
            "TimeSeriesPrivacyScoreDrop",
            "min by (service, dataset) (synthdata_time_series_privacy_score) < 0.8",
            "15m",
            "critical",
            "Privacy score of {{ $labels.dataset }} dropped",
            "Privacy preservation of {{ $labels.dataset }} is {{ printf \"%.2f\" $value }} (below 0.8) for 15 minutes.",
        ),
        Alert(
            "TimeSeriesLowAutocorrelationSimilarity",
            "avg by (service, dataset) (synthdata_time_series_autocorrelation_similarity_score) < 0.7",
            "30m",
            "warning",
            "Synthetic series of {{ $labels.dataset }} lost their temporal structure",
            "Autocorrelation similarity is {{ printf \"%.2f\" $value }} (below 0.7) for 30 minutes.",
        ),
    ],
    "text": [
        Alert(
            "TextPIILeak",
            "sum by (service, model) (increase(synthdata_text_pii_leaks_total[15m])) > 0",
            "0m",
            "critical",
            "Generated text contained personal data ({{ $labels.model }})",
            "PII detection flagged {{ printf \"%.0f\" $value }} generated documents of {{ $labels.model }} in 15 minutes.",
        ),
        Alert(
            "TextHighPerplexity",
            "avg by (service, model) (synthdata_text_perplexity_score) > 100",
            "30m",
            "warning",
            "Generated text of {{ $labels.model }} degraded",
            "Perplexity is {{ printf \"%.2f\" $value }} (above 100) for 30 minutes.",
        ),
    ],
    "image": [
        Alert(
            "LowImageQuality",
            "avg by (service, model) (synthdata_image_fid_score) > 50",
            "30m",
            "warning",
            "Low image quality from {{ $labels.model }}",
            "FID of {{ $labels.model }} is {{ printf \"%.2f\" $value }} (above 50) for 30 minutes.",
        ),
    ],
    "audio": [
        Alert(
            "LowAudioQuality",
            "avg by (service, model) (synthdata_audio_mos_score) < 3.5",
            "30m",
            "warning",
            "Low audio quality from {{ $labels.model }}",
            "Predicted MOS of {{ $labels.model }} is {{ printf \"%.2f\" $value }} (below 3.5) for 30 minutes.",
        ),
    ],
    "video": [
        Alert(
            "VideoLowTemporalConsistency",
            "avg by (service, model) (synthdata_video_temporal_consistency_score) < 0.7",
            "30m",
            "warning",
            "Flickering video from {{ $labels.model }}",
            "Temporal consistency of {{ $labels.model }} is {{ printf \"%.2f\" $value }} (below 0.7) for 30 minutes.",
        ),
        Alert(
            "VideoEncodingBacklog",
            "max by (service) (synthdata_video_encoding_queue_depth) > 100",
            "15m",
            "warning",
            "Encoding backlog in {{ $labels.service }}",
            "{{ printf \"%.0f\" $value }} clips wait for encoding for 15 minutes.",
        ),
    ],
}

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


def all_alert_names(types: tuple[str, ...] = DATA_TYPES) -> list[str]:
    return [rule["alert"] for group in rule_groups(types) for rule in group["rules"] if "alert" in rule]


def rule_groups(types: tuple[str, ...] = DATA_TYPES) -> list[dict]:
    """Rule groups for the deployed ``types``: common, GPU (if any GPU type), then per type."""
    runbooks = resolve(types[0], environment=None).monitoring.alerts.runbook_base_url
    groups = [
        {"name": "synthdata_recording", "interval": "1m", "rules": RECORDING},
        {"name": "synthdata_common", "rules": [alert.rule(runbooks) for alert in COMMON_ALERTS]},
    ]
    if any(resolve(kind, environment=None).gpu for kind in types):
        groups.append({"name": "synthdata_gpu", "rules": [*GPU_RECORDING, *(a.rule(runbooks) for a in GPU_ALERTS)]})
    for kind in types:
        alerts = [*TYPE_ALERTS[kind], *_backlog_and_absence(kind)]
        groups.append({"name": f"synthdata_{kind}", "rules": [alert.rule(runbooks) for alert in alerts]})
    return groups


def rules_files(types: tuple[str, ...] = DATA_TYPES) -> dict[str, str]:
    """File name -> Prometheus rules YAML, one file per group."""
    return {
        f"{group['name'].removeprefix('synthdata_')}.rules.yml": yaml.safe_dump({"groups": [group]}, sort_keys=False, width=1000)
        for group in rule_groups(types)
    }
