"""Which modules each provider produces (see ``providers``), and which binding package builds them.

Pure data: the driver reads it without importing cdktf; the worker imports the builder.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

from synthdata_infra import providers
from synthdata_infra.config.loader import data_types
from synthdata_infra.errors import ConfigError
from synthdata_infra.naming import module_stack_id


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
        return module_stack_id(self.layer, self.name)

    def build(self, scope, config):
        module_name, _, function = self.builder.partition(":")
        return getattr(importlib.import_module(module_name), function)(scope, self.stack_id, config)


MONITORING = "monitoring"
PLATFORM = "platform"
DASHBOARDS = "grafana"  # modules_out/<provider>/grafana: the dashboards imported into the monitoring module's Grafana


def modules_for(provider: str, data_type: str) -> list[ModuleSpec]:
    """Modules of ``provider`` (or ``all``) for ``data_type`` (or ``all``), in a stable order."""
    if provider != "all" and provider not in providers.names():
        raise ConfigError("--provider", provider, f"expected one of {', '.join((*providers.names(), 'all'))}")
    chosen = [providers.get(name) for name in (providers.names() if provider == "all" else (provider,))]
    if data_type != "all" and data_type not in data_types():
        raise ConfigError("--type", data_type, f"expected one of {', '.join((*data_types(), 'all'))}")
    types = data_types() if data_type == "all" else (data_type,)
    specs = [
        ModuleSpec(layer=layer.folder, name=kind, binding=layer.binding, builder=layer.builder)
        for each in chosen
        for layer in each.modules
        for kind in types
    ]
    if data_type == "all":  # monitoring covers every type, so it comes with "all" only
        specs += [
            ModuleSpec(layer=each.monitoring.folder, name=MONITORING, binding=each.monitoring.binding, builder=each.monitoring.builder)
            for each in chosen
        ]
        specs += [  # the monitoring module's dashboards, imported into its Grafana
            ModuleSpec(layer=each.dashboards.folder, name=DASHBOARDS, binding=each.dashboards.binding, builder=each.dashboards.builder)
            for each in chosen
            if each.dashboards is not None
        ]
        specs += [  # once per cluster, covering every type
            ModuleSpec(layer=each.platform.folder, name=PLATFORM, binding=each.platform.binding, builder=each.platform.builder)
            for each in chosen
            if each.platform is not None
        ]
    return specs
