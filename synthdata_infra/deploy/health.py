"""Health of each service for ``status``, as the seed's table shows it, read from Prometheus.

- ``down``: no replica is ready, or the service exports no metrics;
- ``degraded``: fewer replicas ready than its floor (the replica count the environment file
  records), or a critical alert firing for it;
- ``scaling``: the replicas wanted, running and ready differ;
- ``healthy``: none of these;
- ``unknown (<why>)``: no Prometheus answered.

Readiness comes from kube-state-metrics (the workload module names the deployment after the
service, in the service's namespace), alerts from Prometheus's ``ALERTS`` series, throughput and
use from the service's own metrics. The Prometheus is ``--prometheus-url``, or else the query
endpoint the environment's monitoring root output at its last deploy (Amazon Managed Prometheus
is asked with SigV4-signed requests).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from synthdata_infra.deploy.metrics import Prometheus, Unanswered, throughput_query, usage_query
from synthdata_infra.deploy.plan import ServicePlan

HEALTHY, SCALING, DEGRADED, DOWN, UNKNOWN = "healthy", "scaling", "degraded", "down", "unknown"

# Outputs of the monitoring roots that hold a Prometheus query API (AWS: the AMP workspace's
# endpoint; Azure: the Monitor workspace's query endpoint).
QUERY_OUTPUTS = ("prometheus_endpoint", "query_endpoint")


@dataclass(frozen=True)
class Health:
    state: str  # healthy | scaling | degraded | down | unknown
    reason: str = ""  # why, for every state but healthy
    desired_replicas: int | None = None
    current_replicas: int | None = None
    ready_replicas: int | None = None
    replica_floor: int | None = None
    critical_alerts: tuple[str, ...] = ()
    throughput_per_hour: float | None = None
    usage: float | None = None  # 0-1, of usage_resource
    usage_resource: str = "CPU"
    prometheus: str | None = None  # the URL read

    @property
    def label(self) -> str:
        return f"{self.state} ({self.reason})" if self.reason else self.state

    def as_dict(self) -> dict[str, Any]:
        return {
            "health": self.state,
            "health_reason": self.reason,
            "replicas": {
                "desired": self.desired_replicas,
                "current": self.current_replicas,
                "ready": self.ready_replicas,
                "floor": self.replica_floor,
            },
            "critical_alerts": list(self.critical_alerts),
            "throughput_per_hour": self.throughput_per_hour,
            "usage": self.usage,
            "usage_resource": self.usage_resource,
            "prometheus": self.prometheus,
        }


def classify(
    *, desired: int | None, current: int | None, ready: int | None, floor: int, alerts: tuple[str, ...], exports_metrics: bool
) -> tuple[str, str]:
    """The health state and its reason; the worst state found wins."""
    if not exports_metrics:
        return DOWN, "no metrics from the service"
    if not ready:
        return DOWN, "no ready replica" if ready == 0 else "no readiness reported by kube-state-metrics"
    if alerts:
        return DEGRADED, f"critical alert firing: {', '.join(alerts)}"
    if ready < floor:
        return DEGRADED, f"{ready} ready, below the floor of {floor}"
    if desired is not None and ready != desired:
        return SCALING, f"{ready} of {desired} ready"
    if desired is not None and current is not None and current != desired:
        return SCALING, f"{current} running for {desired} wanted"
    return HEALTHY, ""


@dataclass
class Sources:
    """Which Prometheus each service is read from: ``--prometheus-url`` for all, or else the query
    endpoint its environment's monitoring root recorded for its provider (one client per URL,
    so a Prometheus that does not answer is asked once)."""

    url: str | None
    recorded: dict[tuple[str, str], str] = field(default_factory=dict)  # (environment, provider) -> endpoint
    clients: dict[str, Prometheus] = field(default_factory=dict)

    @classmethod
    def of(cls, url: str | None, records: list[Any]) -> Sources:
        recorded: dict[tuple[str, str], str] = {}
        for record in records:
            if record is None or record.target != "cloud":
                continue
            endpoint = next((record.monitoring[key] for key in QUERY_OUTPUTS if record.monitoring.get(key)), None)
            if endpoint:
                base = endpoint if str(endpoint).startswith("http") else f"https://{endpoint}"
                recorded.setdefault((record.environment, record.provider), base)
        return cls(url, recorded)

    def client(self, service: ServicePlan, record: Any) -> Prometheus | str:
        """The Prometheus to read ``service`` from, or why there is none."""
        url = self.url
        if url is None:
            if record is not None and record.target == "local":
                return "the local target runs no cluster: pass --prometheus-url"
            url = self.recorded.get((service.environment.name, service.provider))
            if url is None:
                return f"no query endpoint recorded for {service.provider} in {service.environment.name}: pass --prometheus-url"
        return self.clients.setdefault(url, Prometheus(url))


def _deployment(service: ServicePlan) -> str:
    return f'namespace="{service.namespace}",deployment="{service.name}"'


def _count(value: float | None) -> int | None:
    return None if value is None else int(value)


def assess(service: ServicePlan, source: Prometheus | str) -> Health:
    """The health of ``service`` from ``source`` (a reason string: unknown, with that reason)."""
    uses_gpu = service.config.gpu is not None
    usage_promql, resource = usage_query(service.name, uses_gpu)
    floor = service.config.replicas
    if isinstance(source, str):
        return Health(UNKNOWN, source, replica_floor=floor, usage_resource=resource)
    selector = _deployment(service)
    try:
        desired = _count(source.value(f"max(kube_deployment_spec_replicas{{{selector}}})"))
        current = _count(source.value(f"max(kube_deployment_status_replicas{{{selector}}})"))
        ready = _count(
            source.value(
                f"max(kube_deployment_status_replicas_ready{{{selector}}})"
                f" or max(kube_deployment_status_replicas_available{{{selector}}})"
            )
        )
        alerts = tuple(
            sorted(
                {
                    labels.get("alertname", "?")
                    for labels, _ in source.vector(f'ALERTS{{alertstate="firing",severity="critical",service="{service.name}"}}')
                }
            )
        )
        exports = bool(source.vector(f'synthdata_records_generated_total{{service="{service.name}"}}'))
        throughput = source.value(throughput_query(service.name))
        usage = source.value(usage_promql)
    except Unanswered as reason:
        return Health(UNKNOWN, " ".join(str(reason).split()), replica_floor=floor, usage_resource=resource, prometheus=source.url)
    state, reason = classify(desired=desired, current=current, ready=ready, floor=floor, alerts=alerts, exports_metrics=exports)
    return Health(
        state,
        reason,
        desired_replicas=desired,
        current_replicas=current,
        ready_replicas=ready,
        replica_floor=floor,
        critical_alerts=alerts,
        throughput_per_hour=throughput,
        usage=usage,
        usage_resource=resource,
        prometheus=source.url,
    )


def health_of(rows: list[tuple[ServicePlan, str, Any]], prometheus_url: str | None) -> list[Health]:
    """The health of each service of ``Engine.status``'s rows, in their order."""
    sources = Sources.of(prometheus_url, [record for _, _, record in rows])
    return [assess(plan, sources.client(plan, record)) for plan, _, record in rows]
