"""The synth cache: no-op runs start no worker, a changed profile re-synthesizes exactly the
modules that depend on it, and cached output is byte-identical to synthesized output."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from synthdata_infra.synth.driver import synth
from synthdata_infra.synth.registry import modules_for
from tests.conftest import REPO, TYPES, edit_yaml, once_per_run, run_cli
from tests.synth.test_synth_pipeline import tree_digest

ONPREM = sorted(spec.folder for spec in modules_for("onprem", "all"))  # the workloads, monitoring, platform
# Modules covering every type (monitoring, platform) depend on every profile.
SHARED = [folder for folder in ONPREM if folder.split("/")[1] not in TYPES]


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("SYNTHDATA_INFRA_CACHE", str(folder))
    return folder


@pytest.fixture
def broken_bindings(tmp_path: Path) -> dict[str, str]:
    """PYTHONPATH under which importing the kubernetes bindings fails: any worker would die."""
    package = tmp_path / "broken" / "cdktf_cdktf_provider_kubernetes"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("raise ImportError('a worker was started')\n")
    return {"PYTHONPATH": str(package.parent)}


@pytest.fixture(scope="module")
def warm(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Once per test run (all workers): the on-prem modules synthesized into ``out`` with an
    empty cache ``cache``, which that synth filled. Tests copy what they change."""

    def produce(folder: Path) -> None:
        done = run_cli("synth", "--provider", "onprem", "--out", str(folder / "out"), env={"SYNTHDATA_INFRA_ROOT": str(REPO), "SYNTHDATA_INFRA_CACHE": str(folder / "cache")})
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == f"{folder / 'out'}: {len(ONPREM)} module(s) written ({len(ONPREM)} synthesized, 0 from cache), 0 unchanged"

    return once_per_run(tmp_path_factory, "synth-cache-onprem", produce)


def warm_copy(warm: Path, cache_dir: Path, tmp_path: Path) -> Path:
    """A copy of the warm output (returned) and of its cache (into ``cache_dir``)."""
    shutil.copytree(warm / "cache", cache_dir)
    shutil.copytree(warm / "out", tmp_path / "out")
    return tmp_path / "out"


def test_no_op_synth_starts_no_worker(project, cache_dir, broken_bindings, tmp_path, warm):
    out = warm_copy(warm, cache_dir, tmp_path)
    again = run_cli("synth", "--provider", "onprem", "--out", str(out), env={**broken_bindings, "SYNTHDATA_INFRA_ROOT": str(project), "SYNTHDATA_INFRA_CACHE": str(cache_dir)})
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip() == f"{out}: 0 module(s) written (0 synthesized, 0 from cache), {len(ONPREM)} unchanged"


def test_cached_output_is_byte_identical(project, cache_dir, broken_bindings, tmp_path, fresh_modules, warm):
    shutil.copytree(warm / "cache", cache_dir)
    synthesized, cached = warm / "out", tmp_path / "cached"
    done = run_cli("synth", "--provider", "onprem", "--out", str(cached), env={**broken_bindings, "SYNTHDATA_INFRA_ROOT": str(project), "SYNTHDATA_INFRA_CACHE": str(cache_dir)})
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"{cached}: {len(ONPREM)} module(s) written (0 synthesized, {len(ONPREM)} from cache), 0 unchanged"
    for folder in ONPREM:
        assert tree_digest(cached / folder) == tree_digest(synthesized / folder) == tree_digest(fresh_modules / folder)


def test_a_changed_profile_resynthesizes_exactly_its_modules(project, cache_dir, tmp_path, warm):
    out = warm_copy(warm, cache_dir, tmp_path)
    edit_yaml(project / "profiles/audio/profile.yaml", lambda d: d["storage"].update(size="2Ti"))
    report = synth("onprem", "all", out)
    # monitoring depends on every profile (alert thresholds, cost per replica), the platform too (storage classes)
    assert SHARED == ["onprem/monitoring", "onprem/platform"]
    assert sorted(report.synthesized) == sorted(["kubernetes/audio", *SHARED])
    assert sorted(report.unchanged) == sorted(set(ONPREM) - {"kubernetes/audio", *SHARED})
    assert json.loads((out / "kubernetes/audio/variables.tf.json").read_text())["variable"]["storage_size"]["default"] == "2Ti"


def test_no_cache_synthesizes_everything(project, cache_dir, tmp_path, warm):
    out = warm_copy(warm, cache_dir, tmp_path)
    report = synth("onprem", "all", out, use_cache=False)
    assert sorted(report.synthesized) == sorted(ONPREM) and report.cached == [] and report.unchanged == []


def test_cache_lives_outside_the_output(warm):
    assert any((warm / "cache").iterdir())
    assert [p.name for p in (warm / "out").rglob("*") if p.name.startswith(".")] == [".synthdata-modules"]  # the output's marker only
