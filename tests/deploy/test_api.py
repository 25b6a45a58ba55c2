"""The seed's Python API over the same engine as the CLI: a plan-only deploy on the local
target, the status it leaves, and the unified dashboard's location."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from synthdata_infra.api import DataType, SyntheticDataInfrastructure
from synthdata_infra.errors import ConfigError


@pytest.mark.integration
@pytest.mark.slow
def test_plan_only_deploy_records_a_planned_service(deploy_project: Path):
    environment_file = deploy_project / "environments" / "staging.yaml"
    kept = environment_file.read_text().split("\nservices:")[0]
    infra = SyntheticDataInfrastructure(provider="aws", config_path=deploy_project, local=True)
    result = infra.deploy_service(
        data_type=DataType.TABULAR,
        service_name="customer-data-synthesizer",
        environment="staging",
        replicas=3,
        config_overrides={"resources": {"memory": "32Gi"}},
        plan_only=True,
    )
    assert result.success, result.message
    assert (result.status, result.provider, result.data_type, result.skipped) == ("planned", "aws", "tabular", ("kubernetes",))
    assert result.endpoint is None  # nothing applied
    assert environment_file.read_text().split("\nservices:")[0] == kept  # comments and other keys as written
    (entry,) = yaml.safe_load(environment_file.read_text())["services"]
    assert entry == {
        "name": "customer-data-synthesizer",
        "data_type": "tabular",
        "provider": "aws",
        "replicas": 3,
        "overrides": {"resources": {"memory": "32Gi"}},
    }
    # a saved plan beside the root, nothing of the service applied
    stack = deploy_project / ".synthdata" / "local" / "stacks" / "customer-data-synthesizer-staging"
    assert (stack / "tfplan").is_file()
    assert not (stack / "terraform.tfstate").exists() or not json.loads((stack / "terraform.tfstate").read_text())["resources"]
    (status,) = [s for s in infra.status("staging")]
    assert (status.service_name, status.status, status.target) == ("customer-data-synthesizer", "planned", "local")


def test_bad_override_raises_config_error_and_writes_nothing(deploy_project: Path):
    before = (deploy_project / "environments" / "dev.yaml").read_text()
    infra = SyntheticDataInfrastructure(provider="aws", config_path=deploy_project)
    with pytest.raises(ConfigError) as raised:
        infra.deploy_service(DataType.IMAGE, "pics", "dev", config_overrides={"gpu": {"count": 0}})
    assert raised.value.path == "gpu.count"
    assert (deploy_project / "environments" / "dev.yaml").read_text() == before


def test_unified_dashboard_location(deploy_project: Path):
    dashboard = SyntheticDataInfrastructure(provider="gcp", config_path=deploy_project).get_unified_dashboard()
    assert dashboard.url is None  # no Grafana deployed yet
    built = json.loads(dashboard.path.read_text())
    assert built["uid"] == "synthdata-unified" and built["schemaVersion"] == 41
    assert str(dashboard) == str(dashboard.path)


@pytest.mark.integration
@pytest.mark.slow
def test_a_failed_apply_is_recorded_and_reported(deploy_project: Path):
    """Terraform's own failure: exit status 1 with Terraform's message, and status says failed."""
    import boto3

    from synthdata_infra.deploy import local
    from tests.conftest import run_cli

    endpoint = local.ensure_running(deploy_project)
    eks = boto3.client("eks", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    # Someone else's cluster already holds the name the local cluster takes.
    eks.create_cluster(name="synthdata-dev", roleArn="arn:aws:iam::123456789012:role/other", resourcesVpcConfig={"subnetIds": ["subnet-1"]})
    env = {"SYNTHDATA_INFRA_ROOT": str(deploy_project)}
    done = run_cli("deploy", "--type", "tabular", "--name", "audit-synth", "--provider", "aws", "--environment", "dev", "--local", env=env)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "error: terraform apply failed in" in done.stderr and "synthdata-dev" in done.stderr
    status = run_cli("status", "--environment", "dev", "--format", "json", env=env)
    (row,) = json.loads(status.stdout)
    assert (row["service"], row["status"]) == ("audit-synth", "failed")


@pytest.mark.integration
def test_status_tells_deployed_from_drifted(deploy_project: Path):
    """A record of the last apply against the inputs as they are now: a changed override drifts."""
    from dataclasses import asdict

    from synthdata_infra.deploy.engine import Engine, Record
    from synthdata_infra.deploy.plan import Target

    engine = Engine(deploy_project)
    ((plan, state, _),) = [row for row in engine.status("production") if row[0].name == "customer-synth"]
    assert state == "not deployed"
    record = Record(
        service="customer-synth", environment="production", data_type="tabular", provider="aws", target="cloud",
        result="deployed", digest=engine.digest(plan, Target()), at="2026-11-26T00:00:00+00:00",
    )
    path = engine.record_path("production", "customer-synth")
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(asdict(record)))
    assert {row[0].name: row[1] for row in engine.status("production")}["customer-synth"] == "deployed"
    environment_file = deploy_project / "environments" / "production.yaml"
    environment_file.write_text(environment_file.read_text().replace("memory: 32Gi", "memory: 48Gi"))
    assert {row[0].name: row[1] for row in engine.status("production")}["customer-synth"] == "drifted"


def test_a_redeploy_updates_the_recorded_service():
    from synthdata_infra.config import ServiceEntry
    from synthdata_infra.deploy.engine import updated_entry

    recorded = ServiceEntry(
        name="customer-synth", data_type="tabular", provider="aws", replicas=10, overrides={"scaling": {"max_replicas": 10}}
    )
    given = ServiceEntry(name="customer-synth", data_type="tabular", provider="aws", overrides={"resources": {"memory": "32Gi"}})
    updated = updated_entry(recorded, given)
    assert updated.replicas == 10
    assert updated.overrides == {"scaling": {"max_replicas": 10}, "resources": {"memory": "32Gi"}}
    assert updated_entry(recorded, given.model_copy(update={"replicas": 4})).replicas == 4
