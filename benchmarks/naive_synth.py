"""The naive baseline of synth_bench.py: every module in one process, with all four provider
binding packages imported the plain way (each package's __init__ loads all its submodules)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import cdktf_cdktf_provider_aws  # noqa: F401
import cdktf_cdktf_provider_azurerm  # noqa: F401
import cdktf_cdktf_provider_google  # noqa: F401
import cdktf_cdktf_provider_kubernetes  # noqa: F401

from synthdata_infra.synth.registry import ModuleSpec
from synthdata_infra.synth.worker import synthesize

if __name__ == "__main__":
    staging, *encoded = sys.argv[1:]
    synthesize([ModuleSpec(**json.loads(item)) for item in encoded], Path(staging))
