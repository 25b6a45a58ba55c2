"""The AWS cloud layer: real applies against moto, and what the modules hold. (terraform init
and validate of every AWS module: the `validate` command's test, test_validate.py.)"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from string import Template

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from synthdata_infra.deploy.synth_roots import local_main
from tests.aws.conftest import terraform
from tests.conftest import GPU_TYPES, REPO, TYPES, load, resources
from tests.test_checkov import run_checkov_on_plan

HERE = Path(__file__).parent
# The service's key: the one given (kms_key_arn) or the one the module creates.
KEY_ARN = "${local.encryption_arn}"
SERVICE = {"tabular": "customer-synth", "image": "product-images"}


def write_root(root: Path, kind: str, endpoint: str, **inputs: str) -> None:
    """A root like a team's: cluster + OIDC provider in moto, then the module (copied the way
    the local target copies it, ignoring what moto changes behind Terraform's back)."""
    module = root / "module"
    shutil.copytree(REPO / "modules_out" / "aws" / kind, module, ignore=shutil.ignore_patterns("examples"))
    # The local target's copy of the module: lifecycle settings for moto's deviations merged in.
    (module / "main.tf.json").write_text(local_main(REPO / "modules_out" / "aws" / kind))
    lines = "\n".join(f"  {name} = {value}" for name, value in inputs.items())
    write_provider(root, endpoint)
    template = Template((HERE / "moto_cluster.tf.tmpl").read_text())
    (root / "main.tf").write_text(template.substitute(module_source="./module", module_inputs=lines))


def write_provider(root: Path, endpoint: str) -> None:
    """terraform and the AWS provider, every service pointed at moto."""
    (root / "provider.tf").write_text(Template((HERE / "moto_provider.tf.tmpl").read_text()).substitute(endpoint=endpoint))


def aws_client(service: str, endpoint: str, config: Config | None = None):
    return boto3.client(
        service, endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="moto", aws_secret_access_key="moto", config=config
    )


# tabular keeps its data on destroy and backs the bucket up (the defaults); image is applied with
# the data let go and without backup.
INPUTS = {
    "tabular": {},
    "image": {"retain_data_on_destroy": "false", "force_destroy": "true", "secret_recovery_window_days": "0", "enable_backup": "false"},
}
# moto (5.2.5 here) has no backup selection API: CreateBackupSelection, GetBackupSelection,
# DeleteBackupSelection and ListBackupSelections answer HTTP 500 ("not implemented"); nor has it
# UpdateBackupPlan (a changed plan). The apply leaves the selection out and applies everything
# else, backup vault, plan, role and its AWS managed policies (moto ships AWS's list) included;
# test_aws_facts checks those policy ARNs against AWS's list as well. A moto that answers
# CreateBackupSelection fails the test: then apply the selection too.
MOTO_LACKS = {"aws_backup_selection"}
# What a re-plan then shows, and nothing else: the selection, and tags on the vault and the plan
# because moto's ListTags reads the ARN from the wrong path segment when the request has no
# trailing slash (the Go SDK's), so the provider reads no tags back.
MOTO_BACKUP_REPLAN = {
    "module.cloud.aws_backup_selection.backup_selection[0]": ["create"],
    "module.cloud.aws_backup_vault.backup_vault[0]": ["tags", "tags_all"],
    "module.cloud.aws_backup_plan.backup_plan[0]": ["tags", "tags_all"],
}


# checkov on the re-plan. In the module the policies are jsonencode() expressions, which checkov's
# .tf.json parser reads as plain text: its policy checks there pass without reading a statement.
# In the plan they are documents, and these checks must pass on them; each one is absent from a
# scan of modules_out/, so its pass here proves checkov read the policy:
#   CKV_AWS_70   the bucket policy allows no action to any principal
#   CKV2_AWS_40  no full IAM privileges
#   CKV_AWS_286  no privilege escalation
#   CKV_AWS_287  no credentials exposure
#   CKV_AWS_288  no data exfiltration
#   CKV_AWS_289  no permissions management or resource exposure without constraints
#   CKV_AWS_290  no write access without constraints
#   CKV_AWS_355  no "*" resource for actions that take a resource
# The key policy (CKV_AWS_33), the trust policies (CKV_AWS_60, CKV_AWS_61) and CKV_AWS_62/63 are
# read in the plan too, but they also pass on text they cannot read, so their pass proves nothing:
# they count through the "no failed check" assertion. image's call (module.image) is in the same
# plan but not held to it: its CloudFront distribution has no web ACL unless cdn_web_acl_id is
# given, which CKV_AWS_68 fails.
POLICY_CHECKS = {
    "tabular": {
        "aws_s3_bucket_policy.access_policy[0]": {"CKV_AWS_70"},
        "aws_iam_role_policy.identity_access": {
            "CKV2_AWS_40", "CKV_AWS_286", "CKV_AWS_287", "CKV_AWS_288", "CKV_AWS_289", "CKV_AWS_290", "CKV_AWS_355",
        },
    },
}


def add_call(root: Path, name: str, kind: str, **inputs: str) -> None:
    """A second service's module call in the root of write_root, on the same cluster, with an
    output of the same name."""
    module = root / f"{name}_module"
    shutil.copytree(REPO / "modules_out" / "aws" / kind, module, ignore=shutil.ignore_patterns("examples"))
    (module / "main.tf.json").write_text(local_main(REPO / "modules_out" / "aws" / kind))
    lines = "\n".join(f"  {key} = {value}" for key, value in inputs.items())
    (root / f"{name}.tf").write_text(
        f'module "{name}" {{\n  source            = "./{name}_module"\n  cluster_name      = aws_eks_cluster.test.name\n'
        f"  subnet_ids        = aws_subnet.private[*].id\n  oidc_provider_arn = aws_iam_openid_connect_provider.test.arn\n{lines}\n}}\n\n"
        f'output "{name}" {{\n  value = module.{name}\n}}\n'
    )


def check_service(endpoint: str, kind: str, outputs: dict) -> None:
    """What AWS (moto) holds for one service, read back through its API."""
    service = SERVICE[kind]
    s3, iam, eks = aws_client("s3", endpoint), aws_client("iam", endpoint), aws_client("eks", endpoint)
    bucket = outputs["bucket_name"]
    (rule,) = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
    assert rule["ApplyServerSideEncryptionByDefault"] == {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": outputs["kms_key_arn"]}
    assert all(s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"].values())
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    lifecycle = s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]
    assert any("AbortIncompleteMultipartUpload" in r for r in lifecycle)
    policy = json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])
    assert any(s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}} for s in policy["Statement"])

    role = iam.get_role(RoleName=outputs["service_account_role_arn"].split("/")[-1])["Role"]
    (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
    conditions = trust["Condition"]["StringEquals"]
    assert [v for k, v in conditions.items() if k.endswith(":sub")] == [f"system:serviceaccount:synthdata:{service}"]
    assert [v for k, v in conditions.items() if k.endswith(":aud")] == ["sts.amazonaws.com"]
    assert outputs["service_account_annotations"] == {"eks.amazonaws.com/role-arn": role["Arn"]}

    group = eks.describe_nodegroup(clusterName="synthdata-test", nodegroupName=outputs["node_group_name"])["nodegroup"]
    gpu = kind in GPU_TYPES
    assert group["amiType"] == ("AL2023_x86_64_NVIDIA" if gpu else "AL2023_x86_64_STANDARD")
    assert group["labels"] == outputs["node_selector"]
    # Cluster Autoscaler's discovery tags (the platform module's autoscaler manages the group).
    assert (group["tags"]["k8s.io/cluster-autoscaler/enabled"], group["tags"]["k8s.io/cluster-autoscaler/synthdata-test"]) == ("true", "owned")
    assert bool(group.get("taints")) is gpu
    if gpu:
        assert group["instanceTypes"][0].startswith("g4dn.")
        assert outputs["node_selector"]["synthdata.io/accelerator"] == "nvidia-tesla-t4"
        assert outputs["cdn_domain_name"].endswith(".cloudfront.net")
    else:
        assert outputs["cdn_domain_name"] is None
    secrets = [s for s in aws_client("secretsmanager", endpoint).list_secrets()["SecretList"] if s["ARN"] in outputs["secret_arns"].values()]
    assert sorted(s["Name"].rsplit("/", 1)[1] for s in secrets) == sorted(outputs["secret_arns"])
    assert all(s["KmsKeyId"] == outputs["kms_key_arn"] for s in secrets)


@pytest.mark.slow
def test_two_services_apply_replan_and_destroy_on_one_cluster_against_moto(moto, terraform_env, tmp_path):
    """tabular (data kept on destroy, backed up) and image (data let go, a CDN) called side by
    side in one root on one cluster, as a platform team runs two services: one apply, a clean
    re-plan, and a destroy that removes everything but tabular's data."""
    write_root(tmp_path, "tabular", moto, service_name=f'"{SERVICE["tabular"]}"', environment='"test"', **INPUTS["tabular"])
    add_call(tmp_path, "image", "image", service_name=f'"{SERVICE["image"]}"', environment='"test"', **INPUTS["image"])
    assert terraform(terraform_env, tmp_path, "init", "-input=false").returncode == 0
    with without_what_moto_lacks(tmp_path / "module") as left_out, without_what_moto_lacks(tmp_path / "image_module") as image_left_out:
        assert left_out == image_left_out == {"aws_backup_selection.backup_selection"}  # declared by both (image: count 0 by input)
        apply = terraform(terraform_env, tmp_path, "apply", "-auto-approve", "-input=false", timeout=600)
    assert apply.returncode == 0, apply.stdout[-3000:] + apply.stderr
    shown = json.loads(terraform(terraform_env, tmp_path, "output", "-json").stdout)
    outputs, image = shown["module"]["value"], shown["image"]["value"]

    check_service(moto, "tabular", outputs)
    check_service(moto, "image", image)
    # Nothing the two share by name: buckets, roles, node groups, keys, secrets are each their own.
    for key in ("bucket_name", "service_account_role_arn", "node_group_name", "kms_key_arn", "audit_log_group_name"):
        assert outputs[key] != image[key], key
    assert not set(outputs["secret_arns"].values()) & set(image["secret_arns"].values())
    check_backup_as_far_as_moto_goes(moto, SERVICE["tabular"], outputs)  # image: enable_backup = false

    plan = replan(terraform_env, tmp_path)
    assert planned_changes(plan) == MOTO_BACKUP_REPLAN  # tabular's backup, as moto goes; image: nothing
    check_policies_as_rendered(plan, POLICY_CHECKS["tabular"])

    s3 = aws_client("s3", moto)
    for bucket in (outputs["bucket_name"], image["bucket_name"]):
        with past_the_tls_policy(s3, bucket):
            s3.put_object(Bucket=bucket, Key="runs/1/records.parquet", Body=b"generated")
    check_destroy_keeps_the_data(terraform_env, tmp_path, moto, outputs)
    # image let its data go: bucket (objects and all), key scheduled for deletion, CDN gone.
    assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == [outputs["bucket_name"]]
    assert aws_client("cloudfront", moto).list_distributions()["DistributionList"].get("Items", []) == []
    kms = aws_client("kms", moto)
    assert kms.describe_key(KeyId=image["kms_key_arn"])["KeyMetadata"]["KeyState"] == "PendingDeletion"


@contextmanager
def without_what_moto_lacks(module: Path) -> Iterator[set[str]]:
    """For the block (the apply): an override file in the module's copy gives every resource whose
    API moto lacks ``count = 0`` (Terraform merges override files into the module), so a plain
    apply creates everything else and records the outputs. The file is gone afterwards: the
    re-plan reads the module as written and plans what was left out. Yields the addresses."""
    resources = json.loads((module / "main.tf.json").read_text())["resource"]
    lacking = {kind: {name: {"count": 0} for name in resources[kind]} for kind in sorted(MOTO_LACKS & set(resources))}
    override = module / "moto_lacks_override.tf.json"
    if lacking:
        override.write_text(json.dumps({"resource": lacking}))
    try:
        yield {f"{kind}.{name}" for kind, names in lacking.items() for name in names}
    finally:
        override.unlink(missing_ok=True)


def replan(env: dict, root: Path) -> Path:
    """A fresh plan after the apply, as `terraform show -json` writes it: every ARN is known by
    now, so its policies are rendered documents."""
    plan = terraform(env, root, "plan", "-input=false", "-out=replan.bin")
    assert plan.returncode == 0, plan.stderr
    shown = terraform(env, root, "show", "-json", "replan.bin")
    assert shown.returncode == 0, shown.stderr
    (root / "replan.json").write_text(shown.stdout)
    return root / "replan.json"


def planned_changes(plan: Path) -> dict[str, list[str]]:
    """What the plan would do: address -> the attributes it changes (["create"] for a new resource)."""
    changes = {}
    for c in json.loads(plan.read_text()).get("resource_changes", []):
        actions, before, after = c["change"]["actions"], c["change"]["before"] or {}, c["change"]["after"] or {}
        if actions in (["no-op"], ["read"]):
            continue
        changes[c["address"]] = ["create"] if actions == ["create"] else sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
    return changes


def check_policies_as_rendered(plan: Path, required: dict[str, set[str]]) -> None:
    """checkov (with the project's .checkov.yaml) fails nothing in the module and read its policies.
    What it finds in the root's own VPC and cluster, stand-ins for a team's, is not the module's."""
    result = run_checkov_on_plan(plan)
    assert result["parsing_errors"] == []
    failed = [(c["check_id"], c["resource"]) for c in result["failed"] if c["resource"].startswith("module.cloud.")]
    assert failed == [], failed
    passed = {(c["resource"].removeprefix("module.cloud."), c["check_id"]) for c in result["passed"]}
    missing = {(resource, check) for resource, checks in required.items() for check in checks} - passed
    assert not missing, f"checkov no longer read these policies: {sorted(missing)}"


def check_backup_as_far_as_moto_goes(endpoint: str, service: str, outputs: dict) -> None:
    """The vault (encrypted with the service's key), the daily plan and the backup role with AWS's
    backup policies exist; the selection does not, because moto still lacks its API."""
    backup = aws_client("backup", endpoint)
    name = f"{service}-test"
    (vault,) = backup.list_backup_vaults()["BackupVaultList"]
    assert (vault["BackupVaultName"], vault["EncryptionKeyArn"]) == (name, outputs["kms_key_arn"])
    assert backup.list_tags(ResourceArn=vault["BackupVaultArn"])["Tags"]["synthdata:service"] == service  # set, only not read back
    (plan,) = backup.list_backup_plans()["BackupPlansList"]
    assert plan["BackupPlanName"] == name
    (rule,) = backup.get_backup_plan(BackupPlanId=plan["BackupPlanId"])["BackupPlan"]["Rules"]
    assert (rule["TargetBackupVaultName"], rule["ScheduleExpression"]) == (name, "cron(0 5 ? * * *)")
    iam = aws_client("iam", endpoint)
    role = iam.get_role(RoleName=f"{name}-backup")["Role"]
    assert role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {"Service": "backup.amazonaws.com"}
    attached = {p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName=role["RoleName"])["AttachedPolicies"]}
    assert attached == {"arn:aws:iam::aws:policy/AWSBackupServiceRolePolicyForS3Backup", "arn:aws:iam::aws:policy/AWSBackupServiceRolePolicyForS3Restore"}
    selection = {"SelectionName": name, "IamRoleArn": role["Arn"], "Resources": [outputs["bucket_arn"]]}
    unimplemented = aws_client("backup", endpoint, config=Config(retries={"total_max_attempts": 1}))
    with pytest.raises(ClientError, match=r"\(500\) when calling the CreateBackupSelection operation"):
        unimplemented.create_backup_selection(BackupPlanId=plan["BackupPlanId"], BackupSelection=selection)


@contextmanager
def past_the_tls_policy(s3, bucket: str) -> Iterator[None]:
    """moto applies the bucket policy's TLS-only Deny to plain-HTTP object calls (its endpoint has
    no TLS): lift the policy for the calls inside and put it back unchanged."""
    policy = s3.get_bucket_policy(Bucket=bucket)["Policy"]
    s3.delete_bucket_policy(Bucket=bucket)
    try:
        yield
    finally:
        s3.put_bucket_policy(Bucket=bucket, Policy=policy)


def check_destroy_keeps_the_data(terraform_env, root: Path, endpoint: str, outputs: dict) -> None:
    """A plain destroy removes everything but the data and stops with a message; forgetting the
    retained addresses (what `synthdata-infra destroy` does) then finishes it. The bucket, its
    object, the key (enabled), the audit log group and the secrets are all still there."""
    destroy = terraform(terraform_env, root, "destroy", "-auto-approve", "-input=false")
    assert destroy.returncode != 0
    assert "retain_data_on_destroy is true" in destroy.stderr, destroy.stderr[-2000:]
    assert aws_client("eks", endpoint).list_clusters()["clusters"] == []  # node group first, then the team's cluster

    state = terraform(terraform_env, root, "state", "list").stdout.split()
    retained = [f"module.cloud.{address}" for address in outputs["retained_addresses"]]
    assert set(retained) <= {entry.split("[")[0] for entry in state}
    forget = terraform(terraform_env, root, "state", "rm", *retained, "module.cloud.terraform_data.retention_guard")
    assert forget.returncode == 0, forget.stderr
    finish = terraform(terraform_env, root, "destroy", "-auto-approve", "-input=false")
    assert finish.returncode == 0, finish.stdout[-3000:] + finish.stderr
    assert terraform(terraform_env, root, "state", "list").stdout.strip() == ""

    s3 = aws_client("s3", endpoint)
    bucket = outputs["bucket_name"]
    policy = json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])
    assert any(s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}} for s in policy["Statement"])
    with past_the_tls_policy(s3, bucket):
        assert s3.get_object(Bucket=bucket, Key="runs/1/records.parquet")["Body"].read() == b"generated"
    (rule,) = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
    assert rule["ApplyServerSideEncryptionByDefault"]["KMSMasterKeyID"] == outputs["kms_key_arn"]
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    assert all(s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"].values())
    key = aws_client("kms", endpoint).describe_key(KeyId=outputs["kms_key_arn"])["KeyMetadata"]
    assert (key["KeyState"], key["Enabled"]) == ("Enabled", True)
    groups = aws_client("logs", endpoint).describe_log_groups()["logGroups"]
    assert [g["logGroupName"] for g in groups] == [outputs["audit_log_group_name"]]
    secrets = aws_client("secretsmanager", endpoint).list_secrets()["SecretList"]
    assert sorted(s["ARN"] for s in secrets) == sorted(outputs["secret_arns"].values())
    assert not any(s.get("DeletedDate") for s in secrets)
    # What is not data went: roles, launch template, node group, backup vault and plan.
    assert [r["RoleName"] for r in aws_client("iam", endpoint).list_roles()["Roles"]] == []
    assert aws_client("ec2", endpoint).describe_launch_templates()["LaunchTemplates"] == []
    backup = aws_client("backup", endpoint)
    assert backup.list_backup_vaults()["BackupVaultList"] == [] and backup.list_backup_plans()["BackupPlansList"] == []


@pytest.mark.parametrize("kind", TYPES)
def test_node_group_matches_the_profile(fresh_modules, kind):
    module = fresh_modules / "aws" / kind
    (group,) = resources(module, "aws_eks_node_group").values()
    variables = load(module, "variables.tf.json")["variable"]
    gpu = kind in GPU_TYPES
    assert group["ami_type"] == "${var.node_ami_type}"
    assert variables["node_ami_type"]["default"] == ("AL2023_x86_64_NVIDIA" if gpu else "AL2023_x86_64_STANDARD")
    if gpu:
        assert group["taint"] == [{"key": "nvidia.com/gpu", "value": "present", "effect": "NO_SCHEDULE"}]
    else:
        assert "taint" not in group
    minimum, desired, maximum = (variables[f"node_{n}_size"]["default"] for n in ("min", "desired", "max"))
    assert 1 <= minimum <= desired <= maximum
    (template,) = resources(module, "aws_launch_template").values()
    assert template["metadata_options"] == {"http_endpoint": "enabled", "http_tokens": "required", "http_put_response_hop_limit": 1}
    ebs = template["block_device_mappings"][0]["ebs"]
    assert ebs["encrypted"] == "true" and ebs["kms_key_id"] == KEY_ARN


@pytest.mark.parametrize("kind", TYPES)
def test_node_defaults_agree_with_the_cost_command(fresh_modules, kind, cli):
    """The module's default instance type and node count are what `config show` places."""
    shown = json.loads(cli("config", "show", "--type", kind, "--provider", "aws", "--format", "json").stdout)
    variables = load(fresh_modules / "aws" / kind, "variables.tf.json")["variable"]
    # config show resolves an environment (production); the module takes the bare profile, which
    # may have other replica counts. The instance type depends only on one replica.
    assert variables["node_instance_types"]["default"] == [shown["placement"]["instance_type"]]


@pytest.mark.parametrize("module", [*TYPES, "monitoring", "platform"])
def test_policies_are_jsonencode_expressions(fresh_modules, module):
    """Policies read as Terraform in the module and in plans. A reference inside one is an
    expression, never its text in quotes (what cdktf makes of a token inside a larger expression)."""
    main = load(fresh_modules / "aws" / module, "main.tf.json")["resource"]
    policies = [body[key] for blocks in main.values() for body in blocks.values() for key in ("policy", "assume_role_policy") if key in body]
    assert policies
    for policy in policies:
        assert policy.startswith("${jsonencode({") and policy.endswith("})}"), policy
        assert not re.search(r'"(?:aws_\w+|data\.\w+|local|var)\.\w+', policy), policy


@pytest.mark.parametrize("kind", TYPES)
def test_no_secret_values_and_cdn_behind_enable_cdn(fresh_modules, kind):
    main = load(fresh_modules / "aws" / kind, "main.tf.json")["resource"]
    assert "aws_secretsmanager_secret_version" not in main
    # Every type has the CDN, on by default where the profile has one (a service overrides enable_cdn).
    assert load(fresh_modules / "aws" / kind, "variables.tf.json")["variable"]["enable_cdn"]["default"] is (kind == "image")
    for kind_of, name in (("aws_cloudfront_distribution", "cdn_distribution"), ("aws_cloudfront_origin_access_control", "cdn_origin_access")):
        assert main[kind_of][name]["count"] == "${var.enable_cdn ? 1 : 0}"
    for policy in (main["aws_kms_key"]["encryption_key"]["policy"], main["aws_s3_bucket_policy"]["access_policy"]["policy"]):
        assert "var.enable_cdn ? [{" in policy and "CloudFrontReadsObjects" in policy.split("var.enable_cdn ? [")[1]
    (log_group,) = main["aws_cloudwatch_log_group"].values()
    assert log_group["kms_key_id"] == KEY_ARN


@pytest.mark.parametrize("kind", TYPES)
def test_example_calls_both_modules_with_their_required_inputs(fresh_modules, kind, terraform_env):
    example = fresh_modules / "aws" / kind / "examples" / "complete"
    text = (example / "main.tf").read_text()
    assert terraform(terraform_env, example, "fmt", "-check").returncode == 0
    workload = f'"app.terraform.io/<ORG>/synthdata-{kind.replace("_", "-")}/kubernetes"'
    for source, module in (('"../.."', fresh_modules / "aws" / kind), (workload, fresh_modules / "kubernetes" / kind)):
        block = re.split(rf"source +=\s*{re.escape(source)}", text, maxsplit=1)[1].split("\n}", 1)[0]
        for name, variable in load(module, "variables.tf.json")["variable"].items():
            if "default" not in variable:
                assert f"\n  {name} " in block, f"{source} lacks required input {name}"
    assert 'provider "aws"' in text and 'provider "kubernetes"' in text
    assert "module.cloud.service_account_annotations" in text


def test_every_minimal_example_is_formatted(terraform_env):
    examples = sorted((REPO / "modules_out").glob("*/*/examples/minimal"))
    assert len(examples) == len(list((REPO / "modules_out").glob("*/*/main.tf.json")))
    for example in examples:
        assert terraform(terraform_env, example, "fmt", "-check").returncode == 0, example
