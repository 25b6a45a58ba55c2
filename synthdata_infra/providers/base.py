"""What a provider is: the one interface every provider class implements.

A provider owns everything that differs between clouds: the modules it synthesizes (their
output folder, provider binding and builder), its monitoring module, its Terraform provider
binding and tested version range, whether it has an instance catalog, the literal inputs a root
passes its cloud module, and the provider blocks and cluster lookups of its roots.

The class attributes are plain data, read without importing cdktf (the synth driver and the CLI
use them); only the ``*_root`` methods import the bindings, when a root is built.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from synthdata_infra.catalog import Placement
    from synthdata_infra.config import Environment, ServiceConfig
    from synthdata_infra.config.environment import SlackReceiver
    from synthdata_infra.config.models import Monitoring
    from synthdata_infra.deploy.plan import ServicePlan, Target
    from synthdata_infra.deploy.roots import MonitoringOutputs, RootStack


@dataclass(frozen=True)
class Binding:
    """A Terraform provider the modules require: local name, source, tested version range, and
    the provider block the generated minimal examples show."""

    name: str  # local name in required_providers, and the cdktf binding (synthdata_infra.cdk)
    source: str
    version: str  # oldest version tested, below the next major
    example_block: str

    @property
    def requirement(self) -> dict[str, str]:
        return {"source": self.source, "version": self.version}


@dataclass(frozen=True)
class ModuleLayer:
    """A module a provider synthesizes: ``modules_out/<folder>/<name>``, built in the worker
    process of ``binding`` by ``builder`` ("package.module:function")."""

    folder: str
    binding: str
    builder: str


KUBERNETES = Binding(
    "kubernetes", "hashicorp/kubernetes", ">= 2.38.0, < 3.0.0", 'provider "kubernetes" {\n  config_path = "~/.kube/config"\n}'
)
# helm provider 3.x (the cdktf binding 12.1.2 is generated from 3.1.1): the platform modules' charts.
HELM = Binding("helm", "hashicorp/helm", ">= 3.1.1, < 4.0.0", 'provider "helm" {\n  kubernetes = {\n    config_path = "~/.kube/config"\n  }\n}')
# grafana/grafana 4.x: the dashboards import (grafana_folder, grafana_dashboard). No cdktf binding is
# published: the modules use cdktf's generic TerraformResource. Arguments checked in the provider's
# source at v4.0.0 and v4.45.1 (github.com/grafana/terraform-provider-grafana, internal/resources/grafana).
GRAFANA = Binding(
    "grafana",
    "grafana/grafana",
    ">= 4.0.0, < 5.0.0",
    'provider "grafana" {\n  url = "https://grafana.example.com" # auth: the GRAFANA_AUTH environment variable\n}',
)
WORKLOAD = ModuleLayer("kubernetes", "kubernetes", "synthdata_infra.synth.workload_module:build")


class Provider:
    """One place a service runs. Subclasses set the attributes and override what differs."""

    name: ClassVar[str]
    binding: ClassVar[Binding]  # the provider's own Terraform provider
    modules: ClassVar[tuple[ModuleLayer, ...]]  # per data type, in this order
    monitoring: ClassVar[ModuleLayer]  # one per provider, covering every type
    platform: ClassVar[ModuleLayer | None] = None  # once per cluster: what the other layers assume a cluster has
    # Whether `deploy` applies the platform root after the monitoring root (it reads the monitoring
    # workspace: KEDA's and the collector's identities) or before it (the monitoring module needs the
    # platform's CRDs and namespace, as on premises). Either way, before the service.
    platform_after_monitoring: ClassVar[bool] = True
    # Dashboards imported into the Grafana the monitoring module creates (applied after it; None: no managed Grafana).
    dashboards: ClassVar[ModuleLayer | None] = None
    # Kind of the scrape object a workload creates for this provider's metrics collector
    # (ServiceMonitor, PodMonitoring, PodMonitor).
    scrape_kind: ClassVar[str | None] = None
    has_catalog: ClassVar[bool] = False  # catalog/<name>.yaml: node types and prices
    cost_catalog: ClassVar[str]  # the catalog the unified dashboard prices replicas with
    force_destroy_input: ClassVar[bool] = False  # the cloud module takes force_destroy (a bucket with objects)
    scraper_namespace: ClassVar[str | None] = None  # where the managed Prometheus's collectors run
    local_target: ClassVar[bool] = False  # `--local` can apply its cloud layer to the local API
    # Keys a service may override besides deploy.plan.SERVICE_INPUT_KEYS: inputs only this provider's cloud module takes.
    service_input_keys: ClassVar[tuple[str, ...]] = ()
    # Keys not per service here (also ones of deploy.plan.SERVICE_INPUT_KEYS) and why, said when refused.
    per_service_refusals: ClassVar[dict[str, str]] = {}
    # What the monitoring backend fixes, shown by `config show --provider` (monitoring.prometheus.retention is refused).
    prometheus_retention: ClassVar[str]
    grafana: ClassVar[str]  # what monitoring.grafana.enabled switches here

    @property
    def cloud(self) -> bool:
        """Whether services get a cloud module (node pool, bucket, keys) besides the workload."""
        return self.cloud_folder is not None

    @property
    def cloud_folder(self) -> str | None:
        """Output folder of the per-type cloud module (None: the workload module only)."""
        folders = [layer.folder for layer in self.modules if layer is not WORKLOAD]
        return folders[0] if folders else None

    def cluster(self, environment: Environment) -> Any:
        """The environment's cluster settings for this provider (None when it names none)."""
        return getattr(environment.clusters, self.name)

    def placement(self, config: ServiceConfig) -> Placement | None:
        """Node type and count for ``config`` (None: no node pool to size)."""
        if not self.has_catalog:
            return None
        from synthdata_infra.planning import placement_for

        return placement_for(config, self.name)

    def tag_problem(self, key: str, value: str) -> tuple[str, str] | None:
        """Whether this provider's cloud resources can carry the tag ``key: value`` (a service's
        metadata, already a valid Kubernetes label): None when they can, else (the key or value
        refused, what is allowed). Default: no cloud resources, nothing to refuse."""
        return None

    def cloud_inputs(self, plan: ServicePlan, target: Target) -> dict[str, Any]:
        """Literal inputs of the cloud module that only this provider takes."""
        return {}

    def service_root(self, stack: RootStack, plan: ServicePlan, target: Target, tags: dict[str, str], inputs: dict[str, Any]) -> str | None:
        """Configure a service root's providers and cluster lookups and call the cloud module with
        ``inputs`` (plus the cluster references); returns its reference, or None without one."""
        raise NotImplementedError

    def workload_inputs(self, stack: RootStack, plan: ServicePlan, cloud: str | None) -> dict[str, Any]:
        """Inputs of the workload module that differ per provider (``cloud``: the cloud module's
        reference): where the service's secrets come from, the Prometheus KEDA queries and its
        ClusterTriggerAuthentication, what the NetworkPolicies must let through. Adds the lookups
        they need to ``stack``."""
        return {}

    def monitoring_root(
        self, stack: RootStack, environment: Environment, target: Target, tags: dict[str, str], settings: Monitoring
    ) -> dict[str, Any]:
        """Configure a monitoring root's providers; returns the monitoring module's inputs."""
        self.monitoring_providers(stack, environment, target, tags)
        return self.monitoring_inputs(environment, target, tags, settings)

    def monitoring_providers(self, stack: RootStack, environment: Environment, target: Target, tags: dict[str, str]) -> None:
        """The provider blocks of a monitoring root."""
        raise NotImplementedError

    def monitoring_inputs(self, environment: Environment, target: Target, tags: dict[str, str], settings: Monitoring) -> dict[str, Any]:
        """The monitoring module's inputs for the environment's monitoring ``settings`` (grafana, alerts
        and their receivers)."""
        raise NotImplementedError

    def platform_root(
        self, stack: RootStack, environment: Environment, target: Target, tags: dict[str, str], monitoring_outputs: MonitoringOutputs
    ) -> dict[str, Any]:
        """Configure a platform root's providers (the cloud's, and kubernetes and helm pointed at the
        environment's cluster); returns the platform module's inputs besides the ones every platform
        module takes (acme_email, acme_server, enable_crds: the root sets those).

        ``monitoring_outputs.ref("<output>")`` reads an output of the environment's monitoring module
        for this provider (the workspace a cloud's KEDA and collector are granted)."""
        self.platform_providers(stack, environment, target, tags)
        return self.platform_inputs(environment, target, tags, monitoring_outputs)

    def platform_providers(self, stack: RootStack, environment: Environment, target: Target, tags: dict[str, str]) -> None:
        """The provider blocks of a platform root."""
        raise NotImplementedError(f"{self.name}: the platform root's providers")

    def platform_inputs(
        self, environment: Environment, target: Target, tags: dict[str, str], monitoring_outputs: MonitoringOutputs
    ) -> dict[str, Any]:
        """The platform module's own inputs. Default: none (a provider whose platform needs no cloud inputs)."""
        return {}

    def monitoring_notes(self) -> dict[str, str]:
        """What this provider's monitoring backend fixes or does, for `config show --provider`."""
        return {"prometheus_retention": self.prometheus_retention, "grafana": self.grafana}

    def __repr__(self) -> str:
        return f"<provider {self.name}>"


def grafana_dashboards_root(stack: RootStack, provider: Provider, auth: str | None) -> None:
    """Import the dashboards into the Grafana of a monitoring root's ``module.monitoring``: a
    ``grafana`` provider configured from that module's outputs (``auth`` None: the provider reads
    the GRAFANA_AUTH environment variable) and the provider's dashboards module, called
    ``module.grafana`` with the same data types."""
    from synthdata_infra.synth.registry import DASHBOARDS

    assert provider.dashboards is not None
    config = {"url": "${module.monitoring.grafana_url}"}
    if auth is not None:
        config["auth"] = auth
    stack.add_override("provider.grafana", [config])
    stack.require(GRAFANA)
    ref = stack.module("grafana", f"{provider.dashboards.folder}/{DASHBOARDS}", {"data_types": "${module.monitoring.data_types}"})
    stack.output("dashboards", f"${{{ref}}}", "The imported dashboards' URLs (dashboard_urls, unified_dashboard_url).")


@dataclass(frozen=True)
class AlertReceivers:
    """Where an environment's alerts go, as ``monitoring.alerts`` asks: nothing when alerts are off."""

    email: str | None
    slack: SlackReceiver | None

    @property
    def emails(self) -> list[str]:
        return [self.email] if self.email else []


def alert_receivers(environment: Environment, settings: Monitoring) -> AlertReceivers:
    """The receivers ``settings.alerts.channels`` asks for; a channel the environment file gives no
    destination for is an error (a channel asked for and silently dropped is worse than none)."""
    from synthdata_infra.errors import ConfigError

    alerts = settings.alerts
    if not alerts.enabled:
        return AlertReceivers(email=None, slack=None)
    destinations = {"email": environment.alert_email, "slack": environment.alert_slack}
    for channel in alerts.channels:
        if destinations[channel] is None:
            raise ConfigError(
                f"environments/{environment.name}.yaml:alert_{channel}",
                None,
                f"monitoring.alerts.channels asks for {channel}: set alert_{channel} in the environment file, "
                f"or leave {channel} out of the channels",
            )
    return AlertReceivers(
        email=environment.alert_email if "email" in alerts.channels else None,
        slack=environment.alert_slack if "slack" in alerts.channels else None,
    )
