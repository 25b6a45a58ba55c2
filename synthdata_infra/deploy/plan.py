"""What a root stack holds, decided without cdktf: names, module folders and literal inputs.

A service root calls the committed modules of modules_out/ with inputs worked out from the
service's resolved configuration (base -> type -> environment -> the service's overrides). The
modules were generated from the bare profiles, so only what they take as inputs can differ per
service; any other override is refused with the key path, before anything is written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from synthdata_infra import providers
from synthdata_infra.catalog import Placement, storage_class_for
from synthdata_infra.config import Environment, ServiceConfig, ServiceEntry, resolve
from synthdata_infra.components.node_placement import ACCELERATOR_LABEL
from synthdata_infra.config.models import CLUSTER_ISSUER_ANNOTATION, Monitoring
from synthdata_infra.errors import ConfigError
from synthdata_infra.naming import (  # noqa: F401  (stack names: re-exported for the engine and roots)
    KUBERNETES_NAME_MAX,
    local_cluster_stack,
    monitoring_stack,
    platform_stack,
    service_namespace,
    service_stack,
    workspaces_stack,
)
from synthdata_infra.planning import node_pool_sizes
from synthdata_infra.providers import WORKLOAD, Provider
from synthdata_infra.providers.base import alert_receivers

MODULES_FOLDER = "modules"  # inside a root's folder: the copied modules it calls
STATE_FOLDER = ".synthdata/state"  # local backends of environments without Terraform Cloud (from the project root)
LOCAL_STACKS = ".synthdata/local/stacks"  # roots of the local target, each with its state beside it (from the project root)

# Keys a service may set that reach the modules as inputs (a key or any key under it).
SERVICE_INPUT_KEYS = (
    "replicas",
    "scaling.min_replicas",
    "scaling.max_replicas",
    "resources.cpu",
    "resources.memory",
    "gpu.type",
    "gpu.count",
    "gpu.memory",
    "storage.size",
    "storage.storage_class",
    "networking.bandwidth",
    "networking.ingress.enabled",  # the workload's enable_ingress (a profile without an Ingress refuses true)
    "deployment.labels",
    "specific.model_cache.size",
    "specific.model_cache.preload_models",
    "specific.preprocessing",  # the generator's settings, written to the workload's ConfigMap
    "specific.postprocessing",
    f"networking.ingress.annotations.{CLUSTER_ISSUER_ANNOTATION}",  # the workload's cluster_issuer
)
# Why some profile keys are never per service (on any provider): said when a service sets one.
NOT_PER_SERVICE = {
    "security.content_filtering.enabled": (
        "the content-filtering sidecar is part of the type's Deployment; switching it per service needs a dynamic "
        "container block, which checkov cannot scan"
    ),
    "specific.model_cache.enabled": "the cloud modules size the node disks for the type's model cache",
}
ENVIRONMENT_ONLY_KEYS = ("monitoring",)  # read by the environment's monitoring root: set in its config, not per service
_IGNORED = ("environment", "data_type")


@dataclass(frozen=True)
class Target:
    """Where roots are applied: the clouds (default) or the local AWS API of ``--local``."""

    local_endpoint: str | None = None
    delete_data: bool = False  # `destroy --delete-data`: the cloud module lets its data go
    # `deploy --plan-only`: roots synthesized in a scratch folder read the state of this project
    # (absolute paths to its local backends) instead of a state beside them.
    read_state_from: Path | None = None

    @property
    def local(self) -> bool:
        return self.local_endpoint is not None


@dataclass(frozen=True)
class ServicePlan:
    environment: Environment
    entry: ServiceEntry
    config: ServiceConfig
    placement: Placement | None  # None on premises: no node pool to size

    @property
    def name(self) -> str:
        return self.entry.name

    @property
    def provider(self) -> str:
        return self.entry.provider

    @property
    def provider_class(self) -> Provider:
        return providers.get(self.entry.provider)

    @property
    def data_type(self) -> str:
        return self.entry.data_type

    @property
    def profile(self) -> ServiceConfig:
        """The data type's profile alone: what its modules were synthesized from (their input defaults)."""
        return resolve(self.data_type, None)

    @property
    def stack(self) -> str:
        return service_stack(self.name, self.environment.name)

    @property
    def namespace(self) -> str:
        """The namespace this service's root creates and owns (see ``naming.service_namespace``)."""
        return service_namespace(self.config.deployment.namespace, self.name, self.environment.name)

    @property
    def cloud_folder(self) -> str | None:
        folder = self.provider_class.cloud_folder
        return f"{folder}/{self.data_type}" if folder else None

    @property
    def workload_folder(self) -> str:
        return f"{WORKLOAD.folder}/{self.data_type}"

    @property
    def image(self) -> str:
        return self.environment.image_for(self.entry)

    @property
    def ingress_host(self) -> str | None:
        """``<service>.<domain>`` when the environment has a domain and the profile an Ingress."""
        domain = self.environment.domain
        return f"{self.name}.{domain}" if domain and self.config.networking.ingress.enabled else None

    @property
    def endpoint(self) -> str:
        """The URL the workload module outputs as ``endpoint`` for this root: the Ingress host
        (https with TLS), else the in-cluster address of the service."""
        host = self.ingress_host
        if host is None:
            return f"http://{self.name}.{self.namespace}.svc.cluster.local"
        return f"{'https' if self.config.networking.ingress.tls else 'http'}://{host}"

    def tags(self) -> dict[str, str]:
        """Tags (labels on GCP) of the service's cloud resources: the environment's, the
        service's, and its ``metadata``."""
        return {**root_tags(self.environment, **{"synthdata:service": self.name, "synthdata:data-type": self.data_type}), **self.entry.metadata}

    def node_sizes(self) -> dict[str, int]:
        assert self.placement is not None
        return node_pool_sizes(self.config, self.placement.replicas_per_node)

    def cloud_inputs(self, target: Target) -> dict[str, Any]:
        """Literal inputs of the cloud module (cluster references are added by the root)."""
        assert self.placement is not None
        config = self.config
        inputs: dict[str, Any] = {
            "service_name": self.name,
            "environment": self.environment.name,
            "namespace": self.namespace,  # the workload identity is bound to the service account there
            **self.node_sizes(),
        }
        if config.gpu:
            inputs["gpu_model"] = config.gpu.type
        inputs.update(self.provider_class.cloud_inputs(self, target))
        if target.delete_data:
            inputs["retain_data_on_destroy"] = False
            if self.provider_class.force_destroy_input:
                inputs["force_destroy"] = True  # a bucket that still holds objects goes too
        return inputs

    def workload_inputs(self) -> dict[str, Any]:
        """Literal inputs of the kubernetes module; node selector and identity come from the cloud module."""
        config = self.config
        inputs: dict[str, Any] = {
            "service_name": self.name,
            "image": self.image,
            "namespace": self.namespace,
            "create_namespace": True,  # each service's root owns its namespace: no other root creates it
            "labels": {**config.deployment.labels, **self.entry.metadata},
            "replicas": config.replicas,
            # The recorded replica count is the floor the autoscaler keeps (`scale` moves it).
            "min_replicas": config.replicas,
            "max_replicas": config.scaling.max_replicas,
            "cpu": config.resources.cpu,
            "memory": config.resources.memory,
            "storage_size": config.storage.size,
            "cdn_enabled": config.storage.cdn_enabled,  # the cloud module's enable_cdn
            "storage_class_name": storage_class_for(self.provider, config.storage.storage_class).storage_class_name,
        }
        if config.gpu:
            # The GPU nodes' label (a cloud root passes its node pool's labels instead).
            inputs.update(gpu_count=config.gpu.count, node_selector={ACCELERATOR_LABEL: config.gpu.type})
        cache = config.specific.model_cache
        if cache is not None and cache.enabled:
            inputs.update(model_cache_size=cache.size, preload_models=list(cache.preload_models))
        for section in ("preprocessing", "postprocessing"):
            settings = getattr(config.specific, section)
            if settings is not None:
                inputs[section] = settings.model_dump(mode="json")
        ingress = config.networking.ingress
        if ingress.enabled and ingress.tls and CLUSTER_ISSUER_ANNOTATION in ingress.annotations:
            inputs["cluster_issuer"] = ingress.annotations[CLUSTER_ISSUER_ANNOTATION]
        if config.security.content_filtering.enabled:
            inputs["content_filter_image"] = self.environment.images.content_filter
        if self.ingress_host is not None:
            inputs["ingress_host"] = self.ingress_host
        if self.profile.networking.ingress.enabled:  # the module has enable_ingress
            inputs["enable_ingress"] = ingress.enabled
        return inputs


def service_input_keys(provider: str) -> tuple[str, ...]:
    """Keys a service on ``provider`` may override: module inputs with the profile's value as default."""
    chosen = providers.get(provider)
    return tuple(key for key in SERVICE_INPUT_KEYS if key not in chosen.per_service_refusals) + chosen.service_input_keys


def root_tags(environment: Environment, **extra: str) -> dict[str, str]:
    return {"synthdata:environment": environment.name, "synthdata:managed-by": "synthdata-infra", **extra}


def plan_service(environment: Environment, entry: ServiceEntry, *, path: str | None = None) -> ServicePlan:
    """Resolve ``entry`` in ``environment`` and check every override reaches a module input.

    ``path`` prefixes error key paths (e.g. ``environments/dev.yaml:services.0``)."""
    prefix = f"{path}." if path else ""
    try:
        config = resolve(entry.data_type, environment.name, entry.config_overrides())
    except ConfigError as exc:
        raise ConfigError(f"{prefix}{exc.path}" if path else exc.path, exc.value, exc.allowed) from None
    profile = resolve(entry.data_type, None)
    for key, value in _differences(profile.model_dump(mode="json"), config.model_dump(mode="json")):
        if key.split(".")[0] in ENVIRONMENT_ONLY_KEYS:
            if key.split(".")[0] in entry.overrides:
                raise ConfigError(
                    f"{prefix}overrides.{key}",
                    value,
                    f"{key.split('.')[0]} is per environment (one monitoring stack serves every service): set it under "
                    f"config: in environments/{environment.name}.yaml",
                )
            continue
        per_service = service_input_keys(entry.provider)
        ingress = config.networking.ingress
        section = key.split(".")[1] if key.startswith("specific.") else None
        if section and getattr(profile.specific, section, None) is None:
            raise ConfigError(
                f"{prefix}overrides.{key}",
                value,
                f"the {entry.data_type} profile sets no specific.{section}, so its modules take no input for it "
                f"(set it in profiles/{entry.data_type}/profile.yaml and run `synthdata-infra synth`)",
            )
        if key == "networking.ingress.enabled" and value and not profile.networking.ingress.enabled:
            raise ConfigError(f"{prefix}overrides.{key}", value, f"only false: the {entry.data_type} modules have no Ingress to switch on (set it in profiles/{entry.data_type}/profile.yaml and run `synthdata-infra synth`)")
        if key.endswith(CLUSTER_ISSUER_ANNOTATION) and not (ingress.enabled and ingress.tls):
            raise ConfigError(f"{prefix}overrides.{key}", value, f"{entry.data_type} has no TLS Ingress (networking.ingress): no certificate to issue")
        if key.split(".")[0] in _IGNORED or any(key == k or key.startswith(k + ".") for k in per_service):
            continue
        raise ConfigError(f"{prefix}overrides.{key}", value, _not_per_service(key, entry) + ". Per service: " + ", ".join(per_service))
    provider = providers.get(entry.provider, f"{prefix}provider")
    if provider.cloud and provider.cluster(environment) is None:
        raise ConfigError(
            f"environments/{environment.name}.yaml:clusters.{entry.provider}",
            None,
            f"a service on {entry.provider} needs the environment's {entry.provider} cluster (name and location)",
        )
    for key, value in entry.metadata.items():
        problem = provider.tag_problem(key, value)
        if problem is not None:
            raise ConfigError(f"{prefix}metadata.{key}", problem[0], f"{entry.provider} tags its resources with the metadata: expected {problem[1]}")
    namespace = service_namespace(config.deployment.namespace, entry.name, environment.name)
    if len(namespace) > KUBERNETES_NAME_MAX:
        raise ConfigError(
            "deployment.namespace",
            config.deployment.namespace,
            f"a prefix short enough that the service's namespace {namespace!r} has at most {KUBERNETES_NAME_MAX} characters",
        )
    # The node type is chosen for the replica floor, not the replica count: a scale then
    # resizes the node pool instead of replacing it with another node type.
    placement = provider.placement(config.model_copy(update={"replicas": config.scaling.min_replicas}))
    return ServicePlan(environment=environment, entry=entry, config=config, placement=placement)


def _not_per_service(key: str, entry: ServiceEntry) -> str:
    """Why ``key`` cannot change for one service on its provider, and where it can."""
    provider = providers.get(entry.provider)
    elsewhere = [name for name in providers.names() if any(key == k or key.startswith(k + ".") for k in providers.get(name).service_input_keys)]
    reasons = {**NOT_PER_SERVICE, **provider.per_service_refusals}
    reason = next((why for k, why in reasons.items() if key == k or key.startswith(k + ".")), None)
    if reason is None:
        reason = f"the {entry.provider} modules of {entry.data_type} take no input for it"
    where = f" (per service on {', '.join(elsewhere)})" if elsewhere else ""
    return f"{reason}{where}; set it in profiles/{entry.data_type}/profile.yaml and run `synthdata-infra synth`"


def _differences(before: Any, after: Any, key: str = "") -> list[tuple[str, Any]]:
    if isinstance(before, dict) and isinstance(after, dict):
        found: list[tuple[str, Any]] = []
        for name in sorted(set(before) | set(after)):
            found += _differences(before.get(name), after.get(name), f"{key}.{name}" if key else name)
        return found
    return [] if before == after else [(key, after)]


def monitoring_settings(environment: Environment, data_types: tuple[str, ...]) -> Monitoring:
    """The environment's monitoring settings, which its monitoring root applies to every data type it
    covers: a profile that set them differently from another would leave one of them unhonoured."""
    settings = {kind: resolve(kind, environment.name).monitoring for kind in data_types}
    first = next(iter(settings.values()))
    synthesized = resolve(data_types[0], None).monitoring.alerts.runbook_base_url
    if first.alerts.runbook_base_url != synthesized:
        raise ConfigError(
            f"environments/{environment.name}.yaml:config.monitoring.alerts.runbook_base_url",
            first.alerts.runbook_base_url,
            f"the committed rules carry {synthesized} (profiles/base.yaml, read at synth): change it there and run "
            "`synthdata-infra synth`",
        )
    for kind, each in settings.items():
        if each != first:
            raise ConfigError(
                f"profiles/{kind}/profile.yaml:monitoring",
                each.model_dump(mode="json"),
                f"monitoring is per environment: the same for every data type ({', '.join(data_types)}); set it in "
                f"environments/{environment.name}.yaml config:, not in a profile",
            )
    return first


@dataclass(frozen=True)
class EnvironmentPlan:
    """Every root of an environment: one per service, one monitoring root and one platform root per
    provider in use, and the Terraform Cloud workspaces root when the environment uses Terraform Cloud."""

    environment: Environment
    services: tuple[ServicePlan, ...]
    monitoring: dict[str, tuple[str, ...]] = field(default_factory=dict)  # provider -> data types

    @property
    def platforms(self) -> tuple[str, ...]:
        """Providers in use here that have a platform module: one platform root each (once per cluster)."""
        return tuple(provider for provider in sorted(self.monitoring) if providers.get(provider).platform is not None)

    @property
    def stacks(self) -> list[str]:
        names = [plan.stack for plan in self.services]
        names += [monitoring_stack(provider, self.environment.name) for provider in sorted(self.monitoring)]
        names += [platform_stack(provider, self.environment.name) for provider in self.platforms]
        if self.environment.terraform_cloud is not None and self.services:
            names.append(workspaces_stack(self.environment.name))
        return names


def plan_environment(environment: Environment) -> EnvironmentPlan:
    services = tuple(
        plan_service(environment, entry, path=f"environments/{environment.name}.yaml:services.{index}")
        for index, entry in enumerate(environment.services)
    )
    monitoring: dict[str, set[str]] = {}
    for plan in services:
        monitoring.setdefault(plan.provider, set()).add(plan.data_type)
    for types in monitoring.values():  # refuse a channel without a destination before anything is written
        alert_receivers(environment, monitoring_settings(environment, tuple(types)))
    return EnvironmentPlan(
        environment=environment,
        services=services,
        monitoring={provider: tuple(sorted(types)) for provider, types in sorted(monitoring.items())},
    )
