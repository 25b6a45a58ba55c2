"""Typed models of a resolved service configuration.

Every model forbids unknown keys and is frozen: a typo in a profile or an override is an
error, and a resolved configuration cannot be changed behind the caller's back.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from synthdata_infra import providers, quantities
from synthdata_infra.errors import ConfigError


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _known_data_type(value: str) -> str:
    from synthdata_infra.config.loader import check_data_type

    try:
        return check_data_type(value)
    except ConfigError as exc:
        raise ValueError(f"{exc.allowed} (a folder under profiles/ with a profile.yaml)") from None


DataTypeName = Annotated[str, AfterValidator(_known_data_type)]
"""A data type: the name of a folder under ``profiles/`` (see ``config.loader.data_types``)."""

PROVIDERS = providers.names()


def _as_quantity_string(value: object) -> object:
    """YAML reads ``cpu: 4`` as an int; quantities are kept as the strings Kubernetes takes."""
    if isinstance(value, bool):
        return value  # rejected by the str check, with the value shown as typed
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return format(value, "g")
    return value


def _checked(parse):
    def check(value: str) -> str:
        parse(value)
        return value

    return check


CpuQuantity = Annotated[str, BeforeValidator(_as_quantity_string), AfterValidator(_checked(quantities.cpu_cores))]
MemoryQuantity = Annotated[str, BeforeValidator(_as_quantity_string), AfterValidator(_checked(quantities.memory_bytes))]
Bandwidth = Annotated[str, AfterValidator(_checked(quantities.bandwidth_gbps))]
Duration = Annotated[str, AfterValidator(_checked(quantities.duration_seconds))]

_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")


def _dns_label(value: str) -> str:
    if not _DNS_LABEL.match(value):
        raise ValueError("expected a DNS label: lower-case letters, digits and '-', at most 63 characters")
    return value


DnsLabel = Annotated[str, AfterValidator(_dns_label)]


def _known_gpu(value: str) -> str:
    from synthdata_infra.catalog import gpu_models

    known = gpu_models()
    if value not in known:
        raise ValueError(f"expected one of {', '.join(sorted(known))}")
    return value


def _known_storage_class(value: str) -> str:
    from synthdata_infra.catalog import storage_classes

    known = storage_classes()
    if value not in known:
        raise ValueError(f"expected one of {', '.join(known)}")
    return value


class Deployment(Strict):
    namespace: DnsLabel
    labels: dict[str, str]


class Resources(Strict):
    cpu: CpuQuantity
    memory: MemoryQuantity
    storage_type: Annotated[str, AfterValidator(_known_storage_class)] = Field(
        description="performance tier of the node's own disk (root and ephemeral volumes)"
    )

    @property
    def cpu_cores(self) -> float:
        return quantities.cpu_cores(self.cpu)

    @property
    def memory_gib(self) -> float:
        return quantities.memory_gib(self.memory)


class Gpu(Strict):
    type: Annotated[str, AfterValidator(_known_gpu)]
    count: int = Field(ge=1, le=16)
    memory: MemoryQuantity = Field(description="total GPU memory one replica needs across its GPUs")

    @property
    def memory_gib(self) -> float:
        return quantities.memory_gib(self.memory)


class Storage(Strict):
    size: MemoryQuantity
    storage_class: Annotated[str, AfterValidator(_known_storage_class)]
    backup_enabled: bool
    compression: Literal["gzip", "zstd", "lz4"] | None
    cdn_enabled: bool
    mount_path: Annotated[str, Field(pattern=r"^/[A-Za-z0-9_./-]*$")]


# cert-manager's ingress-shim issues the TLS certificate from the ClusterIssuer named by this annotation.
CLUSTER_ISSUER_ANNOTATION = "cert-manager.io/cluster-issuer"


class Ingress(Strict):
    enabled: bool
    tls: bool
    annotations: dict[str, str]


class Networking(Strict):
    service_type: Literal["ClusterIP", "NodePort", "LoadBalancer"]
    port: int = Field(ge=1024, le=65535)
    metrics_port: int = Field(ge=1024, le=65535)
    bandwidth: Bandwidth
    ingress: Ingress

    @property
    def bandwidth_gbps(self) -> float:
        return quantities.bandwidth_gbps(self.bandwidth)


class Toggle(Strict):
    enabled: bool


def _always_on(why: str):
    def check(value: bool) -> bool:
        if value is not True:
            raise ValueError(f"expected true: this cannot be switched off ({why})")
        return value

    return Annotated[bool, AfterValidator(check)]


class RbacSwitch(Strict):
    enabled: _always_on("every service runs under its own service account with a least-privilege Role") = True


class NetworkPolicySwitch(Strict):
    enabled: _always_on("every namespace gets a default-deny NetworkPolicy plus explicit allows") = True


class PodSecuritySwitch(Strict):
    enabled: _always_on("every namespace enforces Pod Security 'restricted' and every container runs restricted") = True


class PrometheusSwitch(Strict):
    enabled: _always_on("the generators' metrics feed the autoscalers, the alerts and `status` health") = True
    retention: None = Field(
        default=None,
        description="refused: no backend this project creates keeps a retention it can set (see PROMETHEUS_RETENTION_REFUSAL)",
    )

    @model_validator(mode="before")
    @classmethod
    def _retention_is_the_backends(cls, data: object) -> object:
        if isinstance(data, dict) and data.get("retention") is not None:
            raise ConfigError("monitoring.prometheus.retention", data["retention"], PROMETHEUS_RETENTION_REFUSAL)
        return data


PROMETHEUS_RETENTION_REFUSAL = (
    "leave it unset (null): the backends fix their retention (Amazon Managed Prometheus 150 days, Google Cloud "
    "Managed Service for Prometheus 24 months, Azure Monitor workspace 18 months) and on premises the cluster's own "
    "Prometheus, which these modules do not create, owns it (set --storage.tsdb.retention.time there)"
)

ALERT_CHANNELS = ("email", "slack")
"""Channel kinds every provider's monitoring module creates a receiver for."""


def _known_channel(value: str) -> str:
    if value not in ALERT_CHANNELS:
        raise ValueError(f"expected one of {', '.join(ALERT_CHANNELS)} (the receivers every provider's monitoring module creates)")
    return value


class Alerts(Strict):
    enabled: bool = Field(description="false: no alert receivers and no alert routing (recording rules stay: autoscaling reads them)")
    channels: tuple[Annotated[str, AfterValidator(_known_channel)], ...]
    runbook_base_url: Annotated[str, Field(pattern=r"^https://[^\s]+[^/]$")]


class Monitoring(Strict):
    """Per environment: the environment's monitoring root reads it (a service cannot override it)."""

    prometheus: PrometheusSwitch
    grafana: Toggle
    alerts: Alerts


class Security(Strict):
    rbac: RbacSwitch
    network_policies: NetworkPolicySwitch
    pod_security: PodSecuritySwitch
    secrets: tuple[DnsLabel, ...]
    content_filtering: Toggle


class DifferentialPrivacy(Strict):
    enabled: bool
    epsilon: float = Field(gt=0, le=100)


class AuditLogging(Strict):
    enabled: bool
    retention_days: int = Field(ge=1, le=3653)


class DataPolicies(Strict):
    pii_detection: Toggle
    differential_privacy: DifferentialPrivacy
    audit_logging: AuditLogging


ScalingMetric = Literal[
    "cpu_usage",
    "memory_usage",
    "queue_length",
    "gpu_utilization",
    "gpu_memory_usage",
    "p99_latency_seconds",
]


GPU_METRICS = ("gpu_utilization", "gpu_memory_usage")


class ScalingTrigger(Strict):
    metric: ScalingMetric
    threshold: float = Field(gt=0)
    urgency: Literal["low", "medium", "high"]


class Scaling(Strict):
    min_replicas: int = Field(ge=1, le=1000)
    max_replicas: int = Field(ge=1, le=1000)
    triggers: tuple[ScalingTrigger, ...]

    @model_validator(mode="after")
    def _bounds_ordered(self) -> "Scaling":
        if self.min_replicas > self.max_replicas:
            raise ConfigError(
                "scaling.min_replicas",
                self.min_replicas,
                f"must not exceed scaling.max_replicas ({self.max_replicas})",
            )
        return self


class ModelCache(Strict):
    enabled: bool
    size: MemoryQuantity
    preload_models: tuple[str, ...]


class Preprocessing(Strict):
    workers: int = Field(ge=1, le=256)
    batch_size: int = Field(ge=1, le=65536)


COMPRESSIONS = ("webp", "png", "jpeg", "h264", "h265", "av1", "flac", "opus")  # of specific.postprocessing


class Postprocessing(Strict):
    compression: Literal[COMPRESSIONS] | None
    quality: int = Field(ge=1, le=100)
    cdn_upload: bool


class Specific(Strict):
    """Type-specific settings; a type leaves out what does not apply to it."""

    model_cache: ModelCache | None = None
    preprocessing: Preprocessing | None = None
    postprocessing: Postprocessing | None = None



class ServiceConfig(Strict):
    """The effective configuration of one data type in one environment."""

    data_type: str = Field(pattern=r"^[a-z][a-z0-9_]*$", description="the profiles/ folder this was resolved from")
    environment: DnsLabel
    replicas: int = Field(ge=1, le=1000)
    deployment: Deployment
    resources: Resources
    gpu: Gpu | None
    storage: Storage
    networking: Networking
    monitoring: Monitoring
    security: Security
    data_policies: DataPolicies
    scaling: Scaling
    specific: Specific

    @model_validator(mode="after")
    def _replicas_within_bounds(self) -> "ServiceConfig":
        low, high = self.scaling.min_replicas, self.scaling.max_replicas
        if not low <= self.replicas <= high:
            raise ConfigError(
                "replicas",
                self.replicas,
                f"expected a count from scaling.min_replicas ({low}) to scaling.max_replicas ({high})",
            )
        if self.gpu is None:
            for index, trigger in enumerate(self.scaling.triggers):
                if trigger.metric in GPU_METRICS:
                    raise ConfigError(
                        f"scaling.triggers.{index}.metric",
                        trigger.metric,
                        "GPU metrics need a GPU: set gpu.type and gpu.count, or scale on "
                        "cpu_usage, memory_usage, queue_length or p99_latency_seconds",
                    )
        return self
