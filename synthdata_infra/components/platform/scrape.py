"""What a cloud's managed Prometheus scrapes in the platform: the exporters the platform installs
(DCGM exporter, kube-state-metrics), described once and written as each collector's own kind."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class ScrapeTarget(BaseModel):
    """Pods of one exporter the platform installed: where they run and how they expose metrics."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str  # object name (a DNS label)
    namespace: str
    match_labels: dict[str, str]  # selects the exporter's pods
    port: str  # the container port's name
    path: str = "/metrics"
    interval: str = "30s"
