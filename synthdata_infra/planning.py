"""Placement of a resolved configuration on a cloud's catalog (the seed's Resource Manager)."""

from __future__ import annotations

import math

from synthdata_infra import providers
from synthdata_infra.catalog import Placement, place, storage_class_for
from synthdata_infra.config.models import ServiceConfig


def check_provider(provider: str, *, cloud_only: bool = False) -> str:
    """``provider`` if the registry has it (with an instance catalog when ``cloud_only``)."""
    return providers.get(provider, catalog=cloud_only).name


def placement_for(config: ServiceConfig, provider: str) -> Placement:
    """The cheapest node type and count that run ``config.replicas`` replicas on ``provider``."""
    check_provider(provider, cloud_only=True)
    gpu = config.gpu
    return place(
        provider,
        cpu=config.resources.cpu_cores,
        memory_gib=config.resources.memory_gib,
        gpu_model=gpu.type if gpu else None,
        gpu_count=gpu.count if gpu else 0,
        gpu_memory_gib=gpu.memory_gib if gpu else 0.0,
        bandwidth_gbps=config.networking.bandwidth_gbps,
        replicas=config.replicas,
        needs_local_nvme=storage_class_for(provider, config.storage.storage_class).requires_local_nvme,
    )


def node_pool_sizes(config: ServiceConfig, replicas_per_node: int) -> dict[str, int]:
    """Node pool bounds: the floor holds min_replicas, creation holds replicas, the cap max_replicas."""
    return {
        "node_min_size": math.ceil(config.scaling.min_replicas / replicas_per_node),
        "node_desired_size": math.ceil(config.replicas / replicas_per_node),
        "node_max_size": math.ceil(config.scaling.max_replicas / replicas_per_node),
    }
