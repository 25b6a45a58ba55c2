"""A strict interface: input combinations that cannot work fail at `terraform plan`, with a
message naming the input (AWS with terraform against moto; GCP and Azure as JSON)."""

from __future__ import annotations

import json
import re

import pytest

from tests.aws.conftest import terraform
from tests.aws.test_aws_modules import aws_client, write_root
from tests.conftest import REPO, TYPES

REQUIRED = {"service_name": '"customer-synth"', "environment": '"test"', "enable_backup": "false"}
BAD = {
    "min above max": ({"node_min_size": "5", "node_max_size": "2"}, "node_min_size <= node_desired_size <= node_max_size must hold"),
    "desired above max": ({"node_desired_size": "9", "node_max_size": "3"}, "node_min_size <= node_desired_size <= node_max_size must hold"),
    "negative disk": ({"node_disk_size_gib": "-1"}, "node_disk_size_gib must be a whole number from 20 to 16384"),
    "no backup retention": ({"backup_retention_days": "0"}, "backup_retention_days must be a whole number from 1 to 36500"),
    "fractional node count": ({"node_max_size": "2.5"}, "node_max_size must be a whole number from 1 to 1000"),
    "recovery window AWS refuses": ({"secret_recovery_window_days": "3"}, "secret_recovery_window_days must be 0 or from 7 to 30"),
    "bucket name S3 refuses": ({"bucket_name": '"Team_Data"'}, "bucket_name must be an S3 bucket name"),
    "null required input": ({"service_name": "null"}, "service_name"),
}


def _diagnostics(stderr: str) -> list[str]:
    """Terraform's error blocks, each as one line of text (box-drawing marks, when drawn, dropped)."""
    text = re.sub("[\u2500-\u257f]", " ", stderr)
    return [" ".join(("Error: " + block).split()) for block in text.split("Error: ")[1:]]


@pytest.mark.slow
def test_invalid_inputs_fail_at_plan_naming_the_input(moto, terraform_env, tmp_path):
    """One plan of a good call, then one plan with a module call per bad case: every case fails,
    each with the message naming its input, attributed to its own call."""
    write_root(tmp_path, "tabular", moto, **REQUIRED)
    init = terraform(terraform_env, tmp_path, "init", "-input=false")
    assert init.returncode == 0, init.stderr
    good = terraform(terraform_env, tmp_path, "plan", "-input=false")
    assert good.returncode == 0, good.stderr
    cases = list(BAD.items())

    def plan_calls(indexes: list[int]) -> dict[int, list[str]]:
        """case index -> the errors of its call (attributed by the call's name, or by being alone)."""
        calls = []
        for index in indexes:
            lines = "\n".join(f"  {name} = {value}" for name, value in {**REQUIRED, **cases[index][1][0]}.items())
            calls.append(
                f'module "case_{index}" {{\n  source = "./module"\n  cluster_name = aws_eks_cluster.test.name\n'
                f"  subnet_ids = aws_subnet.private[*].id\n  oidc_provider_arn = aws_iam_openid_connect_provider.test.arn\n{lines}\n}}\n"
            )
        (tmp_path / "cases.tf").write_text("\n".join(calls))
        assert terraform(terraform_env, tmp_path, "get").returncode == 0  # registers the new calls of the local module
        plan = terraform(terraform_env, tmp_path, "plan", "-input=false")
        assert plan.returncode != 0
        errors = _diagnostics(plan.stderr)
        if len(indexes) == 1:
            return {indexes[0]: errors}
        found = {i: [e for e in errors if f'module "case_{i}"' in e or f"module.case_{i}." in e] for i in indexes}
        assert sum(len(mine) for mine in found.values()) == len(errors), errors  # every error names its call
        return {i: mine for i, mine in found.items() if mine}

    # Terraform reports every invalid input first and evaluates preconditions (the node size
    # relations, which name no call) only when the inputs are valid: the cases left without an
    # error are planned again, one at a time.
    found = plan_calls(list(range(len(cases))))
    left = [i for i in range(len(cases)) if i not in found]
    assert len(left) < len(cases)
    for index in left:
        found.update(plan_calls([index]))
    for index, (case, (inputs, message)) in enumerate(cases):
        mine = found.get(index, [])
        assert mine, f"{case}: no error for module.case_{index}"
        assert any(message in e for e in mine), f"{case}: {mine}"
        if inputs.get("service_name") == "null":
            assert any("null" in e for e in mine)


def planned_module(root, kind: str, endpoint: str, env: dict, **inputs: str) -> dict[str, dict]:
    """address -> planned values of what the cloud module would create, from `terraform show -json`."""
    write_root(root, kind, endpoint, **{**REQUIRED, **inputs})
    assert terraform(env, root, "init", "-input=false").returncode == 0
    plan = terraform(env, root, "plan", "-input=false", "-out=plan.bin")
    assert plan.returncode == 0, plan.stderr
    shown = json.loads(terraform(env, root, "show", "-json", "plan.bin").stdout)
    return {c["address"]: c["change"]["after"] for c in shown["resource_changes"] if c["address"].startswith("module.cloud.")}


@pytest.mark.slow
def test_a_permissions_boundary_reaches_every_role(moto, terraform_env, tmp_path):
    """Bring-your-own permissions boundary: every IAM role the module would create carries it."""
    boundary = "arn:aws:iam::123456789012:policy/platform-boundary"
    after = planned_module(tmp_path, "image", moto, terraform_env, permissions_boundary_arn=f'"{boundary}"')
    roles = [values for address, values in after.items() if ".aws_iam_role." in address]
    assert roles and all(values["permissions_boundary"] == boundary for values in roles)
    assert len(roles) == 2  # nodes and workload (backup is off here)


@pytest.mark.slow
def test_a_given_kms_key_replaces_the_created_one(moto, terraform_env, tmp_path):
    """Bring-your-own key: no key or alias is created, and the bucket, secrets, audit logs and
    node disks are encrypted with the given one."""
    key = "arn:aws:kms:us-east-1:123456789012:key/0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d"
    after = planned_module(tmp_path, "tabular", moto, terraform_env, kms_key_arn=f'"{key}"')
    assert not [a for a in after if a.startswith(("module.cloud.aws_kms_key.", "module.cloud.aws_kms_alias."))]
    (encryption,) = [v for a, v in after.items() if "aws_s3_bucket_server_side_encryption_configuration" in a]
    assert encryption["rule"][0]["apply_server_side_encryption_by_default"][0]["kms_master_key_id"] == key
    secrets = [v for a, v in after.items() if ".aws_secretsmanager_secret." in a]
    assert secrets and all(v["kms_key_id"] == key for v in secrets)
    (log_group,) = [v for a, v in after.items() if ".aws_cloudwatch_log_group." in a]
    assert log_group["kms_key_id"] == key
    (template,) = [v for a, v in after.items() if ".aws_launch_template." in a]
    assert template["block_device_mappings"][0]["ebs"][0]["kms_key_id"] == key


@pytest.mark.slow
def test_a_given_bucket_replaces_the_created_one(moto, terraform_env, tmp_path):
    """Bring-your-own bucket: neither a bucket nor any of its settings (encryption, versioning,
    public access block, lifecycle, policy) is created, so no destroy can delete it; the outputs,
    the backup and the policies use the given bucket."""
    aws_client("s3", moto).create_bucket(Bucket="team-data-lake")
    after = planned_module(tmp_path, "tabular", moto, terraform_env, bucket_name='"team-data-lake"', enable_backup="true")
    assert not [a for a in after if a.startswith("module.cloud.aws_s3_bucket")]
    (selection,) = [v for a, v in after.items() if ".aws_backup_selection." in a]
    assert selection["resources"] == ["arn:aws:s3:::team-data-lake"]
    assert "module.cloud.terraform_data.retention_guard" in after  # still keeps the key, logs and secrets
    shown = json.loads(terraform(terraform_env, tmp_path, "show", "-json", "plan.bin").stdout)
    outputs = shown["output_changes"]["module"]["after"]
    assert (outputs["bucket_name"], outputs["bucket_arn"]) == ("team-data-lake", "arn:aws:s3:::team-data-lake")
    # The workload role's policy is unknown at plan (it names the secrets and the log group): it
    # reads the same expression as the bucket_arn output.
    module = tmp_path / "module"
    arn = json.loads((module / "outputs.tf.json").read_text())["output"]["bucket_arn"]["value"]
    (access,) = json.loads((module / "main.tf.json").read_text())["resource"]["aws_iam_role_policy"].values()
    assert f'"Resource" = {arn[2:-1]}' in access["policy"] and f'"Resource" = "{arn}/*"' in access["policy"]


CLOUD_MODULES = sorted(path.parent for provider in ("aws", "gcp", "azure") for path in (REPO / "modules_out" / provider).glob("*/main.tf.json") if path.parent.name != "monitoring")


@pytest.mark.parametrize("module", CLOUD_MODULES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_cloud_module_bounds_its_counts_and_checks_node_sizes(module):
    variables = json.loads((module / "variables.tf.json").read_text())["variable"]
    for name, body in variables.items():
        if "default" not in body or body["default"] is not None:
            assert body.get("nullable") is False, f"{name} accepts null"
        if body["type"] == "number":
            assert body.get("validation"), f"{name} has no range check"
    if module.name not in TYPES:  # the platform (once per cluster) and the dashboards import: no node pool
        return
    main = json.loads((module / "main.tf.json").read_text())["resource"]
    pools = [body for kind in ("aws_eks_node_group", "google_container_node_pool", "azurerm_kubernetes_cluster_node_pool") for body in main.get(kind, {}).values()]
    (pool,) = pools
    conditions = [check["condition"] for check in pool["lifecycle"]["precondition"]]
    assert "${var.node_min_size <= var.node_desired_size && var.node_desired_size <= var.node_max_size}" in conditions
