"""Models of an environment file (``environments/<name>.yaml``)."""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import AfterValidator, Field

from synthdata_infra.config.models import DataType, DnsLabel, Strict

_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
WORKSPACE_PLACEHOLDERS = ("service", "environment", "data_type")


def _workspace_template(value: str) -> str:
    names = _PLACEHOLDER.findall(value)
    unknown = [name for name in names if name not in WORKSPACE_PLACEHOLDERS]
    if unknown or "service" not in names:
        raise ValueError(
            "expected a workspace name template using {service} and optionally "
            "{environment} and {data_type}, e.g. 'synthdata-{service}-{environment}'"
        )
    if not re.fullmatch(r"[A-Za-z0-9_{}-]+", value):
        raise ValueError("expected letters, digits, '-', '_' and {placeholders} only")
    return value


class Regions(Strict):
    aws: str = Field(pattern=r"^[a-z]{2}(-gov)?-[a-z]+-\d$")
    gcp: str = Field(pattern=r"^[a-z]+-[a-z]+\d$")
    azure: str = Field(pattern=r"^[a-z0-9]+$")


class TerraformCloud(Strict):
    organization: str = Field(pattern=r"^[A-Za-z0-9_-]+$")
    workspace_name: Annotated[str, AfterValidator(_workspace_template)]
    project: str | None = None

    def workspace_for(self, service: str, environment: str, data_type: str) -> str:
        return self.workspace_name.format(service=service, environment=environment, data_type=data_type)


class ServiceEntry(Strict):
    """A service deployed in the environment (recorded by ``synthdata-infra deploy``)."""

    name: DnsLabel
    data_type: DataType
    provider: str = Field(pattern=r"^(aws|gcp|azure|onprem)$")
    replicas: int | None = Field(default=None, ge=1)
    overrides: dict[str, Any] = Field(default_factory=dict)


class Environment(Strict):
    name: DnsLabel
    description: str
    regions: Regions
    terraform_cloud: TerraformCloud | None
    config: dict[str, Any] = Field(default_factory=dict, description="layer merged over base and type")
    services: tuple[ServiceEntry, ...] = ()
