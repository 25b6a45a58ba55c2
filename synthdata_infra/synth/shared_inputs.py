"""Inputs and sizes the modules share, declared once."""

from __future__ import annotations

import math

from synthdata_infra.config.models import ServiceConfig
from synthdata_infra.naming import ENVIRONMENT_NAME_MAX, ENVIRONMENT_RULE, SERVICE_NAME_MAX, SERVICE_NAME_RULE
from synthdata_infra.quantities import memory_gib
from synthdata_infra.synth.module_stack import ModuleStack

# Bounds of the node pool inputs: 1,000 nodes is the per-pool ceiling of EKS managed node groups,
# GKE node pools (per zone) and AKS node pools; 20 GiB to 16 TiB fits every cloud's boot disks.
NODE_POOL_MAX = 1000
NODE_DISK_MIN_GIB = 20
NODE_DISK_MAX_GIB = 16384
NODE_DISK_BASE_GIB = 50  # OS, container images and logs, before the model cache


def service_name_input(stack: ModuleStack, description: str) -> str:
    return stack.variable(
        "service_name",
        type="string",
        description=description,
        example='"customer-synth"',
        validation=[
            {
                "condition": f'${{can(regex("{SERVICE_NAME_RULE}", var.service_name))}}',
                "error_message": f"service_name must be a lower-case DNS label of at most {SERVICE_NAME_MAX} characters.",
            }
        ],
    )


def cloud_service_name_input(stack: ModuleStack) -> str:
    return service_name_input(
        stack, f"Name of the service, as given to the kubernetes module (lower-case DNS label, at most {SERVICE_NAME_MAX} characters)."
    )


def environment_input(stack: ModuleStack, description: str = f"Environment name (at most {ENVIRONMENT_NAME_MAX} characters); part of every resource name.") -> str:
    return stack.variable(
        "environment",
        type="string",
        description=description,
        example='"production"',
        validation=[
            {
                "condition": f'${{can(regex("{ENVIRONMENT_RULE}", var.environment))}}',
                "error_message": f"environment must be lower-case letters, digits and '-', at most {ENVIRONMENT_NAME_MAX} characters.",
            }
        ],
    )


def node_disk_gib(config: ServiceConfig) -> int:
    """A node's own disk: the base plus the model cache the profile keeps on it."""
    cache = config.specific.model_cache
    return NODE_DISK_BASE_GIB + (math.ceil(memory_gib(cache.size)) if cache and cache.enabled else 0)


def gpu_model_input(stack: ModuleStack, config: ServiceConfig) -> str:
    """The GPU model of a cloud module's nodes (a catalog name); "" for a CPU profile (no input)."""
    if not config.gpu:
        return ""
    from synthdata_infra.catalog import gpu_models

    known = sorted(gpu_models())
    listed = ", ".join(f'"{name}"' for name in known)
    return stack.variable(
        "gpu_model",
        type="string",
        description="GPU model of the nodes (a catalog name); pick node sizes that carry it.",
        default=config.gpu.type,
        validation=[
            {
                "condition": f"${{contains([{listed}], var.gpu_model)}}",
                "error_message": f"gpu_model must be one of {', '.join(known)}.",
            }
        ],
    )

