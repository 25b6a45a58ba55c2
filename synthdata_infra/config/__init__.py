"""Configuration: profiles, environments, the layered merge and its validation."""

from synthdata_infra.config.environment import Environment, ServiceEntry
from synthdata_infra.config.loader import (
    available_environments,
    check_data_type,
    data_types,
    deep_merge,
    load_environment,
    parse_override,
    parse_overrides,
    project_root,
    resolve,
    type_folder,
)
from synthdata_infra.config.models import PROVIDERS, ServiceConfig

__all__ = [
    "PROVIDERS",
    "Environment",
    "ServiceConfig",
    "ServiceEntry",
    "available_environments",
    "check_data_type",
    "data_types",
    "deep_merge",
    "load_environment",
    "parse_override",
    "parse_overrides",
    "project_root",
    "resolve",
    "type_folder",
]
