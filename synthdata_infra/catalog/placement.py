"""Placement: the cheapest instance type, and how many nodes of it, to run a workload's replicas.

A replica is sized against a node's *allocatable* capacity, not its raw capacity: the kubelet,
container runtime and OS reserve part of every node, and the scheduler only hands out the rest.
Ignoring that picks nodes that look big enough on paper and leave pods Pending; a 4-vCPU /
16-GiB node cannot run a 4-CPU / 16-GiB pod. We apply GKE's published reservation schedule on
every cloud, so placements stay comparable across providers. EKS and AKS use schedules of their
own (EKS reserves less memory; AKS more CPU), so a replica that fills a node almost exactly is
an estimate there.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

from pydantic import Field

from synthdata_infra.catalog.models import Frozen, GpuSpec, InstanceType, catalog, gpu_models
from synthdata_infra.errors import ConfigError

HOURS_PER_MONTH = 730

# GKE reservation schedule as (bracket size, fraction reserved), from the first unit upwards.
_CPU_RESERVATION = ((1.0, 0.06), (1.0, 0.01), (2.0, 0.005), (math.inf, 0.0025))
_MEMORY_RESERVATION_GIB = ((4.0, 0.25), (4.0, 0.20), (8.0, 0.10), (112.0, 0.06), (math.inf, 0.02))
_EVICTION_THRESHOLD_GIB = 100 / 1024
# Lets a request exactly equal to allocatable capacity fit despite float rounding.
_TOLERANCE = 1e-9


def _reserved(capacity: float, schedule: tuple[tuple[float, float], ...]) -> float:
    reserved, remaining = 0.0, capacity
    for size, fraction in schedule:
        portion = min(remaining, size)
        reserved += portion * fraction
        remaining -= portion
    return reserved


def allocatable_cpu(vcpu: float) -> float:
    """CPU cores pods can request on a node: GKE reserves 6% of the first core, 1% of the next,
    0.5% of the next 2 and 0.25% of every core above 4 for the kubelet and system daemons."""
    return vcpu - _reserved(vcpu, _CPU_RESERVATION)


def allocatable_memory_gib(memory_gib: float) -> float:
    """Memory (GiB) pods can request on a node: GKE reserves 25% of the first 4 GiB, 20% of the
    next 4, 10% of the next 8, 6% of the next 112 and 2% above 128 GiB, and the kubelet keeps a
    100 MiB eviction threshold free on top."""
    return memory_gib - _reserved(memory_gib, _MEMORY_RESERVATION_GIB) - _EVICTION_THRESHOLD_GIB


class Placement(Frozen):
    """Where a workload runs and what it costs at list price; node pools are sized from it."""

    provider: str
    instance_type: str
    vcpu: int
    memory_gib: float
    gpu: GpuSpec | None = Field(description="GPUs per node; on GCP also what to attach to the machine")
    local_nvme_gib: int = Field(description="local NVMe per node; on GCP the Local SSDs to attach")
    replicas: int
    replicas_per_node: int = Field(description="how many replicas one node can hold")
    nodes: int
    usd_per_hour_per_node: float
    usd_per_hour: float
    usd_per_month: float = Field(description=f"{HOURS_PER_MONTH} hours, rounded to cents")
    pricing_region: str
    pricing_as_of: dt.date

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able values (the date as an ISO string) for plan output and tfvars."""
        return self.model_dump(mode="json")


@dataclass(frozen=True)
class _Request:
    """What one replica needs, already validated."""

    cpu: float
    memory_gib: float
    gpu_model: str | None
    gpu_count: int
    gpu_memory_gib: float
    bandwidth_gbps: float
    needs_local_nvme: bool

    @property
    def label(self) -> str:
        return self.gpu_model or "CPU-only"

    def describe(self) -> str:
        gpu = f"{self.gpu_count}x{self.gpu_model} gpu_memory={self.gpu_memory_gib:g}Gi" if self.gpu_model else "none"
        text = f"cpu={self.cpu:g} memory={self.memory_gib:g}Gi gpu={gpu} bandwidth={self.bandwidth_gbps:g}Gbps"
        return text + " local_nvme=required" if self.needs_local_nvme else text

    def same_kind(self, row: InstanceType) -> bool:
        """GPU workloads only on their own GPU model; CPU-only ones never pay for GPUs they leave idle."""
        return row.gpu.model == self.gpu_model if row.gpu else self.gpu_model is None

    def replicas_per_node(self, row: InstanceType) -> int:
        """How many replicas one node of ``row`` holds (0: not even one). Bandwidth is what one
        replica needs and is not divided between co-located replicas: their peaks are assumed
        not to coincide."""
        if row.network_gbps < self.bandwidth_gbps:
            return 0
        counts = [
            math.floor(allocatable_cpu(row.vcpu) / self.cpu + _TOLERANCE),
            math.floor(allocatable_memory_gib(row.memory_gib) / self.memory_gib + _TOLERANCE),
        ]
        if row.gpu and self.gpu_model:
            if self.gpu_count * row.gpu.memory_gib < self.gpu_memory_gib:
                return 0
            counts.append(row.gpu.count // self.gpu_count)
        return max(0, min(counts))


def place(
    provider: str,
    *,
    cpu: float,
    memory_gib: float,
    gpu_model: str | None,
    gpu_count: int,
    gpu_memory_gib: float,
    bandwidth_gbps: float,
    replicas: int,
    needs_local_nvme: bool = False,
) -> Placement:
    """Choose the instance type and node count with the lowest total hourly list price.

    ``cpu``, ``memory_gib``, ``bandwidth_gbps`` are what one replica needs; ``gpu_memory_gib`` is
    the total GPU memory one replica needs across its ``gpu_count`` GPUs. A node holds as many
    replicas as its allocatable CPU and memory (see ``allocatable_cpu``) and its GPU count allow.
    Ties in cost go to fewer nodes (less to manage), then to the name, so a given request always
    yields the same placement. Raises ``ConfigError`` naming the offending setting.
    """
    cloud = catalog(provider)
    request = _validated_request(cpu, memory_gib, gpu_model, gpu_count, gpu_memory_gib, bandwidth_gbps, needs_local_nvme)
    if not isinstance(replicas, int) or replicas < 1:
        raise ConfigError("replicas", replicas, "expected an integer >= 1")

    same_kind = [row for row in cloud.instance_types if request.same_kind(row)]
    if not same_kind:
        offered = sorted({row.gpu.model for row in cloud.instance_types if row.gpu})
        raise ConfigError("gpu.type", gpu_model, f"{provider} has no {gpu_model} instance types; expected one of {', '.join(offered)}")
    pool = [row for row in same_kind if row.local_nvme_gib > 0 or not needs_local_nvme]
    if not pool:
        raise ConfigError(
            "resources",
            request.describe(),
            f"no {provider} {request.label} instance type has local NVMe: choose a storage class that does not need it",
        )
    fits = [(row, per_node) for row in pool if (per_node := request.replicas_per_node(row)) > 0]
    if not fits:
        raise ConfigError("resources", request.describe(), _nothing_fits(provider, pool, request))

    row, per_node = min(fits, key=lambda fit: _ranking(fit[0], math.ceil(replicas / fit[1])))
    nodes = math.ceil(replicas / per_node)
    return Placement(
        provider=provider,
        instance_type=row.name,
        vcpu=row.vcpu,
        memory_gib=row.memory_gib,
        gpu=row.gpu,
        local_nvme_gib=row.local_nvme_gib,
        replicas=replicas,
        replicas_per_node=per_node,
        nodes=nodes,
        usd_per_hour_per_node=row.usd_per_hour,
        usd_per_hour=round(nodes * row.usd_per_hour, 6),
        usd_per_month=round(nodes * row.usd_per_hour * HOURS_PER_MONTH, 2),
        pricing_region=cloud.pricing.region,
        pricing_as_of=cloud.pricing.as_of,
    )


def _ranking(row: InstanceType, nodes: int) -> tuple[float, int, tuple[str, str, int, int]]:
    """Cost, then node count, then name (and attachments, for GCP rows sharing a machine name).
    Cost is compared to the micro-dollar so float noise (3 x 0.17 vs 0.51) cannot break a tie."""
    return (round(nodes * row.usd_per_hour, 6), nodes, row.identity)


def _validated_request(
    cpu: float,
    memory_gib: float,
    gpu_model: str | None,
    gpu_count: int,
    gpu_memory_gib: float,
    bandwidth_gbps: float,
    needs_local_nvme: bool,
) -> _Request:
    """Reject impossible requests with the config path the user has to change."""
    for path, value in (("resources.cpu", cpu), ("resources.memory", memory_gib)):
        if not value > 0:
            raise ConfigError(path, value, "expected a number > 0 per replica")
    for path, value in (("gpu.count", gpu_count), ("gpu.memory", gpu_memory_gib), ("networking.bandwidth", bandwidth_gbps)):
        if not value >= 0:
            raise ConfigError(path, value, "expected a number >= 0")
    known = ", ".join(sorted(gpu_models()))
    if gpu_model is None:
        if gpu_count or gpu_memory_gib:
            raise ConfigError("gpu.type", None, f"expected one of {known} when gpu.count or gpu.memory is set")
    elif gpu_model not in gpu_models():
        raise ConfigError("gpu.type", gpu_model, f"expected one of {known}")
    elif gpu_count < 1:
        raise ConfigError("gpu.count", gpu_count, f"expected an integer >= 1 with gpu.type {gpu_model!r}")
    return _Request(cpu, memory_gib, gpu_model, gpu_count, gpu_memory_gib, bandwidth_gbps, needs_local_nvme)


def _nothing_fits(provider: str, pool: list[InstanceType], request: _Request) -> str:
    """Say what the biggest matching nodes offer and which requested figure is beyond all of them."""
    cpu = max(allocatable_cpu(row.vcpu) for row in pool)
    memory = max(allocatable_memory_gib(row.memory_gib) for row in pool)
    bandwidth = max(row.network_gbps for row in pool)
    offers = [f"cpu={cpu:.2f}", f"memory={memory:.1f}Gi"]
    too_big = [name for name, need, have in (("cpu", request.cpu, cpu), ("memory", request.memory_gib, memory)) if need > have]
    gpus = [row.gpu for row in pool if row.gpu]
    if gpus:
        count = max(gpu.count for gpu in gpus)
        per_gpu = max(gpu.memory_gib for gpu in gpus)
        offers.append(f"gpu={count}x{per_gpu:g}Gi")
        too_big += ["gpu count"] if request.gpu_count > count else []
        too_big += ["gpu memory"] if request.gpu_memory_gib > request.gpu_count * per_gpu else []
    offers.append(f"bandwidth={bandwidth:g}Gbps")
    too_big += ["bandwidth"] if request.bandwidth_gbps > bandwidth else []
    why = f"too big: {', '.join(too_big)}" if too_big else "each figure fits some type, but no type fits all at once"
    remedy = "lower the request or choose another GPU model" if request.gpu_model else "lower the request"
    return (
        f"no {provider} instance type fits one replica; the largest {request.label} types offer "
        f"{' '.join(offers)} allocatable per node ({why}): {remedy}"
    )
