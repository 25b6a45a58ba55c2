"""The one place that imports CDK for Terraform and its provider bindings.

cdktf was archived upstream (2025-12-10); its community successor (CDK Terrain) has the same
API under other import names. Everything else in the package imports cdktf names from here,
so a switch changes this file only.

Provider bindings are loaded on first use, and only the submodules used: a binding package's
``__init__`` imports every one of its ~1000 submodules (aws: ~5 s and ~570 MiB here). The
package is registered without running its ``__init__``, so ``aws.s3_bucket`` imports just that
submodule and the jsii assembly (~1.8 s, ~40 MiB for a module's worth of resources). The
garbage collector is paused during those imports and the loaded objects frozen afterwards
(nothing allocated then is garbage; about 40% less import time).
"""

from __future__ import annotations

import gc
import importlib
import importlib.util
import os
import sys
from types import ModuleType

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

from cdktf import (  # noqa: E402
    App,
    CloudBackend,
    DataResource,
    Fn,
    LocalBackend,
    NamedCloudWorkspace,
    TerraformElement,
    TerraformHclModule,
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
    "helm": "cdktf_cdktf_provider_helm",
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
                _register_without_init(self._package)
                module = importlib.import_module(name)
            finally:
                gc.freeze()
                if was_enabled:
                    gc.enable()
            _loaded[name] = module
        return module


def _register_without_init(package: str) -> None:
    """Make ``package`` importable as a parent without executing its ``__init__``."""
    if package in sys.modules:
        return
    spec = importlib.util.find_spec(package)
    if spec is None:
        raise ImportError(f"the provider binding package {package} is not installed")
    sys.modules[package] = importlib.util.module_from_spec(spec)


_loaded: dict[str, ModuleType] = {}

aws = Bindings("aws")
google = Bindings("google")
azurerm = Bindings("azurerm")
kubernetes = Bindings("kubernetes")
helm = Bindings("helm")

__all__ = [
    "App",
    "Bindings",
    "CloudBackend",
    "DataResource",
    "Construct",
    "Fn",
    "LocalBackend",
    "NamedCloudWorkspace",
    "TerraformElement",
    "TerraformHclModule",
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
    "helm",
    "kubernetes",
]
