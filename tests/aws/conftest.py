"""Real Terraform (with the machine's provider mirror) and moto's local AWS API."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
import requests


@pytest.fixture(scope="session")
def terraform_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Environment for terraform: the AWS provider from TF_PROVIDER_MIRROR (the Makefile finds
    it) when set, else the public registry; a shared plugin cache so inits do not copy it."""
    folder = tmp_path_factory.mktemp("terraform")
    cache = folder / "plugin-cache"
    cache.mkdir()
    env = {**os.environ, "TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1", "TF_PLUGIN_CACHE_DIR": str(cache)}
    mirror = os.environ.get("TF_PROVIDER_MIRROR")
    if mirror:
        config = folder / "terraformrc"
        config.write_text(
            "provider_installation {\n"
            f'  filesystem_mirror {{\n    path    = "{mirror}"\n    include = ["registry.terraform.io/hashicorp/aws"]\n  }}\n'
            '  direct {\n    exclude = ["registry.terraform.io/hashicorp/aws"]\n  }\n'
            "}\n"
        )
        env["TF_CLI_CONFIG_FILE"] = str(config)
    return env


def terraform(env: dict[str, str], cwd: Path, *args: str, timeout: int = 900) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["terraform", *args, "-no-color"], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


@pytest.fixture(scope="session")
def moto_endpoint():
    """moto's server on 127.0.0.1 (a free port), with AWS managed IAM policies loaded."""
    from moto.server import ThreadedMotoServer

    previous = os.environ.get("MOTO_IAM_LOAD_MANAGED_POLICIES")
    os.environ["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "true"
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()
        if previous is None:
            os.environ.pop("MOTO_IAM_LOAD_MANAGED_POLICIES", None)
        else:
            os.environ["MOTO_IAM_LOAD_MANAGED_POLICIES"] = previous


@pytest.fixture
def moto(moto_endpoint):
    """A clean moto for one test."""
    requests.post(f"{moto_endpoint}/moto-api/reset", timeout=30).raise_for_status()
    return moto_endpoint
