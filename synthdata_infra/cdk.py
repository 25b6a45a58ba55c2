"""The one place that imports CDK for Terraform and its provider bindings.

cdktf was archived upstream (2025-12-10); its community successor (CDK Terrain) has the same
API under other import names. Everything else in the package imports cdktf names from here,
so a switch changes this file only.

Provider bindings are loaded on first use, one provider per process: importing a binding
package costs seconds and hundreds of MiB because jsii loads every submodule eagerly. The
garbage collector is paused during that import and the loaded objects frozen afterwards,
which cuts the import time by about 40% here (nothing allocated then is garbage).
"""

from __future__ import annotations

import gc
import importlib
import os
from types import ModuleType

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

from cdktf import (  # noqa: E402
    App,
    Fn,
    TerraformElement,
    TerraformLocal,
    TerraformOutput,
    TerraformResource,
    TerraformStack,
    TerraformVariable,
    Testing,
    Token,
)
from constructs import Construct  # noqa: E402

BINDING_PACKAGES = {
    "aws": "cdktf_cdktf_provider_aws",
    "google": "cdktf_cdktf_provider_google",
    "azurerm": "cdktf_cdktf_provider_azurerm",
    "kubernetes": "cdktf_cdktf_provider_kubernetes",
}


class Bindings:
    """Attribute access to a provider's binding submodules: ``kubernetes.deployment_v1``."""

    def __init__(self, provider: str) -> None:
        self._package = BINDING_PACKAGES[provider]

    def __getattr__(self, submodule: str) -> ModuleType:
        name = f"{self._package}.{submodule}"
        module = _loaded.get(name)
        if module is None:
            was_enabled = gc.isenabled()
            gc.disable()
            try:
                module = importlib.import_module(name)
            finally:
                gc.freeze()
                if was_enabled:
                    gc.enable()
            _loaded[name] = module
        return module


_loaded: dict[str, ModuleType] = {}

aws = Bindings("aws")
google = Bindings("google")
azurerm = Bindings("azurerm")
kubernetes = Bindings("kubernetes")

__all__ = [
    "App",
    "Bindings",
    "Construct",
    "Fn",
    "TerraformElement",
    "TerraformLocal",
    "TerraformOutput",
    "TerraformResource",
    "TerraformStack",
    "TerraformVariable",
    "Testing",
    "Token",
    "aws",
    "azurerm",
    "google",
    "kubernetes",
]
