"""The local target end to end, through the real CLI in separate processes as an operator runs
it: deploy records and applies customer-synth to the local AWS API, status reads it back, scale
re-applies with a larger node group, destroy leaves nothing behind, local stop ends the API.
One API serves the whole cycle: every command finds the one deploy started (never a second)."""

from __future__ import annotations

import json
import math
import os
import subprocess
from pathlib import Path

import boto3
import pytest
import yaml

from synthdata_infra.deploy import local
from tests.conftest import run_cli

SERVICE = "customer-synth"


def client(service: str, endpoint: str):
    return boto3.client(service, endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")


def recorded(project: Path) -> list[dict]:
    return yaml.safe_load((project / "environments" / "dev.yaml").read_text())["services"]


def node_group_scaling(project: Path, env: dict[str, str]) -> dict:
    """The node group's scaling_config as Terraform state has it."""
    folder = project / ".synthdata" / "local" / "stacks" / f"{SERVICE}-dev"
    shown = subprocess.run(["terraform", "show", "-json"], cwd=folder, env=env, capture_output=True, text=True, check=True)
    modules = json.loads(shown.stdout)["values"]["root_module"]["child_modules"]
    (group,) = [r for m in modules for r in m["resources"] if r["type"] == "aws_eks_node_group"]
    return group["values"]["scaling_config"][0]


def expected_nodes(project: Path, replicas: int) -> int:
    """Nodes for ``replicas`` on the node type the catalog picks for dev's replica floor."""
    from synthdata_infra.catalog import place
    from synthdata_infra.config import resolve

    config = resolve("tabular", "dev", {"replicas": 1}, root=project)
    placement = place(
        "aws",
        cpu=config.resources.cpu_cores,
        memory_gib=config.resources.memory_gib,
        gpu_model=None,
        gpu_count=0,
        gpu_memory_gib=0.0,
        bandwidth_gbps=config.networking.bandwidth_gbps,
        replicas=config.scaling.min_replicas,
        needs_local_nvme=False,
    )
    return math.ceil(replicas / placement.replicas_per_node)


@pytest.mark.integration
@pytest.mark.slow
def test_deploy_status_scale_destroy_on_the_local_target(deploy_project: Path):
    # Terraform finds the AWS provider through TF_PROVIDER_MIRROR (the Makefile's), as a user's would.
    env = {**os.environ, "SYNTHDATA_INFRA_ROOT": str(deploy_project)}
    deploy = run_cli("deploy", "--type", "tabular", "--name", SERVICE, "--provider", "aws", "--environment", "dev", "--local", env=env)
    assert deploy.returncode == 0, deploy.stdout + deploy.stderr
    assert f"{SERVICE} (tabular on aws, dev): deployed" in deploy.stdout
    assert "skipped: kubernetes layer" in deploy.stdout
    assert "terraform apply" in deploy.stderr  # the progress lines
    assert [s["name"] for s in recorded(deploy_project)] == [SERVICE]

    api = json.loads((deploy_project / ".synthdata" / "local" / "aws.json").read_text())
    endpoint = api["endpoint"]
    assert local.servers_of(deploy_project) == [api["pid"]]
    eks = client("eks", endpoint)
    (cluster,) = eks.list_clusters()["clusters"]
    (group_name,) = eks.list_nodegroups(clusterName=cluster)["nodegroups"]
    assert group_name.startswith(f"{SERVICE}-dev-")  # a name prefix: replacements are create-before-destroy
    assert any(b["Name"].startswith(f"{SERVICE}-dev") for b in client("s3", endpoint).list_buckets()["Buckets"])
    assert client("amp", endpoint).list_workspaces()["workspaces"]

    status = run_cli("status", "--environment", "dev", "--format", "json", env=env)
    assert status.returncode == 0, status.stderr
    (row,) = json.loads(status.stdout)
    assert (row["service"], row["status"], row["target"]) == (SERVICE, "deployed", "local")

    before = node_group_scaling(deploy_project, env)
    scale = run_cli("scale", "--service", SERVICE, "--replicas", "10", env=env)
    assert scale.returncode == 0, scale.stdout + scale.stderr
    assert "scaling.max_replicas raised from 3 to 10" in scale.stderr
    # Only the service's own root is applied again; the record keeps the monitoring outputs.
    assert f"{SERVICE}-dev: terraform apply" in scale.stderr
    assert "monitoring-aws-dev: terraform apply" not in scale.stderr and "local-cluster-dev: terraform apply" not in scale.stderr
    assert "monitoring-aws-dev: terraform apply" in deploy.stderr  # what the deploy applied
    record = json.loads((deploy_project / ".synthdata" / "records" / "dev" / f"{SERVICE}.json").read_text())
    assert record["result"] == "deployed" and record["monitoring"].get("prometheus_endpoint")
    # The same API, not a second one started because the first looked busy.
    assert json.loads((deploy_project / ".synthdata" / "local" / "aws.json").read_text()) == api
    assert local.servers_of(deploy_project) == [api["pid"]]
    (entry,) = recorded(deploy_project)
    assert entry["replicas"] == 10
    after = node_group_scaling(deploy_project, env)
    assert before["max_size"] == expected_nodes(deploy_project, 3)
    assert after["max_size"] == expected_nodes(deploy_project, 10) > before["max_size"]
    (group_name,) = eks.list_nodegroups(clusterName=cluster)["nodegroups"]  # replaced (moto cannot resize in place)
    nodegroup = eks.describe_nodegroup(clusterName=cluster, nodegroupName=group_name)["nodegroup"]
    assert nodegroup["scalingConfig"]["maxSize"] == after["max_size"]
    status = run_cli("status", "--environment", "dev", "--format", "json", env=env)
    assert json.loads(status.stdout)[0]["status"] == "deployed"

    destroy = run_cli("destroy", "--service", SERVICE, env=env)
    assert destroy.returncode == 0, destroy.stdout + destroy.stderr
    assert recorded(deploy_project) == []
    assert eks.list_clusters()["clusters"] == []
    assert client("s3", endpoint).list_buckets()["Buckets"] == []
    assert client("amp", endpoint).list_workspaces()["workspaces"] == []
    assert client("sns", endpoint).list_topics()["Topics"] == []
    assert client("secretsmanager", endpoint).list_secrets()["SecretList"] == []
    assert client("logs", endpoint).describe_log_groups()["logGroups"] == []
    assert client("iam", endpoint).list_roles()["Roles"] == []
    assert client("iam", endpoint).list_open_id_connect_providers()["OpenIDConnectProviderList"] == []
    assert client("ec2", endpoint).describe_launch_templates()["LaunchTemplates"] == []
    vpcs = client("ec2", endpoint).describe_vpcs()["Vpcs"]
    assert all(v["IsDefault"] for v in vpcs)  # moto's default VPC is all that is left
    keys = client("kms", endpoint)
    assert all(keys.describe_key(KeyId=k["KeyId"])["KeyMetadata"]["KeyState"] == "PendingDeletion" for k in keys.list_keys()["Keys"])
    status = run_cli("status", "--environment", "dev", "--format", "json", env=env)
    assert json.loads(status.stdout) == []
    assert local.servers_of(deploy_project) == [api["pid"]]

    stop = run_cli("local", "stop", env=env)
    assert (stop.returncode, stop.stdout.strip()) == (0, "local AWS API stopped"), stop.stdout + stop.stderr
    assert local.servers_of(deploy_project) == []
    assert not (deploy_project / ".synthdata" / "local" / "aws.json").exists()
