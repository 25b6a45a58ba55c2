"""Resource catalog and placement ("Resource Manager").

The catalog is dated list-price data shipped with the package (GPU models, instance types per
cloud, storage-class mappings); ``place`` turns one replica's needs into the cheapest instance
type and node count that run all replicas.
"""

from synthdata_infra.catalog.models import (
    PROVIDERS_WITH_CATALOG,
    STORAGE_PROVIDERS,
    CloudCatalog,
    GpuModel,
    GpuSpec,
    InstanceType,
    Pricing,
    StorageClassMapping,
    aws_managed_policy_arn,
    catalog,
    gpu_models,
    storage_class_for,
    storage_classes,
)
from synthdata_infra.catalog.placement import (
    HOURS_PER_MONTH,
    Placement,
    allocatable_cpu,
    allocatable_memory_gib,
    place,
)

__all__ = [
    "HOURS_PER_MONTH",
    "PROVIDERS_WITH_CATALOG",
    "STORAGE_PROVIDERS",
    "CloudCatalog",
    "GpuModel",
    "GpuSpec",
    "InstanceType",
    "Placement",
    "Pricing",
    "StorageClassMapping",
    "allocatable_cpu",
    "aws_managed_policy_arn",
    "allocatable_memory_gib",
    "catalog",
    "gpu_models",
    "place",
    "storage_class_for",
    "storage_classes",
]
