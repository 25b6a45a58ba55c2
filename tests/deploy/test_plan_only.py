"""`deploy --plan-only` writes nothing and applies nothing: the roots are synthesized into a
scratch folder and planned there; the project's files (environment files, records, roots,
states, Terraform's settings) stay byte for byte, and the roots Terraform could not plan are
named with its reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from synthdata_infra.api import DataType, SyntheticDataInfrastructure
from synthdata_infra.naming import platform_stack
from tests.conftest import run_cli
from tests.deploy.conftest import snapshot


def test_plan_only_writes_nothing_and_names_the_roots_it_could_not_plan(deploy_project: Path):
    before = snapshot(deploy_project)
    done = run_cli(
        "deploy", "--type", "tabular", "--name", "ledger", "--provider", "aws", "--environment", "production",
        "--version", "1.2.0", "--metadata", "team=data", "--plan-only",
        env={"SYNTHDATA_INFRA_ROOT": str(deploy_project)},
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "ledger (tabular on aws, production): planned"
    assert "  endpoint: http://ledger.synthdata-ledger-production.svc.cluster.local" in lines
    # production keeps its state in Terraform Cloud, which needs a token (and here a network):
    # every root that could not be planned is named with Terraform's first error.
    unplanned = {line.split(": ")[1]: line.split(": ", 2)[2] for line in lines if line.startswith("  not planned: ")}
    assert set(unplanned) <= {"workspaces-production", "ledger-production", "monitoring-aws-production", platform_stack("aws", "production")}
    assert all(reason and "terraform init failed" not in reason for reason in unplanned.values())
    assert snapshot(deploy_project) == before
    assert not (deploy_project / ".synthdata").exists() and not (deploy_project / "cdktf.out").exists()


def test_plan_only_on_the_local_target_never_starts_the_local_api(deploy_project: Path):
    infra = SyntheticDataInfrastructure(provider="aws", local=True, plan_only=True)
    result = infra.deploy_service(DataType.TABULAR, "ledger", "staging")
    assert (result.success, result.status, result.endpoint) == (True, "planned", None)
    reason = "no local AWS API runs (`deploy --local` starts one)"
    assert result.unplanned == {"local-cluster-staging": reason, "ledger-staging": reason, "monitoring-aws-staging": reason}
    assert not (deploy_project / ".synthdata").exists()


@pytest.mark.slow
def test_plan_only_plans_against_the_local_api_and_writes_nothing(deploy_project: Path):
    """A real plan: the local cluster is applied first (what a real account already has), then a
    plan-only deploy plans the service and monitoring roots against the local AWS API and its
    recorded states, and leaves every file of the project as it was."""
    from synthdata_infra import providers
    from synthdata_infra.config import load_environment
    from synthdata_infra.deploy import local
    from synthdata_infra.deploy.engine import Engine
    from synthdata_infra.deploy.plan import Target
    from synthdata_infra.deploy.synth_roots import write_roots

    engine = Engine(deploy_project)
    target = Target(local_endpoint=local.ensure_running(deploy_project))
    env = load_environment("staging", deploy_project)
    build = lambda app: [providers.get("aws").local_cluster_root(app, env, target)]  # noqa: E731
    folders = write_roots(build, target, engine.stacks_dir(target), deploy_project / "modules_out")
    engine._terraform(folders["local-cluster-staging"]).apply()

    # The local API's process logs the requests it serves (the plan's reads) to aws.log.
    before = {path: digest for path, digest in snapshot(deploy_project).items() if not path.endswith("aws.log")}
    environment_file = (deploy_project / "environments" / "staging.yaml").read_text()
    infra = SyntheticDataInfrastructure(provider="aws", local=True)
    result = infra.deploy_service(
        DataType.TABULAR, "ledger", "staging", replicas=3, config_overrides={"resources": {"memory": "32Gi"}}, plan_only=True
    )
    assert (result.success, result.status, result.skipped) == (True, "planned", ("kubernetes",)), result.message
    assert result.unplanned == {}  # both roots were planned by Terraform
    assert result.endpoint is None  # the local target has no cluster to answer
    after = {path: digest for path, digest in snapshot(deploy_project).items() if not path.endswith("aws.log")}
    assert after == before
    assert (deploy_project / "environments" / "staging.yaml").read_text() == environment_file
    assert [(s.service_name, s.status) for s in infra.status("staging")] == []  # nothing recorded
