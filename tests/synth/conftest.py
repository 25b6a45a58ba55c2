"""One real synth of the on-prem modules per test session, shared by the synth tests."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

TYPES = ("tabular", "time_series", "text", "image", "audio", "video")


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    script = Path(sys.executable).with_name("synthdata-infra")
    return subprocess.run(
        [str(script), *args], capture_output=True, text=True, check=False, cwd=REPO, env={**os.environ, **(env or {})}
    )


@pytest.fixture(scope="session")
def fresh_modules(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("synth") / "modules_out"
    done = run_cli("synth", "--provider", "onprem", "--out", str(out))
    assert done.returncode == 0, done.stderr
    return out


def load(module: Path, name: str) -> dict:
    return json.loads((module / name).read_text())


def resources(module: Path, resource_type: str) -> dict[str, dict]:
    return load(module, "main.tf.json")["resource"].get(resource_type, {})
