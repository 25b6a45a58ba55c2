"""The Python API of the seed: deploy, scale, destroy and watch synthetic-data services.

>>> infra = SyntheticDataInfrastructure(provider="aws")
>>> result = infra.deploy_service(
...     data_type=DataType.TABULAR,
...     service_name="customer-synth",
...     environment="production",
...     replicas=5,
...     config_overrides={"resources": {"memory": "32Gi"}},
... )
>>> result.success, result.endpoint, result.monitoring_url

Each call records the service in ``environments/<environment>.yaml``, synthesizes its root
stack and runs Terraform, exactly as the CLI does (the CLI is a thin layer over this class).
``plan_only=True`` (per call, or for every call of the object) writes nothing and applies
nothing: the roots are synthesized into a scratch folder and planned there. Bad input raises
``ConfigError`` naming the key path; a failed Terraform run returns a result with
``success=False`` and Terraform's message.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any, Mapping

from synthdata_infra import providers
from synthdata_infra.config import ServiceEntry, data_types
from synthdata_infra.config.loader import check_data_type, validate
from synthdata_infra.deploy.engine import Engine, Outcome
from synthdata_infra.deploy.health import Health, health_of
from synthdata_infra.deploy.metrics import check_url
from synthdata_infra.deploy.terraform import Report, TerraformFailure
from synthdata_infra.errors import ConfigError
from synthdata_infra.planning import check_provider

__all__ = ["DashboardUrl", "DataType", "DeploymentResult", "ServiceStatus", "SyntheticDataInfrastructure"]

# The seed's enum, made from the project's profiles/ folders when the module is imported
# (``DataType.TABULAR == "tabular"``); plain strings are accepted everywhere too.
DataType = Enum("DataType", {kind.upper(): kind for kind in data_types()}, type=str)


@dataclass(frozen=True)
class DeploymentResult:
    success: bool
    service_name: str
    environment: str
    data_type: str
    provider: str
    status: str  # deployed | planned | failed | destroyed | forgotten (a local service whose API was gone)
    endpoint: str | None = None  # URL of the service (None when the Kubernetes layer was skipped)
    monitoring_url: str | None = None  # the unified dashboard in Grafana; None where no Grafana runs (no dashboard to open)
    outputs: dict[str, Any] = field(default_factory=dict)  # the service root's Terraform outputs
    skipped: tuple[str, ...] = ()  # layers not applied (the local target skips kubernetes)
    message: str = ""
    unplanned: dict[str, str] = field(default_factory=dict)  # plan-only: root -> why Terraform could not plan it


@dataclass(frozen=True)
class DashboardUrl:
    """Where the unified dashboard is: a Grafana URL once a Grafana workspace runs, and always
    the dashboard JSON (Grafana 11) written for import or provisioning."""

    path: Path
    url: str | None = None
    note: str | None = None  # why there is no url

    def __str__(self) -> str:
        return self.url or (f"{self.path} ({self.note})" if self.note else str(self.path))


@dataclass(frozen=True)
class ServiceStatus:
    service_name: str
    environment: str
    data_type: str
    provider: str
    # deployed | planned | failed | drifted | not deployed | lost (local API not running) | lost (Terraform state
    # is empty) | deployed (from state, no record) | deployed (from local state, no record) | unknown (<why>)
    status: str
    target: str | None  # cloud | local | None (never applied)
    # healthy | scaling | degraded | down | unknown, with why, replicas, alerts, throughput and use
    health: Health


def monitoring_url(monitoring: Mapping[str, Any]) -> str | None:
    """The unified dashboard's URL in the monitoring root's Grafana (``<grafana>/d/<uid>``, imported by
    the root's dashboards module), or None where no Grafana runs: a Prometheus API endpoint is no page
    to open (``status`` reads it for health)."""
    value = monitoring.get("unified_dashboard_url")
    return str(value) if value else None


class SyntheticDataInfrastructure:
    """Deploy and monitor synthetic-data services on one provider (aws, gcp, azure, onprem).

    ``deploy_service`` deploys on ``provider``; ``scale_service`` and ``destroy_service`` act on a
    recorded service on whatever provider its environment file names (``provider=None`` is then
    enough). ``local`` and ``plan_only`` are the defaults of every ``deploy_service`` call."""

    def __init__(
        self,
        provider: str | None,
        config_path: str | Path | None = None,
        *,
        local: bool = False,
        plan_only: bool = False,
        report: Report | None = None,
    ) -> None:
        self.provider = check_provider(provider) if provider is not None else None
        self.local = local
        self.plan_only = plan_only
        self.engine = Engine(Path(config_path) if config_path else None, report=report, note=self._note)
        self.notes: list[str] = []

    def _note(self, message: str) -> None:
        self.notes.append(message)

    def deploy_service(
        self,
        data_type: DataType | str,
        service_name: str,
        environment: str = "production",
        *,
        version: str | None = None,
        replicas: int | None = None,
        config_overrides: Mapping[str, Any] | None = None,
        metadata: Mapping[str, str] | None = None,
        image: str | None = None,
        plan_only: bool | None = None,
        local: bool | None = None,
    ) -> DeploymentResult:
        """Deploy (or update) ``service_name``. ``version`` is the tag of the environment's image
        (never ``latest``; ``image`` names a whole image instead); ``metadata`` becomes labels on
        the service's Kubernetes objects and tags (GCP: labels) on its cloud resources. Both are
        recorded with the service, so later deploys and scales keep them."""
        if self.provider is None:
            raise ConfigError("provider", None, f"a provider to deploy on: SyntheticDataInfrastructure(provider=...), one of {', '.join(providers.names())}")
        kind = check_data_type(str(getattr(data_type, "value", data_type)))
        entry = validate(
            ServiceEntry,
            {
                "name": service_name,
                "data_type": kind,
                "provider": self.provider,
                "replicas": replicas,
                "image": image,
                "version": version,
                "overrides": dict(config_overrides or {}),
                "metadata": dict(metadata or {}),
            },
        )
        local = self.local if local is None else local
        plan_only = self.plan_only if plan_only is None else plan_only
        return self._run(
            lambda: self.engine.deploy(environment, entry, plan_only=plan_only, local=local), entry.name, environment, kind, self.provider
        )

    def scale_service(self, service_name: str, replicas: int, environment: str | None = None) -> DeploymentResult:
        """Scale a recorded service (on the provider its environment file names)."""
        if replicas < 1:
            raise ConfigError("--replicas", replicas, "expected a whole number >= 1")
        return self._recorded(service_name, environment, lambda: self.engine.scale(service_name, replicas, environment))

    def destroy_service(self, service_name: str, environment: str | None = None, *, delete_data: bool = False) -> DeploymentResult:
        """Destroy a recorded service (on the provider its environment file names); its data
        (bucket, key, audit logs, secrets) is kept outside Terraform's state unless ``delete_data``."""
        return self._recorded(service_name, environment, lambda: self.engine.destroy(service_name, environment, delete_data=delete_data))

    def _recorded(self, service_name: str, environment: str | None, action) -> DeploymentResult:
        env = self.engine.environment_of(service_name, environment)
        entry = env.service(service_name)
        assert entry is not None
        return self._run(action, service_name, env.name, entry.data_type, entry.provider)

    def status(self, environment: str | None = None, prometheus_url: str | None = None) -> list[ServiceStatus]:
        """Each service's deployment status and health, read from ``prometheus_url`` or else from
        the query endpoint its environment's monitoring recorded (see ``deploy.health``)."""
        url = check_url(prometheus_url) if prometheus_url else None
        found = self.engine.status(environment)
        return [
            ServiceStatus(
                service_name=plan.name,
                environment=plan.environment.name,
                data_type=plan.data_type,
                provider=plan.provider,
                status=status,
                target=record.target if record else None,
                health=health,
            )
            for (plan, status, record), health in zip(found, health_of(found, url))
        ]

    def get_unified_dashboard(self, environment: str = "production") -> DashboardUrl:
        """The unified dashboard (every type, this provider's cost figures): its URL in the Grafana
        the environment's monitoring root created and imported it into, else the JSON file and why
        there is no URL."""
        from synthdata_infra.monitoring.dashboards import to_json, unified_dashboard

        text = to_json(unified_dashboard(providers.get(self.provider).cost_catalog))
        path = self.engine.state / "dashboards" / f"unified-{self.provider}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        for plan, _, record in self.engine.status(environment):
            url = monitoring_url(record.monitoring or {}) if record else None
            if plan.provider == self.provider and url:  # the monitoring module's <grafana>/d/<uid of unified.json>
                return DashboardUrl(path=path, url=url)
        grafana = providers.get(self.provider).dashboards is not None
        note = (
            f"no Grafana with the imported dashboards is recorded for {self.provider} in {environment} "
            "(monitoring.grafana.enabled is false, the local target, or no deploy yet): import the JSON file"
            if grafana
            else f"{self.provider}'s monitoring module creates no Grafana: import the JSON file into yours"
        )
        return DashboardUrl(path=path, note=note)

    def _run(self, action, service_name: str, environment: str, data_type: str, provider: str) -> DeploymentResult:
        try:
            outcome: Outcome = action()
        except TerraformFailure as failure:
            return DeploymentResult(
                success=False,
                service_name=service_name,
                environment=environment,
                data_type=data_type,
                provider=provider,
                status="failed",
                message=str(failure),
            )
        record = outcome.record
        outputs = record.outputs if record else {}
        return DeploymentResult(
            success=True,
            service_name=outcome.plan.name,
            environment=outcome.plan.environment.name,
            data_type=outcome.plan.data_type,
            provider=outcome.plan.provider,
            status=outcome.result,
            endpoint=outcome.endpoint,
            monitoring_url=monitoring_url(record.monitoring) if record else None,
            outputs=outputs,
            skipped=tuple(outcome.skipped),
            message="; ".join(outcome.notes + self.notes),
            unplanned=dict(outcome.unplanned),
        )
