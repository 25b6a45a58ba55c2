"""Typed view of the packaged catalog data: GPU models, cloud instance types, storage classes.

The YAML under ``data/`` ships inside the wheel and is read with ``importlib.resources``, so the
catalog needs no network and a given package version always places a workload the same way.
Each file is parsed and validated once per process (``functools.cache``); a malformed row fails
at load with pydantic's message instead of surfacing later as a wrong placement.
"""

from __future__ import annotations

import datetime as dt
import functools
from importlib import resources
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, model_validator

from synthdata_infra import providers
from synthdata_infra.errors import ConfigError

PROVIDERS_WITH_CATALOG = providers.with_catalog()  # catalog/<provider>.yaml


class Frozen(BaseModel):
    """Immutable, and strict about keys so a typo in the YAML is an error rather than ignored."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class GpuModel(Frozen):
    """A GPU model we know; the catalog key (e.g. ``nvidia-tesla-t4``) is its canonical name."""

    family: str
    memory_gib: float = Field(gt=0, description="usual per-GPU memory; instance rows state their own")
    gcp_accelerator: str = Field(description="Compute Engine / GKE accelerator type name")


class GpuSpec(Frozen):
    """The GPUs of one instance type (per node)."""

    model: str
    count: int = Field(ge=1)
    memory_gib: float = Field(gt=0, description="per GPU")


class InstanceType(Frozen):
    """One node shape with its list price."""

    name: str
    vcpu: int = Field(ge=1)
    memory_gib: float = Field(gt=0)
    network_gbps: float = Field(gt=0)
    gpu: GpuSpec | None
    local_nvme_gib: int = Field(ge=0)
    hypervisor: Literal["nitro", "xen"] | None = None  # AWS: what the EBS volume limits depend on
    ebs_max_iops: int | None = Field(default=None, ge=1)  # AWS: the instance's EBS-optimized IOPS ceiling
    usd_per_hour: float = Field(gt=0)

    @property
    def identity(self) -> tuple[str, str, int, int]:
        """Name plus attachments: on GCP one machine name appears with different GPUs or Local SSDs."""
        if self.gpu is None:
            return (self.name, "", 0, self.local_nvme_gib)
        return (self.name, self.gpu.model, self.gpu.count, self.local_nvme_gib)


class Pricing(Frozen):
    """Where and when the prices of a catalog were taken, so a reader can judge how stale they are."""

    currency: Literal["USD"]
    region: str
    as_of: dt.date
    source: str
    note: str


class CloudCatalog(Frozen):
    """The instance types of one cloud with their pricing header."""

    pricing: Pricing
    instance_types: tuple[InstanceType, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _rows_are_unique(self) -> CloudCatalog:
        seen: set[tuple[str, str, int, int]] = set()
        for row in self.instance_types:
            if row.identity in seen:
                raise ValueError(f"duplicate instance type row {row.identity}")
            seen.add(row.identity)
        return self


class StorageClassMapping(Frozen):
    """The Kubernetes StorageClass that realises one of our storage classes on one provider."""

    storage_class_name: str
    provisioner: str
    parameters: dict[str, str]
    requires_local_nvme: bool


STORAGE_PROVIDERS = providers.names()  # storage_classes.yaml maps every class on each of them


def _read(name: str) -> Any:
    return yaml.safe_load((resources.files("synthdata_infra.catalog") / "data" / name).read_text(encoding="utf-8"))


@functools.cache
def _gpu_models() -> dict[str, GpuModel]:
    return TypeAdapter(dict[str, GpuModel]).validate_python(_read("gpus.yaml"))


def gpu_models() -> dict[str, GpuModel]:
    """Known GPU models by canonical name (a copy: callers cannot alter the cached catalog)."""
    return dict(_gpu_models())


@functools.cache
def _catalog(provider: str) -> CloudCatalog:
    cloud = CloudCatalog.model_validate(_read(f"{provider}.yaml"))
    unknown = sorted({row.gpu.model for row in cloud.instance_types if row.gpu} - _gpu_models().keys())
    if unknown:
        raise ValueError(f"{provider}.yaml names GPU models missing from gpus.yaml: {', '.join(unknown)}")
    return cloud


def catalog(provider: str) -> CloudCatalog:
    """The instance-type catalog of a cloud provider."""
    if provider not in PROVIDERS_WITH_CATALOG:
        raise ConfigError("provider", provider, f"expected one of {', '.join(PROVIDERS_WITH_CATALOG)}")
    return _catalog(provider)


@functools.cache
def _storage_classes() -> dict[str, dict[str, StorageClassMapping]]:
    classes = TypeAdapter(dict[str, dict[str, StorageClassMapping]]).validate_python(_read("storage_classes.yaml"))
    for name, mappings in classes.items():  # every class on every provider, and no other provider
        if sorted(mappings) != sorted(STORAGE_PROVIDERS):
            raise ValueError(f"storage_classes.yaml: {name} maps {', '.join(sorted(mappings))}; expected {', '.join(STORAGE_PROVIDERS)}")
    return classes


def storage_classes() -> tuple[str, ...]:
    """Our storage class names, slowest to fastest (the order of the data file)."""
    return tuple(_storage_classes())


def storage_class_for(provider: str, storage_class: str) -> StorageClassMapping:
    """The Kubernetes StorageClass realising ``storage_class`` on ``provider`` (clouds or onprem)."""
    if provider not in STORAGE_PROVIDERS:
        raise ConfigError("provider", provider, f"expected one of {', '.join(STORAGE_PROVIDERS)}")
    mappings = _storage_classes().get(storage_class)
    if mappings is None:
        raise ConfigError("storage.storage_class", storage_class, f"expected one of {', '.join(storage_classes())}")
    return mappings[provider]


@functools.cache
def _aws_managed_policies() -> dict[str, str]:
    return TypeAdapter(dict[str, str]).validate_python(_read("aws_managed_policies.yaml")["policies"])


def aws_managed_policy_arn(name: str, partition: str) -> str:
    """The ARN of an AWS managed policy at the path AWS publishes it (the catalog's dated list)."""
    path = _aws_managed_policies().get(name)
    if path is None:
        raise ValueError(f"{name} is not in catalog/data/aws_managed_policies.yaml: add it with the path AWS publishes it at")
    return f"arn:{partition}:iam::aws:policy{path}{name}"
