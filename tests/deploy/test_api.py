"""The seed's Python API over the same engine as the CLI: errors, failures and the status they
leave, re-deploys, and the unified dashboard's location (plan-only: test_plan_only.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from synthdata_infra.api import DataType, SyntheticDataInfrastructure
from synthdata_infra.errors import ConfigError


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
    # no URL that would not open: the file, and plainly why there is no URL
    assert dashboard.note == "gcp's monitoring module creates no Grafana: import the JSON file into yours"
    assert str(dashboard) == f"{dashboard.path} ({dashboard.note})"
    aws = SyntheticDataInfrastructure(provider="aws", config_path=deploy_project).get_unified_dashboard()
    assert aws.url is None and aws.note.startswith("no Grafana with the imported dashboards is recorded for aws in production")


def test_monitoring_url_is_the_unified_dashboard_or_none():
    from synthdata_infra.api import monitoring_url

    url = "https://g-abc.grafana-workspace.us-east-1.amazonaws.com/d/synthdata-unified"
    assert monitoring_url({"unified_dashboard_url": url, "grafana_endpoint": "g-abc.grafana-workspace.us-east-1.amazonaws.com"}) == url
    # Grafana off: the Prometheus API endpoint is no page to open
    assert monitoring_url({"unified_dashboard_url": None, "prometheus_endpoint": "https://aps-workspaces.us-east-1.amazonaws.com/workspaces/ws-1/"}) is None


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
    # The environment file keeps the change: the service can be re-applied or destroyed.
    assert [s["name"] for s in yaml.safe_load((deploy_project / "environments" / "dev.yaml").read_text())["services"]] == ["audit-synth"]


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


def test_a_redeploy_keeps_version_and_metadata_unless_given():
    from synthdata_infra.config import ServiceEntry
    from synthdata_infra.deploy.engine import updated_entry

    recorded = ServiceEntry(name="ledger", data_type="tabular", provider="aws", version="1.2.0", metadata={"team": "data", "tier": "gold"})
    given = ServiceEntry(name="ledger", data_type="tabular", provider="aws", metadata={"tier": "silver"})
    updated = updated_entry(recorded, given)
    assert (updated.version, updated.metadata) == ("1.2.0", {"team": "data", "tier": "silver"})
    assert updated_entry(recorded, given.model_copy(update={"version": "1.3.0"})).version == "1.3.0"
    pinned = updated_entry(recorded, given.model_copy(update={"image": "registry.example.com/ledger:7"}))
    assert (pinned.image, pinned.version) == ("registry.example.com/ledger:7", None)


def test_version_and_metadata_are_recorded_with_the_service(project: Path):
    """Written into the environment file, read back the same, and kept by a scale."""
    from synthdata_infra.config import ServiceEntry, load_environment
    from synthdata_infra.deploy.engine import scaled_entry
    from synthdata_infra.deploy.envfile import update_services

    entry = ServiceEntry(name="ledger", data_type="tabular", provider="aws", version="1.2.0", metadata={"team": "data"})
    update_services(project, "dev", lambda current: (*current, entry))
    (written,) = yaml.safe_load((project / "environments" / "dev.yaml").read_text())["services"]
    assert written == {"name": "ledger", "data_type": "tabular", "provider": "aws", "version": "1.2.0", "metadata": {"team": "data"}}
    env = load_environment("dev", project)
    assert env.service("ledger") == entry
    assert env.image_for(entry).endswith("/synthdata-tabular:1.2.0")
    scaled, _ = scaled_entry(env, entry, 2)
    assert (scaled.version, scaled.metadata) == ("1.2.0", {"team": "data"})


def test_scale_and_destroy_act_on_the_provider_the_environment_names(deploy_project: Path):
    """product-images runs on gcp: the commands say so (they used to build the API for aws)."""
    from tests.conftest import run_cli

    env = {"SYNTHDATA_INFRA_ROOT": str(deploy_project)}
    done = run_cli("destroy", "--service", "product-images", "--environment", "production", env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith("product-images (image on gcp, production): destroyed")
    result = SyntheticDataInfrastructure(provider=None).destroy_service("marketing-videos", "production")
    assert (result.provider, result.data_type, result.status) == ("aws", "video", "destroyed")


def test_a_deploy_without_its_generated_modules_writes_nothing(project: Path):
    """Checked before the environment file is written (it used to fail after, while copying)."""
    (project / "modules_out").mkdir()
    before = (project / "environments" / "dev.yaml").read_text()
    with pytest.raises(ConfigError) as raised:
        SyntheticDataInfrastructure(provider="aws").deploy_service(DataType.TABULAR, "ledger", "dev")
    assert (raised.value.path, raised.value.value) == ("modules_out", "modules_out/aws/tabular")
    assert (project / "environments" / "dev.yaml").read_text() == before
    assert not (project / ".synthdata").exists()
