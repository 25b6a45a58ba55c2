"""checkov, for real, on the generated modules with the project's config and custom checks."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import REPO


def checkov_binary() -> str:
    binary = os.environ.get("CHECKOV") or str(REPO / ".venv-checkov" / "bin" / "checkov")
    assert Path(binary).is_file(), f"checkov not found at {binary}: run `make test`, which installs it"
    return binary


def run_checkov(directory: Path) -> dict:
    """Run checkov from the repository root, so it reads .checkov.yaml like a user would."""
    return _checkov(["-d", str(directory)], {"terraform_json", "terraform"})


def run_checkov_on_plan(plan_json: Path) -> dict:
    """Run checkov on `terraform show -json` of a plan, with the project's .checkov.yaml. In a
    plan, jsonencode() policies are rendered documents, which checkov's .tf.json parser never sees."""
    return _checkov(["-f", str(plan_json), "--framework", "terraform_plan", "--config-file", str(REPO / ".checkov.yaml")], {"terraform_plan"})


def findings_under(result: dict, folder: str) -> dict:
    """The part of a modules_out/ scan about one module folder (``gcp/monitoring``) or layer (``gcp``)."""
    mine = lambda path: str(path).lstrip("/").startswith(folder + "/") or f"/modules_out/{folder}/" in str(path)  # noqa: E731
    return {
        "passed": [c for c in result["passed"] if mine(c["file_path"])],
        "failed": [c for c in result["failed"] if mine(c["file_path"])],
        "parsing_errors": [e for e in result["parsing_errors"] if mine(e)],
    }


def _checkov(target: list[str], check_types: set[str]) -> dict:
    done = subprocess.run(
        [checkov_binary(), *target, "--skip-download", "-o", "json"],
        cwd=REPO, capture_output=True, text=True, check=False,
    )
    return parse_report(done, check_types)


def parse_report(done: subprocess.CompletedProcess[str], check_types: set[str] = frozenset({"terraform_json", "terraform"})) -> dict:
    """checkov's JSON report (one per framework) as passed, failed, parsing errors and exit status."""
    assert done.stdout.strip(), done.stderr
    report = json.loads(done.stdout)
    reports = report if isinstance(report, list) else [report]
    assert {r.get("check_type") for r in reports} <= check_types, [r.get("check_type") for r in reports]
    return {
        "passed": [c for r in reports for c in r["results"]["passed_checks"]],
        "failed": [c for r in reports for c in r["results"]["failed_checks"]],
        "parsing_errors": [e for r in reports for e in r["results"].get("parsing_errors", [])],
        "exit": done.returncode,
    }


@pytest.mark.integration
@pytest.mark.slow
def test_generated_modules_pass_checkov_with_custom_checks(modules_out_checkov):
    """Every module and example under modules_out/, with the project's .checkov.yaml."""
    result = modules_out_checkov
    assert result["failed"] == [] and result["exit"] == 0
    assert result["parsing_errors"] == []
    custom = {c["check_id"] for c in result["passed"] if c["check_id"].startswith("CKV_SYNTH_")}
    assert custom == {f"CKV_SYNTH_{n}" for n in range(1, 6)}, "custom checks not loaded"
    deployments = {c["file_path"] for c in result["passed"] if c["check_id"] == "CKV_SYNTH_1"}
    assert len(deployments) == 6
    scanned = {c["resource"] for c in result["passed"]}  # checkov names JSON resources "resource.<name>"
    assert {"resource.data_bucket", "resource.encryption_key", "resource.nodes_node_group", "resource.generator_deployment"} <= scanned


def test_every_skip_has_a_written_reason():
    lines = (REPO / ".checkov.yaml").read_text().splitlines()
    for index, line in enumerate(lines):
        if line.strip().startswith("- CKV_"):
            assert lines[index - 1].strip().startswith("#"), f"skip without a reason: {line.strip()}"


def _sidecar_loses(field: str):
    def plant(deployment: dict) -> None:
        del deployment["spec"]["template"]["spec"]["container"][-1]["security_context"][field]
    return plant


def _pod_and_sidecar_lose_seccomp(deployment: dict) -> None:
    """The generator keeps its own profile; the sidecar falls back to the (now absent) pod one."""
    spec = deployment["spec"]["template"]["spec"]
    del spec["security_context"]["seccomp_profile"]
    del spec["container"][-1]["security_context"]["seccomp_profile"]


def _pod_and_generator_lose_non_root(deployment: dict) -> None:
    spec = deployment["spec"]["template"]["spec"]
    del spec["security_context"]["run_as_non_root"]
    del spec["container"][0]["security_context"]["run_as_non_root"]


PLANTED = {
    "runAsNonRoot": (_pod_and_generator_lose_non_root, "CKV_SYNTH_1"),
    "seccomp-on-one-container": (_pod_and_sidecar_lose_seccomp, "CKV_SYNTH_2"),
    "allowPrivilegeEscalation-on-one-container": (_sidecar_loses("allow_privilege_escalation"), "CKV_SYNTH_3"),
}


@pytest.fixture(scope="module")
def planted_scan(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """One checkov run (once per test run) over a folder holding a copy of the image module per
    planted defect: findings are told apart by the copy's folder."""
    from tests.conftest import once_per_run

    def produce(folder: Path) -> None:
        for name, (plant, _) in PLANTED.items():
            module = folder / "modules" / name
            shutil.copytree(REPO / "modules_out" / "kubernetes" / "image", module)
            main = json.loads((module / "main.tf.json").read_text())
            plant(main["resource"]["kubernetes_deployment_v1"]["generator_deployment"])
            (module / "main.tf.json").write_text(json.dumps(main, indent=2))
        (folder / "result.json").write_text(json.dumps(run_checkov(folder / "modules")))

    return json.loads((once_per_run(tmp_path_factory, "checkov-planted", produce) / "result.json").read_text())


@pytest.mark.integration
@pytest.mark.slow
@pytest.mark.parametrize("name", list(PLANTED))
def test_custom_checks_fail_a_planted_defect(planted_scan, name):
    """The image module has two containers: a defect in either must fail the check, and only it."""
    mine = findings_under(planted_scan, name)
    assert [c["check_id"] for c in mine["failed"]] == [PLANTED[name][1]]
    assert mine["parsing_errors"] == [] and len(mine["passed"]) > 20
    assert planted_scan["exit"] != 0
