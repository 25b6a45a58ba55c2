"""EBS volume limits (AWS's published figures, as of 2026-12-03): how many IOPS and how much
throughput a volume of a type and size may ask for, on which kind of instance.

Source: Amazon EBS volume types (EBS User Guide). gp3: 3,000 IOPS / 125 MiB/s baseline, at most
500 IOPS per GiB up to 16,000, and 0.25 MiB/s per provisioned IOPS up to 1,000 MiB/s. io2: at
most 1,000 IOPS per GiB, up to 256,000 on instances built on the Nitro System (Block Express)
and 32,000 on others. io1: 50 IOPS per GiB up to 64,000 on Nitro, 32,000 on others.
"""

from __future__ import annotations

from dataclasses import dataclass

from synthdata_infra.catalog.models import InstanceType


@dataclass(frozen=True)
class VolumeLimits:
    iops_per_gib: int
    min_iops: int
    max_iops_nitro: int
    max_iops_other: int
    max_throughput_mibps: int | None = None  # only where throughput is provisioned apart from IOPS
    min_throughput_mibps: int | None = None
    throughput_per_iops: float | None = None


VOLUME_LIMITS = {
    "gp3": VolumeLimits(500, 3000, 16000, 16000, max_throughput_mibps=1000, min_throughput_mibps=125, throughput_per_iops=0.25),
    "io2": VolumeLimits(1000, 100, 256000, 32000),
    "io1": VolumeLimits(50, 100, 64000, 32000),
}


def iops_ceiling(volume_type: str, instance: InstanceType) -> int:
    """The most IOPS one volume of ``volume_type`` can deliver on ``instance`` (volume type,
    hypervisor, and the instance's own EBS ceiling)."""
    limits = VOLUME_LIMITS[volume_type]
    by_volume = limits.max_iops_nitro if instance.hypervisor == "nitro" else limits.max_iops_other
    return min(by_volume, instance.ebs_max_iops) if instance.ebs_max_iops else by_volume
