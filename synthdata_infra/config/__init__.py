"""Configuration: profiles, environments, the layered merge and its validation."""

from synthdata_infra.config.environment import Environment, ServiceEntry
from synthdata_infra.config.loader import (
    DATA_TYPES,
    available_environments,
    deep_merge,
    load_environment,
    parse_override,
    parse_overrides,
    project_root,
    resolve,
)
from synthdata_infra.config.models import PROVIDERS, DataType, ServiceConfig

__all__ = [
    "DATA_TYPES",
    "PROVIDERS",
    "DataType",
    "Environment",
    "ServiceConfig",
    "ServiceEntry",
    "available_environments",
    "deep_merge",
    "load_environment",
    "parse_override",
    "parse_overrides",
    "project_root",
    "resolve",
]
