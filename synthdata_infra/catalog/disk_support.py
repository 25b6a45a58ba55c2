"""Which disk types a cloud's machines can attach, and which (machine, storage class) pairs a
cloud module could produce that the machine cannot attach.

GCP is the cloud where this bites: a StorageClass of a disk type the node's machine series does
not support leaves the pod's volume unattachable (Hyperdisk on N1, the T4 and V100 machines).
``data/gcp_disk_support.yaml`` records Google's published machine-series support.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from synthdata_infra.catalog.models import InstanceType, StorageClassMapping, _read, catalog, storage_class_for


@functools.cache
def gcp_disk_support() -> dict[str, dict[str, int]]:
    """Machine series -> disk type -> fewest vCPUs a machine needs to attach it."""
    return {series: dict(types) for series, types in _read("gcp_disk_support.yaml")["series"].items()}


def machine_series(machine_type: str) -> str:
    """``n1-standard-8`` -> ``n1``."""
    return machine_type.split("-", 1)[0]


def gcp_can_attach(row: InstanceType, disk_type: str) -> bool:
    minimum = gcp_disk_support().get(machine_series(row.name), {}).get(disk_type)
    return minimum is not None and row.vcpu >= minimum


def candidate_rows(provider: str, gpu_model: str | None, needs_local_nvme: bool) -> list[InstanceType]:
    """The catalog rows a placement for ``gpu_model`` (None: CPU-only) may pick: only the model's
    own machines (placement never mixes GPU models), with local NVMe where the class needs it."""
    rows = [row for row in catalog(provider).instance_types if (row.gpu.model if row.gpu else None) == gpu_model]
    return [row for row in rows if row.local_nvme_gib > 0] if needs_local_nvme else rows


def unattachable(
    provider: str,
    storage_class: str,
    gpu_model: str | None,
    mapping_for: Callable[[str, str], StorageClassMapping] = storage_class_for,
) -> list[str]:
    """What a ``provider`` module placing ``gpu_model`` with volumes of ``storage_class`` would pick
    and could not attach the class's disk to (empty: every candidate machine attaches it).
    Clouds without a recorded machine/disk table answer empty: EBS limits are checked by
    ``catalog.ebs``; Azure disk SKUs are not recorded per VM size."""
    can_attach = CAN_ATTACH.get(provider)
    mapping = mapping_for(provider, storage_class)
    if can_attach is None or mapping.requires_local_nvme:
        return []  # node-local disks: the candidates are the machines that have them
    disk_type = mapping.parameters["type"]
    return [
        f"{row.name} ({row.vcpu} vCPU, {gpu_model or 'no GPU'}) cannot attach {disk_type} ({storage_class} -> {mapping.storage_class_name})"
        for row in candidate_rows(provider, gpu_model, needs_local_nvme=False)
        if not can_attach(row, disk_type)
    ]


# Clouds whose machine/disk-type support is recorded: provider -> (machine row, disk type) -> attachable.
CAN_ATTACH: dict[str, Callable[[InstanceType, str], bool]] = {"gcp": gcp_can_attach}


def gpu_models_of(provider: str) -> list[str]:
    return sorted({row.gpu.model for row in catalog(provider).instance_types if row.gpu})
