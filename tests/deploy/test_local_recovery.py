"""The local target when its API is gone or its files are damaged: status tells the truth,
destroy forgets what died with the API, `local stop` signals only the API it started, and a
truncated record or address file gives one line (exit 1), never a traceback."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
import yaml

from synthdata_infra.deploy import local
from tests.conftest import edit_yaml, run_cli

SERVICE = "customer-synth"


def recorded(project: Path, environment: str = "dev") -> list[str]:
    return [s["name"] for s in yaml.safe_load((project / "environments" / f"{environment}.yaml").read_text())["services"] or []]


def status_rows(project: Path, environment: str = "dev") -> tuple[list[dict], subprocess.CompletedProcess[str]]:
    done = run_cli("status", "--environment", environment, "--format", "json", env={"SYNTHDATA_INFRA_ROOT": str(project)})
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    return json.loads(done.stdout), done


def one_line_error(done: subprocess.CompletedProcess[str], code: int) -> str:
    assert done.returncode == code, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    (line,) = [line for line in done.stderr.splitlines() if line.startswith("error: ")]
    return line


@pytest.mark.integration
@pytest.mark.slow
def test_a_dead_local_api_is_reported_lost_and_its_services_forgotten(deploy_project: Path):
    env = {"SYNTHDATA_INFRA_ROOT": str(deploy_project)}
    deploy = run_cli("deploy", "--type", "tabular", "--name", SERVICE, "--provider", "aws", "--environment", "dev", "--local", env=env)
    assert deploy.returncode == 0, deploy.stdout + deploy.stderr
    stacks = deploy_project / ".synthdata" / "local" / "stacks"
    assert (stacks / f"{SERVICE}-dev" / "terraform.tfstate").is_file()

    api = json.loads(local.state_file(deploy_project).read_text())
    os.kill(api["pid"], signal.SIGKILL)
    deadline = time.monotonic() + 10
    while local.servers_of(deploy_project) and time.monotonic() < deadline:
        time.sleep(0.1)

    (row,), _ = status_rows(deploy_project)
    assert (row["service"], row["status"], row["target"]) == (SERVICE, "lost (local API not running)", "local")

    # Nothing starts a new, empty API behind the records' back.
    scale = run_cli("scale", "--service", SERVICE, "--replicas", "4", env=env)
    line = one_line_error(scale, 1)
    assert "no longer running" in line and f"destroy --service {SERVICE}" in line
    assert local.servers_of(deploy_project) == []

    destroy = run_cli("destroy", "--service", SERVICE, env=env)
    assert destroy.returncode == 0, destroy.stdout + destroy.stderr
    assert f"{SERVICE} (tabular on aws, dev): forgotten" in destroy.stdout
    (note,) = [line for line in destroy.stderr.splitlines() if line.startswith("note: ")]
    assert f"pid {api['pid']}" in note and "no longer running" in note and "forgot its record" in note
    assert "environments/dev.yaml" in note
    assert local.servers_of(deploy_project) == []  # forgetting starts nothing
    assert recorded(deploy_project) == []
    assert not (deploy_project / ".synthdata" / "records" / "dev" / f"{SERVICE}.json").exists()
    assert not list(stacks.glob("*/terraform.tfstate"))  # its root, the local monitoring and cluster roots
    assert not local.state_file(deploy_project).exists()
    rows, _ = status_rows(deploy_project)
    assert rows == []

    # With nothing recorded any more, the next local command may start a fresh API.
    endpoint = local.ensure_running(deploy_project)
    assert json.loads(local.state_file(deploy_project).read_text())["endpoint"] == endpoint


@pytest.mark.integration
def test_local_stop_signals_only_the_local_api(deploy_project: Path):
    """aws.json naming a process that is not the moto server started on that port: not signalled."""
    sleeper = subprocess.Popen(["sleep", "120"])
    try:
        state = local.state_file(deploy_project)
        state.parent.mkdir(parents=True)
        state.write_text(json.dumps({"endpoint": "http://127.0.0.1:4", "pid": sleeper.pid, "port": 4}))
        done = run_cli("local", "stop", env={"SYNTHDATA_INFRA_ROOT": str(deploy_project)})
        assert (done.returncode, done.stdout.strip()) == (0, "no local AWS API was running"), done.stdout + done.stderr
        assert f"pid {sleeper.pid}" in done.stderr and "not signalled" in done.stderr
        assert sleeper.poll() is None  # still running
        assert not state.exists()  # cleaned either way
    finally:
        sleeper.kill()
        sleeper.wait()


@pytest.mark.integration
def test_a_truncated_address_file_is_a_note_not_a_traceback(deploy_project: Path):
    env = {"SYNTHDATA_INFRA_ROOT": str(deploy_project)}
    state = local.state_file(deploy_project)
    state.parent.mkdir(parents=True)
    state.write_text('{"endpoint": "http://127.0.0.1:4')
    rows, done = status_rows(deploy_project)  # nothing local recorded: nothing to probe
    assert rows == []

    # A local record: status probes the API, the file counts as none, one note says so.
    record = deploy_project / ".synthdata" / "records" / "dev" / f"{SERVICE}.json"
    record.parent.mkdir(parents=True)
    record.write_text(json.dumps(_record(SERVICE, "dev", "local")))
    edit_yaml(deploy_project / "environments" / "dev.yaml", lambda d: d.update(services=[{"name": SERVICE, "data_type": "tabular", "provider": "aws"}]))
    (row,), done = status_rows(deploy_project)
    assert row["status"] == "lost (local API not running)"
    (note,) = [line for line in done.stderr.splitlines() if line.startswith("note: ")]
    assert ".synthdata/local/aws.json is corrupt" in note

    # Starting a new API is refused while a local service is recorded.
    notes: list[str] = []
    with pytest.raises(local.LocalApiError, match=f"destroy --service {SERVICE} --environment dev"):
        local.ensure_running(deploy_project, notes.append)
    assert local.servers_of(deploy_project) == []

    stop = run_cli("local", "stop", env=env)
    assert (stop.returncode, stop.stdout.strip()) == (0, "no local AWS API was running"), stop.stdout + stop.stderr
    assert "aws.json is corrupt" in stop.stderr and "Traceback" not in stop.stderr
    assert not state.exists()


def test_a_truncated_record_is_one_line(deploy_project: Path):
    env = {"SYNTHDATA_INFRA_ROOT": str(deploy_project)}
    record = deploy_project / ".synthdata" / "records" / "production" / f"{SERVICE}.json"
    record.parent.mkdir(parents=True)
    record.write_text(json.dumps(_record(SERVICE, "production", "cloud"))[:40])
    rows, _ = status_rows(deploy_project, "production")
    statuses = {row["service"]: row["status"] for row in rows}
    assert statuses[SERVICE] == f"unknown (corrupt record: .synthdata/records/production/{SERVICE}.json)"
    for args in (("destroy", "--service", SERVICE, "--environment", "production"), ("scale", "--service", SERVICE, "--replicas", "4")):
        line = one_line_error(run_cli(*args, env=env), 1)
        assert f".synthdata/records/production/{SERVICE}.json: corrupt record (truncated or not JSON)" in line
    assert SERVICE in recorded(deploy_project, "production")  # nothing changed
    bad_input = run_cli("scale", "--service", SERVICE, "--replicas", "0", env=env)
    one_line_error(bad_input, 2)


@pytest.mark.integration
def test_status_reads_what_terraform_recorded(deploy_project: Path):
    """No record but resources in the root's state: deployed; a record but an empty state: lost;
    Terraform Cloud state that cannot be pulled: unknown, quickly."""
    dev = deploy_project / "environments" / "dev.yaml"

    def without_cloud(data: dict) -> None:
        data["terraform_cloud"] = None
        data["services"] = [{"name": SERVICE, "data_type": "tabular", "provider": "aws"}, {"name": "audit-synth", "data_type": "tabular", "provider": "aws"}]

    edit_yaml(dev, without_cloud)
    states = deploy_project / ".synthdata" / "state"
    states.mkdir(parents=True)
    (states / f"{SERVICE}-dev.tfstate").write_text(json.dumps(_state(resources=1)))
    record = deploy_project / ".synthdata" / "records" / "dev" / "audit-synth.json"
    record.parent.mkdir(parents=True)
    record.write_text(json.dumps(_record("audit-synth", "dev", "cloud")))
    rows, _ = status_rows(deploy_project)
    assert {row["service"]: row["status"] for row in rows} == {
        SERVICE: "deployed (from state, no record)",
        "audit-synth": "lost (Terraform state is empty)",
    }
    (states / f"{SERVICE}-dev.tfstate").write_text(json.dumps(_state(resources=0)))
    (states / "audit-synth-dev.tfstate").write_text(json.dumps(_state(resources=0))[:25])
    rows, _ = status_rows(deploy_project)
    assert {row["service"]: row["status"] for row in rows} == {
        SERVICE: "not deployed",
        "audit-synth": "unknown (corrupt state: .synthdata/state/audit-synth-dev.tfstate)",
    }

    # Terraform Cloud (production): a root initialized here is pulled; offline that fails fast.
    root = deploy_project / "cdktf.out" / "stacks" / f"{SERVICE}-production"
    (root / ".terraform").mkdir(parents=True)
    (root / "cdk.tf.json").write_text(
        json.dumps({"terraform": {"cloud": {"organization": "synthdata", "workspaces": {"name": "synthdata-customer-synth-production"}}}})
    )
    started = time.monotonic()
    rows, _ = status_rows(deploy_project, "production")
    assert time.monotonic() - started < 60
    statuses = {row["service"]: row["status"] for row in rows}
    assert statuses[SERVICE].startswith("unknown (terraform state pull failed: "), statuses
    assert {status for name, status in statuses.items() if name != SERVICE} == {"not deployed"}


def _record(service: str, environment: str, target: str) -> dict:
    return {
        "service": service, "environment": environment, "data_type": "tabular", "provider": "aws", "target": target,
        "result": "deployed", "digest": "0" * 16, "at": "2026-01-01T00:00:00+00:00",
    }


def _state(resources: int) -> dict:
    instances = [{"schema_version": 0, "attributes": {"id": "x"}}]
    return {
        "version": 4, "terraform_version": "1.11.0", "serial": 1, "lineage": "x", "outputs": {},
        "resources": [{"mode": "data", "type": "aws_eks_cluster", "name": "cluster", "provider": "p", "instances": instances}]
        + [{"mode": "managed", "type": "aws_s3_bucket", "name": "b", "provider": "p", "instances": instances}] * resources,
    }
