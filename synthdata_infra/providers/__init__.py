"""The providers synthdata-infra deploys to: one class each (see ``base.Provider``), one registry.

Everything else asks the registry: the CLI's choices, the synth registry's module list, the
roots' provider blocks, the catalogs with prices. Adding a provider is a class here plus what
its class names (module builders, a catalog file); see README "Adding a provider".
"""

from __future__ import annotations

from synthdata_infra.errors import ConfigError
from synthdata_infra.providers.aws import Aws
from synthdata_infra.providers.azure import Azure
from synthdata_infra.providers.base import GRAFANA, HELM, KUBERNETES, WORKLOAD, Binding, ModuleLayer, Provider
from synthdata_infra.providers.gcp import Gcp
from synthdata_infra.providers.onprem import Onprem

REGISTRY: dict[str, Provider] = {provider.name: provider for provider in (Aws(), Gcp(), Azure(), Onprem())}


def names() -> tuple[str, ...]:
    """Every provider, in the order messages and outputs list them."""
    return tuple(REGISTRY)


def with_catalog() -> tuple[str, ...]:
    """Providers with an instance catalog (node types and prices): the ones `cost` can price."""
    return tuple(name for name, provider in REGISTRY.items() if provider.has_catalog)


def get(name: str, key: str = "provider", *, catalog: bool = False) -> Provider:
    """The provider called ``name``; anything else is a ``ConfigError`` naming ``key``.

    ``catalog=True`` also requires an instance catalog."""
    allowed = with_catalog() if catalog else names()
    if name not in allowed:
        reason = " (a cloud catalog is needed)" if name in REGISTRY else ""
        raise ConfigError(key, name, f"expected one of {', '.join(allowed)}{reason}")
    return REGISTRY[name]


def bindings() -> dict[str, Binding]:
    """Every Terraform provider a module may require, by local name."""
    found = {KUBERNETES.name: KUBERNETES, HELM.name: HELM, GRAFANA.name: GRAFANA}
    for provider in REGISTRY.values():
        found[provider.binding.name] = provider.binding
    return found


__all__ = ["GRAFANA", "HELM", "KUBERNETES", "REGISTRY", "WORKLOAD", "Binding", "ModuleLayer", "Provider", "bindings", "get", "names", "with_catalog"]
