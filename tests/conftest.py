"""Shared fixtures: a copy of the project's profiles/environments, a CLI runner that goes
through the real console entry point (error boundary included), and one real synth of every
module per test session."""

from __future__ import annotations

import fcntl
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
from synthdata_infra import providers
from synthdata_infra.synth.registry import modules_for

REPO = Path(__file__).resolve().parents[1]

# checkov's default parallel runner forks a process per CPU for every scan; on a small machine the
# forks of a large interpreter cost more than they save (same findings, about 40% less CPU time,
# measured on modules_out). Every checkov the tests start, directly or through `validate`, inherits it.
os.environ.setdefault("CHECKOV_PARALLELIZATION_TYPE", "none")


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


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    script = Path(sys.executable).with_name("synthdata-infra")
    return subprocess.run(
        [str(script), *args], capture_output=True, text=True, check=False, cwd=REPO, env={**os.environ, **(env or {})}
    )


@pytest.fixture(scope="session")
def cdktf_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The output folder of the real `cdktf synth` (npm cdktf-cli running main.py), once per test
    run: the first xdist worker that asks runs it under a lock, the others read its result."""
    cdktf = os.environ.get("CDKTF") or str(REPO / ".tools" / "cdktf" / "node_modules" / ".bin" / "cdktf")
    assert Path(cdktf).is_file(), f"cdktf CLI not found at {cdktf}: run `make test`, which installs it"
    folder = run_folder(tmp_path_factory) / "shared-cdktf"
    folder.mkdir(exist_ok=True)
    out, result = folder / "cdktf.out", folder / "result.json"
    with open(folder / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not result.exists():
            shutil.rmtree(out, ignore_errors=True)
            # cdktf.json runs `python main.py`: the project's interpreter must come first on PATH.
            env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}", "CHECKPOINT_DISABLE": "1"}
            env.pop("SYNTHDATA_INFRA_ROOT", None)  # the project's own profiles and environments
            done = subprocess.run([cdktf, "synth", "--output", str(out)], cwd=REPO, env=env, capture_output=True, text=True, check=False)
            result.write_text(json.dumps({"returncode": done.returncode, "output": done.stdout + done.stderr}))
    done = json.loads(result.read_text())
    assert done["returncode"] == 0, done["output"]
    return out


def run_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder every process of this test run shares: the xdist workers' common parent, or the
    run's own base folder without xdist (never one an earlier run left behind)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


def once_per_run(tmp_path_factory: pytest.TempPathFactory, name: str, produce) -> Path:
    """``produce(folder)`` run once per test run (all xdist workers): the first process that asks
    runs it under a lock, the others wait for it; returns the folder it wrote into."""
    folder = run_folder(tmp_path_factory) / f"once-{name}"
    folder.mkdir(exist_ok=True)
    with open(folder / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (folder / "done").exists():
            produce(folder)
            (folder / "done").touch()
    return folder


def shared_synth(tmp_path_factory: pytest.TempPathFactory, name: str) -> Path:
    """A real synth of every module into an empty cache of its own, run once per test run: the
    first process that asks runs it under a lock, the others wait for it and read its result."""
    folder = run_folder(tmp_path_factory) / f"shared-synth-{name}"
    folder.mkdir(exist_ok=True)
    out, cache, result = folder / "modules_out", folder / "cache", folder / "result.json"
    with open(folder / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not result.exists():
            shutil.rmtree(out, ignore_errors=True)
            shutil.rmtree(cache, ignore_errors=True)
            done = run_cli("synth", "--provider", "all", "--out", str(out), env={"SYNTHDATA_INFRA_CACHE": str(cache), "SYNTHDATA_INFRA_ROOT": str(REPO)})
            result.write_text(json.dumps({"returncode": done.returncode, "stdout": done.stdout, "stderr": done.stderr}))
    done = json.loads(result.read_text())
    assert done["returncode"] == 0, done["stderr"]
    # Every module synthesized, none copied from a cache: the output is really fresh.
    count = len(modules_for("all", "all"))
    assert done["stdout"].strip() == f"{out}: {count} module(s) written ({count} synthesized, 0 from cache), 0 unchanged"
    return out


@pytest.fixture(scope="session")
def modules_out_scan(tmp_path_factory: pytest.TempPathFactory) -> subprocess.CompletedProcess[str]:
    """The `validate` command's checkov scan of all of modules_out/ (the project's config and
    custom checks), once per test run: the validate test and the provider tests read it."""
    from synthdata_infra.validate import checkov_scan

    def scan(folder: Path) -> None:
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("SYNTHDATA_INFRA_ROOT", str(REPO))
            done = checkov_scan(REPO / "modules_out")
        assert done is not None, "checkov is not installed: run `make test`, which installs it"
        (folder / "result.json").write_text(json.dumps({"returncode": done.returncode, "stdout": done.stdout, "stderr": done.stderr}))

    stored = json.loads((once_per_run(tmp_path_factory, "checkov-modules-out", scan) / "result.json").read_text())
    return subprocess.CompletedProcess(["checkov"], stored["returncode"], stored["stdout"], stored["stderr"])


@pytest.fixture(scope="session")
def modules_out_checkov(modules_out_scan) -> dict:
    """That scan's findings: passed, failed, parsing errors, exit status."""
    from tests.test_checkov import parse_report

    return parse_report(modules_out_scan)


@pytest.fixture(scope="session")
def fresh_modules(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every module of the registry, synthesized once for the whole test run (all xdist workers)
    into an empty cache. Read it, never write into it: copy what a test edits."""
    return shared_synth(tmp_path_factory, "fresh")


@pytest.fixture(scope="session")
def synthesized(fresh_modules: Path):
    """``synthesized("gcp")``: a folder holding a real synth of that provider's modules (the run's
    one synth of every module; read only)."""

    def get(provider: str) -> Path:
        assert provider in providers.names(), provider
        return fresh_modules

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


# A test using one of these drives a real tool (terraform, moto, the cdktf CLI): integration.
INTEGRATION_FIXTURES = {"terraform_env", "moto", "moto_endpoint", "terraform_root", "cdktf_out"}
# ... and these take long enough (the cdktf CLI's synth of every stack) to leave the fast loop.
SLOW_FIXTURES = {"moto", "moto_endpoint", "cdktf_out"}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Markers from the fixtures a test uses, then slow tests first (a stable sort: the order
    within each part is kept). With xdist workers the long applies start at once and the quick
    tests fill in around them, instead of one long test running alone at the end."""
    for item in items:
        used = set(getattr(item, "fixturenames", ()))
        if used & INTEGRATION_FIXTURES:
            item.add_marker(pytest.mark.integration)
        if used & SLOW_FIXTURES:
            item.add_marker(pytest.mark.slow)
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)
