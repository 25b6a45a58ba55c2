"""The tags (labels on GCP) every cloud resource of a service carries, for cost allocation."""

from __future__ import annotations

from synthdata_infra.components.expressions import merged


def resource_tags(caller_tags: str, *, service_name: str, environment: str, data_type: str, separator: str = ":") -> str:
    """The caller's map (an expression) plus ``synthdata<separator>service``, ``...environment`` and
    ``...data-type``, which win over the caller's. GCP label keys allow no ``:``: it passes ``-``."""
    return merged(
        caller_tags,
        {
            f"synthdata{separator}service": service_name,
            f"synthdata{separator}environment": environment,
            f"synthdata{separator}data-type": data_type,
        },
    )
