"""How each scaling trigger of a profile is measured: as an HPA metric and as a PromQL query.

One table, read by the HPA and the KEDA ScaledObject alike, so both scale on the same signal.
Thresholds in profiles are ratios (0.9) or plain values (1000 items, 30 s); ``hpa_scale``
converts a threshold into the unit the HPA metric reports.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from synthdata_infra.monitoring.promql import gpu_memory_ratio


@dataclass(frozen=True)
class ScalingSignal:
    source: Literal["resource", "pods", "external"]
    name: str  # resource name (cpu, memory) or metric name served by the metrics adapter
    target: Literal["Utilization", "AverageValue", "Value"]
    hpa_scale: float
    query: str  # PromQL for KEDA; {selector} is the pods' label matcher, {service} the service name


SIGNALS: dict[str, ScalingSignal] = {
    "cpu_usage": ScalingSignal(
        "resource", "cpu", "Utilization", 100,
        'sum(rate(container_cpu_usage_seconds_total{{{selector}, container="generator"}}[2m]))'
        ' / sum(kube_pod_container_resource_requests{{{selector}, container="generator", resource="cpu"}})',
    ),
    "memory_usage": ScalingSignal(
        "resource", "memory", "Utilization", 100,
        'sum(container_memory_working_set_bytes{{{selector}, container="generator"}})'
        ' / sum(kube_pod_container_resource_requests{{{selector}, container="generator", resource="memory"}})',
    ),
    "queue_length": ScalingSignal(
        "external", "synthdata_queue_length", "AverageValue", 1,
        'sum(synthdata_queue_length{{service="{service}"}})',
    ),
    # DCGM reports utilisation in percent; profiles give a ratio.
    "gpu_utilization": ScalingSignal(
        "pods", "DCGM_FI_DEV_GPU_UTIL", "AverageValue", 100,
        "avg(DCGM_FI_DEV_GPU_UTIL{{{selector}}}) / 100",
    ),
    "gpu_memory_usage": ScalingSignal(
        "pods", "synthdata_gpu_memory_usage_ratio", "AverageValue", 1,
        # A str.format template like the other queries: "{{{selector}}}" renders as {<selector>}.
        "max(" + gpu_memory_ratio("{{{selector}}}") + ")",
    ),
    "p99_latency_seconds": ScalingSignal(
        "external", "synthdata_generation_duration_seconds_p99", "Value", 1,
        'histogram_quantile(0.99, sum by (le) (rate(synthdata_generation_duration_seconds_bucket{{service="{service}"}}[5m])))',
    ),
}


def quantity(value: float) -> str:
    """A Kubernetes quantity: whole numbers as is, fractions in milli-units (0.85 -> 850m)."""
    if float(value).is_integer():
        return str(int(value))
    return f"{round(value * 1000)}m"
