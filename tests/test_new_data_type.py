"""A new data type is one folder under profiles/: copied from an existing type and renamed, in a
scratch copy of the project, it works through config show, synth, monitor and validate (with its
promtool cases) without any change to the Python package."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.conftest import GPU_TYPES, REPO, once_per_run, run_cli

NEW = "point_cloud"
SOURCE = "image"  # a GPU type, as the new one is (a T4)
# What a user renames in the copied files: the type's name, its alert names, and the runbook
# slugs of those alerts (the alert name in lower case).
RENAMES = (
    ("lowimagequality", "lowpointcloudquality"),
    ("imagemetricsabsent", "pointcloudmetricsabsent"),
    ("Image", "PointCloud"),
    (SOURCE, NEW),
)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project with the new type, made once per test run and shared read-only by every
    worker (tests that change it work on a copy)."""

    def produce(folder: Path) -> None:
        root = folder / "project"
        for name in ("profiles", "environments", "policies"):
            shutil.copytree(REPO / name, root / name)
        shutil.copy(REPO / ".checkov.yaml", root)
        shutil.copytree(REPO / "profiles" / SOURCE, root / "profiles" / NEW)
        for path in (root / "profiles" / NEW).iterdir():
            text = path.read_text()
            for old, new in RENAMES:
                text = text.replace(old, new)
            path.write_text(text)
        profile = root / "profiles" / NEW / "profile.yaml"
        profile.write_text(profile.read_text().replace("size: 500Gi", "size: 200Gi"))

    return once_per_run(tmp_path_factory, "new-data-type-project", produce) / "project"


def cli(project: Path, *args: str):
    return run_cli(*args, env={"SYNTHDATA_INFRA_ROOT": str(project)})


@pytest.fixture(scope="module")
def synthesized(project: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One real synth of every module of that project per test run (all workers read it)."""
    out = project / "modules_out"

    def produce(folder: Path) -> None:
        done = cli(project, "synth", "--provider", "all", "--out", str(out))
        (folder / "result.json").write_text(json.dumps({"returncode": done.returncode, "stderr": done.stderr}))

    result = json.loads((once_per_run(tmp_path_factory, "new-data-type-synth", produce) / "result.json").read_text())
    assert result["returncode"] == 0, result["stderr"]
    return out


def test_the_source_is_a_gpu_type():
    assert SOURCE in GPU_TYPES  # else the GPU checks below would prove nothing


def test_config_show_resolves_the_new_type(project):
    done = cli(project, "config", "show", "--type", NEW, "--format", "json")
    assert done.returncode == 0, done.stderr
    shown = json.loads(done.stdout)
    assert shown["data_type"] == NEW
    assert shown["storage"]["size"] == "200Gi"
    assert shown["gpu"]["type"] == "nvidia-tesla-t4"


def test_the_cli_offers_the_new_type(project):
    done = cli(project, "config", "show", "--help")
    assert done.returncode == 0
    assert NEW in done.stdout


def test_synth_writes_a_module_per_provider(synthesized):
    for layer in ("kubernetes", "aws", "gcp", "azure"):
        assert (synthesized / layer / NEW / "main.tf.json").is_file(), layer
    workload = json.loads((synthesized / "kubernetes" / NEW / "main.tf.json").read_text())
    assert "nvidia.com/gpu" in json.dumps(workload)  # its GPU comes from its profile
    variables = json.loads((synthesized / "aws" / NEW / "variables.tf.json").read_text())["variable"]
    assert all(kind.startswith(("g4dn", "p3", "g5", "p4", "g6")) for kind in variables["node_instance_types"]["default"])


def test_the_monitoring_modules_carry_its_rules(synthesized):
    for layer in ("aws", "gcp", "azure", "onprem"):
        rules = synthesized / layer / "monitoring" / "rules" / f"{NEW}.rules.yml"
        text = rules.read_text()
        assert "LowPointCloudQuality" in text and "synthdata_point_cloud_fid_score" in text, layer
        variables = json.loads((synthesized / layer / "monitoring" / "variables.tf.json").read_text())["variable"]
        assert NEW in variables["data_types"]["default"], layer


def test_monitor_writes_its_dashboard(project, tmp_path):
    out = tmp_path / "board.json"
    done = cli(project, "monitor", "--dashboard", NEW, "--out", str(out))
    assert done.returncode == 0, done.stderr
    board = json.loads(out.read_text())
    assert board["uid"] == "synthdata-point-cloud"
    titles = [panel["title"] for panel in board["panels"]]
    assert "GPU utilisation" in titles
    queries = [target["expr"] for panel in board["panels"] for target in panel.get("targets", [])]
    assert any("synthdata_point_cloud_fid_score" in q for q in queries)


@pytest.mark.integration
@pytest.mark.slow
def test_validate_passes_with_its_promtool_cases(project, synthesized, tmp_path):
    """terraform, checkov and promtool on the new type's modules and the monitoring modules."""
    out = tmp_path / "modules"
    for folder in [*synthesized.glob(f"*/{NEW}"), *synthesized.glob("*/monitoring")]:
        shutil.copytree(folder, out / folder.parent.name / folder.name)
    done = cli(project, "validate", "--out", str(out))
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr
    assert f"profiles/{NEW}/alerts_test.yml" in done.stdout.replace("\n", "")


@pytest.mark.integration
def test_validate_fails_when_its_promtool_case_is_wrong(project, synthesized, tmp_path):
    broken = tmp_path / "project"
    shutil.copytree(project, broken, ignore=shutil.ignore_patterns("modules_out", ".synthdata"))
    cases = broken / "profiles" / NEW / "alerts_test.yml"
    cases.write_text(cases.read_text().replace("FID of sd is 60.00", "FID of sd is 61.00"))
    out = tmp_path / "modules"
    shutil.copytree(synthesized / "onprem" / "monitoring", out / "onprem" / "monitoring")
    done = cli(broken, "validate", "--out", str(out), "--skip", "terraform,checkov,conventions")
    assert done.returncode == 1
    assert "promtool test" in done.stdout and "fail" in done.stdout
