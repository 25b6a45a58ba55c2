"""Bad input to deploy, scale and destroy: exit status 2, one message naming the key path and
the value, and no file written (environment files, records, roots)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import run_cli
from tests.deploy.conftest import snapshot

DEPLOY = ("deploy", "--type", "tabular", "--name", "customer-synth", "--provider", "aws")

CASES = {
    "scale of an unknown service": (("scale", "--service", "nope", "--replicas", "3"), "--service: got 'nope'"),
    "destroy of an unknown service": (("destroy", "--service", "nope"), "--service: got 'nope'"),
    "scale in the wrong environment": (
        ("scale", "--service", "product-images", "--replicas", "3", "--environment", "dev"),
        "--service: got 'product-images'; expected a service of dev",
    ),
    "unknown environment": ((*DEPLOY, "--environment", "qa"), "environment: got 'qa'; expected one of dev, production, staging"),
    "existing name with another type": (
        ("deploy", "--type", "image", "--name", "customer-synth", "--provider", "aws", "--environment", "production"),
        "--name: got 'customer-synth'; customer-synth is already deployed in production as tabular on aws",
    ),
    "existing name on another provider": (
        ("deploy", "--type", "image", "--name", "product-images", "--provider", "azure", "--environment", "production"),
        "already deployed in production as image on gcp",
    ),
    "local target on gcp": (
        ("deploy", "--type", "image", "--name", "pics", "--provider", "gcp", "--environment", "dev", "--local"),
        "--provider: got 'gcp'; --local runs the AWS layers only",
    ),
    "override no module takes": (
        (*DEPLOY, "--environment", "dev", "--set", "storage.compression=zstd"),
        "overrides.storage.compression: got 'zstd'; the aws modules of tabular take no input for it",
    ),
    "override per service elsewhere": (
        ("deploy", "--type", "image", "--name", "pics", "--provider", "gcp", "--environment", "dev", "--set", "storage.backup_enabled=false"),
        "overrides.storage.backup_enabled: got false; the GCP module keeps object versions and soft-deleted objects but has no "
        "backup to switch (per service on aws); set it in profiles/image/profile.yaml and run `synthdata-infra synth`. Per service: ",
    ),
    "unknown override key": (
        (*DEPLOY, "--environment", "dev", "--set", "resources.memroy=4Gi"),
        "resources.memroy: got '4Gi'; unknown key; allowed keys here: cpu, memory, storage_type (did you mean resources.memory?)",
    ),
    "replicas above the bound a deploy cannot move": (
        (*DEPLOY, "--environment", "dev", "--replicas", "50"),
        "replicas: got 50; expected a count from scaling.min_replicas (1) to scaling.max_replicas (3)",
    ),
    "latest image": ((*DEPLOY, "--environment", "dev", "--image", "ghcr.io/synthdata/tabular:latest"), "image: got"),
    "service name of an environment stack": (
        ("deploy", "--type", "tabular", "--name", "monitoring-aws", "--provider", "aws", "--environment", "dev"),
        "name: got 'monitoring-aws'",
    ),
    "service name longer than the modules take": (
        ("deploy", "--type", "tabular", "--name", "s" * 50, "--provider", "aws", "--environment", "production"),
        f"name: got '{'s' * 50}'; expected a lower-case DNS label starting with a letter, at most 38 characters",
    ),
    "service name one past the limit": (
        ("deploy", "--type", "text", "--name", "t" * 39, "--provider", "onprem", "--environment", "dev"),
        f"name: got '{'t' * 39}'",
    ),
    "replicas below one": (("scale", "--service", "customer-synth", "--replicas", "0"), "--replicas: got 0"),
    "unknown data type": (("deploy", "--type", "music", "--name", "x", "--provider", "aws", "--environment", "dev"), "type: got 'music'"),
    "bad prometheus url": (("status", "--prometheus-url", "ftp://x"), "--prometheus-url: got 'ftp://x'"),
    "bad status format": (("status", "--format", "yaml"), "--format: got 'yaml'; expected table or json"),
    "latest version": ((*DEPLOY, "--environment", "dev", "--version", "latest"), "version: got 'latest'; expected an image tag such as 1.4.0 (never latest)"),
    "version with an image": (
        (*DEPLOY, "--environment", "dev", "--version", "1.2.0", "--image", "ghcr.io/synthdata/tabular:1.2.0"),
        "version: got '1.2.0'; either version (a tag of the environment's image) or image",
    ),
    "metadata without a value": ((*DEPLOY, "--environment", "dev", "--metadata", "team"), "--metadata: got 'team'; expected KEY=VALUE"),
    "metadata key twice": (
        (*DEPLOY, "--environment", "dev", "--metadata", "team=a", "--metadata", "team=b"),
        "metadata.team: got 'b'; one value per key (already given 'a')",
    ),
    "metadata key no label takes": (
        (*DEPLOY, "--environment", "dev", "--metadata", "cost center=x"),
        "metadata.cost center: got 'cost center'; expected a Kubernetes label key",
    ),
    "metadata value no label takes": (
        (*DEPLOY, "--environment", "dev", "--metadata", "team=data platform"),
        "metadata.team: got 'data platform'; expected a Kubernetes label value",
    ),
    "metadata label the module sets": (
        (*DEPLOY, "--environment", "dev", "--metadata", "app.kubernetes.io/name=x"),
        "metadata.app.kubernetes.io/name: got 'app.kubernetes.io/name'; a key the workload module does not set itself",
    ),
    "metadata value a GCP label refuses": (
        ("deploy", "--type", "image", "--name", "pics", "--provider", "gcp", "--environment", "dev", "--metadata", "team=Data"),
        "metadata.team: got 'Data'; gcp tags its resources with the metadata: expected a GCP label value",
    ),
    "metadata key a GCP label refuses": (
        ("deploy", "--type", "image", "--name", "pics", "--provider", "gcp", "--environment", "dev", "--metadata", "example.com/team=data"),
        "metadata.example.com/team: got 'example.com/team'; gcp tags its resources with the metadata: expected a GCP label key",
    ),
    "metadata key an Azure tag refuses": (
        ("deploy", "--type", "audio", "--name", "speech", "--provider", "azure", "--environment", "dev", "--metadata", "example.com/team=data"),
        "metadata.example.com/team: got 'example.com/team'; azure tags its resources with the metadata: expected an Azure tag key",
    ),
    "metadata key longer than an AWS tag key": (
        (*DEPLOY, "--environment", "dev", "--metadata", "example." * 16 + "com/team=data"),
        "aws tags its resources with the metadata: expected an AWS tag key of at most 128 characters",
    ),
}


def assert_one_error_line(code: int, stdout: str, stderr: str, message: str) -> None:
    assert code == 2, stdout + stderr
    assert message in stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), stderr
    assert "Traceback" not in stderr


def assert_nothing_written(project: Path, before: dict[str, str]) -> None:
    assert snapshot(project) == before
    assert not (project / "cdktf.out").exists() and not (project / ".synthdata").exists()


@pytest.mark.parametrize("case", CASES)
def test_bad_input_exits_2_and_writes_nothing(case: str, deploy_project: Path, cli):
    """In process, through the console entry point's error boundary (main)."""
    args, message = CASES[case]
    before = snapshot(deploy_project)
    done = cli(*args)
    assert_one_error_line(done.exit_code, done.stdout, done.stderr, message)
    assert_nothing_written(deploy_project, before)


@pytest.mark.parametrize("case", ["existing name with another type", "override no module takes", "override per service elsewhere"])
def test_bad_input_in_a_real_process(case: str, deploy_project: Path):
    """The same as an operator sees it: the installed console script's exit status and stderr."""
    args, message = CASES[case]
    before = snapshot(deploy_project)
    done = run_cli(*args, env={"SYNTHDATA_INFRA_ROOT": str(deploy_project)})
    assert_one_error_line(done.returncode, done.stdout, done.stderr, message)
    assert_nothing_written(deploy_project, before)


def test_every_module_takes_exactly_the_service_names_an_environment_takes():
    """One name rule: the names ServiceEntry accepts are the names every module's validation
    accepts (lengths 1 to 64, with and without a trailing hyphen or leading digit)."""
    import json
    import re

    from pydantic import ValidationError

    from synthdata_infra.config.environment import ServiceEntry
    from tests.conftest import REPO

    rules = set()
    for variables in (REPO / "modules_out").glob("*/*/variables.tf.json"):
        body = json.loads(variables.read_text())["variable"].get("service_name")
        if body:
            (validation,) = body["validation"]
            rules.add(re.search(r'regex\("(.*)", var\.service_name\)', validation["condition"]).group(1))
    assert len(rules) == 1, rules
    (rule,) = rules
    for length in range(1, 65):
        for name in ("a" * length, "a" * (length - 1) + "-", "1" + "a" * (length - 1)):
            try:
                ServiceEntry(name=name, data_type="tabular", provider="aws")
                accepted = True
            except ValidationError:
                accepted = False
            assert accepted == bool(re.fullmatch(rule, name)), name
