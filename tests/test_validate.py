"""`synthdata-infra validate`: passes on the committed modules, fails on each planted defect
naming the module and the check, and refuses bad options with exit status 2."""

from __future__ import annotations

import json
import shutil
from dataclasses import asdict
from pathlib import Path

import pytest

from synthdata_infra.validate import checkov_checks, module_folders, validate
from tests.conftest import REPO, TYPES, load, once_per_run, run_cli


def copy_modules(tmp_path: Path, *names: str) -> Path:
    out = tmp_path / "modules_out"
    for name in names:
        shutil.copytree(REPO / "modules_out" / name, out / name)
    return out


def edit_json(path: Path, edit) -> None:
    document = json.loads(path.read_text())
    edit(document)
    path.write_text(json.dumps(document, indent=2))


@pytest.mark.integration
@pytest.mark.slow
def test_validate_passes_on_the_committed_modules(modules_out_scan):
    """The command with conventions, terraform and promtool; its checkov part reads the run's one
    checkov scan of modules_out/ (the command's own scan function, shared with the provider tests)."""
    done = run_cli("validate", "--out", "modules_out", "--skip", "checkov")
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr
    summary = done.stdout.strip().splitlines()[-1]
    assert summary.endswith("skipped") and " 0 failed" in summary
    out = REPO / "modules_out"
    checkov = checkov_checks(out, module_folders(out), modules_out_scan)
    assert [(f.module, f.detail) for f in checkov if f.result != "pass"] == []
    assert {f.module for f in checkov} == {folder.relative_to(out).as_posix() for folder in module_folders(out)}
    assert "promtool" in done.stdout
    # terraform init + validate ran and passed on every module that needs only the AWS provider
    # (the machine's mirror holds it): each type's module and monitoring. This is the suite's one
    # `terraform validate` of them.
    rows = {tuple(cell.strip() for cell in line.strip("│ ").split("│")[:3]) for line in done.stdout.splitlines() if line.startswith("│")}
    aws_only = [
        folder.relative_to(REPO / "modules_out").as_posix()
        for folder in sorted((REPO / "modules_out").glob("*/*"))
        if [p["source"] for p in load(folder, "versions.tf.json")["terraform"]["required_providers"].values()] == ["hashicorp/aws"]
    ]
    assert {*(f"aws/{kind}" for kind in TYPES), "aws/monitoring"} <= set(aws_only)
    for module in aws_only:
        assert (module, "terraform", "pass") in rows, module


def _drop_non_root(main: dict) -> None:
    spec = main["resource"]["kubernetes_deployment_v1"]["generator_deployment"]["spec"]["template"]["spec"]
    del spec["security_context"]["run_as_non_root"]
    del spec["container"][0]["security_context"]["run_as_non_root"]


def _drop_encryption(main: dict) -> None:
    main["resource"].pop("aws_s3_bucket_server_side_encryption_configuration")
    guard = main["resource"]["terraform_data"]["retention_guard"]  # keep the module valid Terraform
    guard["depends_on"] = [a for a in guard["depends_on"] if not a.startswith("aws_s3_bucket_server_side_encryption_configuration.")]


def _break_a_rule(out: Path) -> None:
    rules = out / "onprem/monitoring/rules/common.rules.yml"
    rules.write_text(rules.read_text().replace("rate(synthdata_errors_total[5m])", "rate(synthdata_errors_total[5m]", 1))


# One defect per module, all in one tree and one `validate` with every check: each defect must be
# reported at its own module and check, and nothing else may fail.
PLANTED = {
    "kubernetes/image": lambda out: edit_json(out / "kubernetes/image/main.tf.json", _drop_non_root),
    "aws/tabular": lambda out: edit_json(out / "aws/tabular/main.tf.json", _drop_encryption),
    "onprem/monitoring": _break_a_rule,
    "aws/text": lambda out: edit_json(
        out / "aws/text/versions.tf.json", lambda v: v["terraform"]["required_providers"]["aws"].update(version="5.100.0")
    ),
    "kubernetes/tabular": lambda out: edit_json(
        out / "kubernetes/tabular/main.tf.json", lambda m: m["resource"]["kubernetes_network_policy_v1"].pop("network_policy_default_deny")
    ),
}


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> list[dict]:
    """The failures of one `validate` (every check) over a tree with every planted defect, once
    per test run."""

    def produce(folder: Path) -> None:
        out = copy_modules(folder, *PLANTED)
        for plant in PLANTED.values():
            plant(out)
        findings = [asdict(f) for f in validate(out) if f.result == "fail"]
        (folder / "failures.json").write_text(json.dumps(findings))

    return json.loads((once_per_run(tmp_path_factory, "validate-planted", produce) / "failures.json").read_text())


def test_the_planted_defects_fail_nothing_else(planted):
    assert sorted((f["module"], f["check"]) for f in planted) == sorted(
        [
            ("kubernetes/image", "checkov"),
            ("aws/tabular", "checkov"),
            ("onprem/monitoring/rules/common.rules.yml", "promtool"),
            ("aws/text", "conventions"),
            ("kubernetes/tabular", "conventions"),
        ]
    )


def _detail(planted: list[dict], module: str, check: str) -> str:
    (finding,) = [f for f in planted if (f["module"], f["check"]) == (module, check)]
    return finding["detail"]


@pytest.mark.integration
@pytest.mark.slow
def test_container_without_run_as_non_root_fails_checkov(planted):
    assert "CKV_SYNTH_1" in _detail(planted, "kubernetes/image", "checkov")


@pytest.mark.integration
@pytest.mark.slow
def test_bucket_without_encryption_fails_checkov(planted):
    assert _detail(planted, "aws/tabular", "checkov") == "CKV_AWS_145 aws_s3_bucket.data_bucket"  # not encrypted with KMS


@pytest.mark.integration
def test_rules_file_with_a_promql_error_fails_promtool(planted):
    assert "unclosed left parenthesis" in _detail(planted, "onprem/monitoring/rules/common.rules.yml", "promtool")


@pytest.mark.integration
def test_exact_provider_pin_fails_conventions(planted):
    assert "pinned to '5.100.0', not a >= range" in _detail(planted, "aws/text", "conventions")


@pytest.mark.integration
@pytest.mark.slow
def test_missing_default_deny_fails_conventions(planted):
    assert _detail(planted, "kubernetes/tabular", "conventions").startswith("no default-deny NetworkPolicy")


@pytest.mark.integration
def test_failure_exits_non_zero_with_a_table(tmp_path):
    out = copy_modules(tmp_path, "aws/tabular")
    edit_json(out / "aws/tabular/versions.tf.json", lambda v: v["terraform"]["required_providers"]["aws"].update(version="5.100.0"))
    done = run_cli("validate", "--out", str(out), "--skip", "checkov,terraform")
    assert done.returncode == 1
    assert "aws/tabular" in done.stdout and "conventions" in done.stdout and "fail" in done.stdout
    assert done.stdout.strip().splitlines()[-1] == "1 checks: 1 failed, 0 skipped"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--skip", "lint"], "error: --skip: got 'lint'; expected a comma-separated list of conventions, terraform, checkov, promtool"),
        (["--out", "nowhere"], "error: --out: got 'nowhere'; expected a folder of generated modules (run synthdata-infra synth)"),
    ],
)
def test_bad_options_exit_2(args, message, cli):
    done = cli("validate", *args)
    assert done.exit_code == 2 and done.stderr.strip() == message


def test_a_node_host_path_is_not_a_local_path_but_a_home_folder_is(tmp_path):
    """The GKE platform mounts the NVIDIA libraries from the nodes' /home/kubernetes/bin/nvidia:
    a path on the cluster's nodes passes the no-absolute-path rule; a path of this machine does not."""
    from synthdata_infra.validate import conventions

    out = copy_modules(tmp_path, "gcp/platform")
    module = out / "gcp/platform"
    assert "/home/kubernetes/bin/nvidia" in (module / "main.tf.json").read_text()
    assert conventions(out, module).result == "pass"
    main = module / "main.tf.json"
    main.write_text(main.read_text().replace("/home/kubernetes/bin/nvidia", "/home/alice/nvidia", 1))
    finding = conventions(out, module)
    assert (finding.result, finding.detail) == ("fail", "main.tf.json holds an absolute path /home/alice/nvidia\\")
