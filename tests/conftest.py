"""Shared fixtures: a copy of the project's profiles/environments, a CLI runner that goes
through the real console entry point (error boundary included), and one real synth of every
module per test session."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from synthdata_infra.config import data_types, resolve

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A scratch copy of profiles/ and environments/ the test may edit; SYNTHDATA_INFRA_ROOT points at it."""
    for folder in ("profiles", "environments"):
        shutil.copytree(REPO / folder, tmp_path / folder)
    monkeypatch.setenv("SYNTHDATA_INFRA_ROOT", str(tmp_path))
    return tmp_path


def edit_yaml(path: Path, edit) -> None:
    data = yaml.safe_load(path.read_text()) or {}
    edit(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False))


@dataclass
class Result:
    exit_code: int
    stdout: str
    stderr: str


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch):
    """Run ``synthdata-infra ARGS`` in-process through ``synthdata_infra.cli.main``."""
    from synthdata_infra.cli import main

    def run(*args: str) -> Result:
        monkeypatch.setattr(sys, "argv", ["synthdata-infra", *args])
        capsys.readouterr()
        with pytest.raises(SystemExit) as exited:
            main()
        out = capsys.readouterr()
        code = exited.value.code
        return Result(code if isinstance(code, int) else 1, out.out, out.err)

    return run


# The data types and which of them run on GPUs, from the project's profiles/ folders.
TYPES = data_types(REPO)
GPU_TYPES = tuple(kind for kind in TYPES if resolve(kind, environment=None, root=REPO).gpu)
# folder under modules_out -> (provider local name, source)
LAYERS = {
    "kubernetes": ("kubernetes", "hashicorp/kubernetes"),
    "aws": ("aws", "hashicorp/aws"),
    "gcp": ("google", "hashicorp/google"),
    "azure": ("azurerm", "hashicorp/azurerm"),
    "onprem": ("kubernetes", "hashicorp/kubernetes"),
}
MONITORING = [(layer, "monitoring") for layer in ("aws", "gcp", "azure", "onprem")]
MODULES = [(layer, kind) for layer in ("kubernetes", "aws", "gcp", "azure") for kind in TYPES] + MONITORING


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    script = Path(sys.executable).with_name("synthdata-infra")
    return subprocess.run(
        [str(script), *args], capture_output=True, text=True, check=False, cwd=REPO, env={**os.environ, **(env or {})}
    )


@pytest.fixture(scope="session")
def cdktf_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The output folder of the real `cdktf synth` (npm cdktf-cli running main.py), once per session."""
    cdktf = os.environ.get("CDKTF") or str(REPO / ".tools" / "cdktf" / "node_modules" / ".bin" / "cdktf")
    assert Path(cdktf).is_file(), f"cdktf CLI not found at {cdktf}: run `make test`, which installs it"
    out = tmp_path_factory.mktemp("cdktf") / "cdktf.out"
    # cdktf.json runs `python main.py`: the project's interpreter must come first on PATH.
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}", "CHECKPOINT_DISABLE": "1"}
    done = subprocess.run([cdktf, "synth", "--output", str(out)], cwd=REPO, env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    return out


@pytest.fixture(scope="session")
def fresh_modules(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("synth") / "modules_out"
    done = run_cli("synth", "--provider", "all", "--out", str(out))
    assert done.returncode == 0, done.stderr
    return out


@pytest.fixture(scope="session")
def synthesized(tmp_path_factory: pytest.TempPathFactory):
    """``synthesized("gcp")``: a folder holding a real synth of one provider's modules (once per session)."""
    done: dict[str, Path] = {}

    def get(provider: str) -> Path:
        if provider not in done:
            out = tmp_path_factory.mktemp(f"synth-{provider}") / "modules_out"
            result = run_cli("synth", "--provider", provider, "--out", str(out))
            assert result.returncode == 0, result.stderr
            done[provider] = out
        return done[provider]

    return get


def load(module: Path, name: str) -> dict:
    return json.loads((module / name).read_text())


def resources(module: Path, resource_type: str) -> dict[str, dict]:
    return load(module, "main.tf.json")["resource"].get(resource_type, {})


def strings(value):
    """Every string inside a JSON document (for checks on Terraform templates)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)


def unescape(text: str) -> str:
    """A Terraform template's literal text: $${ and %%{ are escaped ${ and %{."""
    return text.replace("$${", "${").replace("%%{", "%{")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Slow tests first (a stable sort: the order within each part is kept). With two xdist
    workers the long applies start at once and the quick tests fill in around them, instead of
    one long test running alone at the end."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)
