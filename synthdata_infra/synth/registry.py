"""Which modules each provider produces, and which binding package builds them.

Pure data: the driver reads it without importing cdktf; the worker imports the builder.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

from synthdata_infra.config.loader import data_types
from synthdata_infra.errors import ConfigError


@dataclass(frozen=True)
class ModuleSpec:
    layer: str  # first folder under the output: kubernetes, aws, gcp, azure, onprem
    name: str  # data type, or "monitoring"
    binding: str  # provider binding the builder imports; one worker process per binding
    builder: str  # "package.module:function"

    @property
    def folder(self) -> str:
        return f"{self.layer}/{self.name}"

    @property
    def stack_id(self) -> str:
        return f"{self.layer}-{self.name}".replace("_", "-")

    def build(self, scope, config):
        module_name, _, function = self.builder.partition(":")
        return getattr(importlib.import_module(module_name), function)(scope, self.stack_id, config)


_WORKLOAD = "synthdata_infra.synth.workload_module:build"
_AWS = "synthdata_infra.synth.aws_module:build"
_GCP = "synthdata_infra.synth.gcp_module:build"
_AZURE = "synthdata_infra.synth.azure_module:build"

MONITORING = "monitoring"

# provider -> the module layers it synthesizes: (folder under the output, binding, builder)
PROVIDER_MODULES: dict[str, tuple[tuple[str, str, str], ...]] = {
    "aws": (("aws", "aws", _AWS),),
    "gcp": (("gcp", "google", _GCP),),
    "azure": (("azure", "azurerm", _AZURE),),
    "onprem": (("kubernetes", "kubernetes", _WORKLOAD),),
}
# provider -> (folder, binding, builder) of its monitoring module: one per provider, not per type.
MONITORING_MODULES: dict[str, tuple[str, str, str]] = {
    "aws": ("aws", "aws", "synthdata_infra.synth.aws_monitoring_module:build"),
    "gcp": ("gcp", "google", "synthdata_infra.synth.gcp_monitoring_module:build"),
    "azure": ("azure", "azurerm", "synthdata_infra.synth.azure_monitoring_module:build"),
    "onprem": ("onprem", "kubernetes", "synthdata_infra.synth.onprem_monitoring_module:build"),
}
SYNTH_PROVIDERS = tuple(PROVIDER_MODULES)


def modules_for(provider: str, data_type: str) -> list[ModuleSpec]:
    """Modules of ``provider`` (or ``all``) for ``data_type`` (or ``all``), in a stable order."""
    providers = SYNTH_PROVIDERS if provider == "all" else (provider,)
    for name in providers:
        if name not in PROVIDER_MODULES:
            raise ConfigError("--provider", provider, f"expected one of {', '.join((*SYNTH_PROVIDERS, 'all'))}")
    if data_type != "all" and data_type not in data_types():
        raise ConfigError("--type", data_type, f"expected one of {', '.join((*data_types(), 'all'))}")
    types = data_types() if data_type == "all" else (data_type,)
    specs = [
        ModuleSpec(layer=layer, name=kind, binding=binding, builder=builder)
        for name in providers
        for layer, binding, builder in PROVIDER_MODULES[name]
        for kind in types
    ]
    if data_type == "all":  # monitoring covers every type, so it comes with "all" only
        specs += [
            ModuleSpec(layer=layer, name=MONITORING, binding=binding, builder=builder)
            for name in providers
            if name in MONITORING_MODULES
            for layer, binding, builder in [MONITORING_MODULES[name]]
        ]
    return specs
