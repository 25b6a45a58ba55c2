"""modules_out/aws/platform: its AWS part validated, applied, re-planned and destroyed against moto;
what moto cannot run (the EBS CSI EKS add-on) planned and checked against AWS's published facts.

Only the aws provider is on this machine's provider mirror; the helm and kubernetes providers are
not, and `terraform init` of the whole module would fetch them. So the tests run the module's
**AWS part**: a copy of the module without its ``helm_*`` and ``kubernetes_*`` resources (the
charts, namespaces, StorageClasses and custom resources), without the outputs that read them and
without those two providers' requirements. ``aws_part`` asserts that this removes nothing else:
every AWS resource, data source, local, input and the other outputs are exactly the module's.
The charts' values are checked as JSON in tests/aws/test_aws_platform_values.py.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import botocore.session
import pytest

from synthdata_infra.components.platform.aws import (
    AMP_QUERY,
    AMP_WRITE,
    CLUSTER_AUTOSCALER_READ,
    CLUSTER_AUTOSCALER_WRITE,
    EBS_CSI_ADDON,
    EBS_CSI_ADDON_VERSION,
    EBS_CSI_ADDON_VERSION_RULE,
    EBS_CSI_RESOLVE_ON_CREATE,
    EBS_CSI_RESOLVE_ON_UPDATE,
    VOLUME_KEY_GRANTS,
    VOLUME_KEY_USE,
)
from tests.aws.conftest import terraform
from tests.aws.test_aws_modules import aws_client, planned_changes, replan, write_provider
from tests.conftest import REPO, load

MODULE = REPO / "modules_out" / "aws" / "platform"
KUBERNETES_SIDE = re.compile(r"^(helm|kubernetes)_")
CLUSTER = "synthdata-test"
ISSUER = "oidc.eks.us-east-1.amazonaws.com/id/PLATFORMTEST"


def aws_part(module: Path, into: Path) -> dict[str, set[str]]:
    """Copy ``module``'s AWS part into ``into``: everything but the helm and kubernetes resources,
    the outputs that read them and the two providers' requirements. Returns what was left out."""
    shutil.copytree(module, into, ignore=shutil.ignore_patterns("examples", "README.md"))
    main = load(into, "main.tf.json")
    left_out = {"resources": set(), "outputs": set()}
    for block in ("resource", "data"):
        for kind in [k for k in main.get(block, {}) if KUBERNETES_SIDE.match(k)]:
            left_out["resources"] |= {f"{kind}.{name}" for name in main[block].pop(kind)}
    kept_types = set(main.get("resource", {})) | set(main.get("data", {}))
    assert all(kind.startswith("aws_") or kind == "terraform_data" for kind in kept_types), kept_types
    # Nothing the AWS part keeps reads the Kubernetes side.
    reads = re.compile(r"\b(?:helm|kubernetes)_[a-z0-9_]+\.[a-z0-9_]+")
    assert not reads.search(json.dumps(main)), reads.findall(json.dumps(main))
    outputs = load(into, "outputs.tf.json")
    for name in [n for n, body in outputs["output"].items() if reads.search(json.dumps(body["value"]))]:
        outputs["output"].pop(name)
        left_out["outputs"].add(name)
    versions = load(into, "versions.tf.json")
    providers = versions["terraform"]["required_providers"]
    assert set(providers) == {"aws", "helm", "kubernetes"}
    versions["terraform"]["required_providers"] = {"aws": providers["aws"]}
    for name, document in (("main.tf.json", main), ("outputs.tf.json", outputs), ("versions.tf.json", versions)):
        (into / name).write_text(json.dumps(document, indent=2))
    return left_out


def test_the_aws_part_leaves_out_only_the_kubernetes_side(tmp_path):
    left_out = aws_part(MODULE, tmp_path / "module")
    kinds = {address.split(".")[0] for address in left_out["resources"]}
    assert "helm_release" in kinds and "kubernetes_manifest" in kinds and "kubernetes_storage_class_v1" in kinds
    kept = load(tmp_path / "module", "main.tf.json")["resource"]
    assert {"aws_iam_role", "aws_iam_role_policy", "aws_iam_role_policy_attachment", "aws_kms_key", "aws_eks_addon"} <= set(kept)
    # The outputs left out are the ones about Kubernetes objects; every role, key and URL output stays.
    kept_outputs = set(load(tmp_path / "module", "outputs.tf.json")["output"])
    assert {"ebs_csi_role_arn", "cluster_autoscaler_role_arn", "prometheus_role_arn", "keda_role_arn", "volume_kms_key_arn", "remote_write_url"} <= kept_outputs


def test_the_aws_part_validates(terraform_env, tmp_path):
    aws_part(MODULE, tmp_path / "module")
    init = terraform(terraform_env, tmp_path / "module", "init", "-backend=false", "-input=false")
    assert init.returncode == 0, init.stderr
    validate = terraform(terraform_env, tmp_path / "module", "validate")
    assert validate.returncode == 0, validate.stderr


def write_root(root: Path, endpoint: str, **inputs: str) -> None:
    """A root like a platform team's against moto: the cluster's OIDC provider and the monitoring
    module's AMP workspace (stand-ins), then the module's AWS part."""
    aws_part(MODULE, root / "module")
    write_provider(root, endpoint)
    lines = "".join(f"  {name} = {value}\n" for name, value in inputs.items())
    (root / "main.tf").write_text(
        'resource "aws_iam_openid_connect_provider" "cluster" {\n'
        f'  url             = "https://{ISSUER}"\n'
        '  client_id_list  = ["sts.amazonaws.com"]\n'
        '  thumbprint_list = ["9e99a48a9960b14926bb7f3b02e22da2b0ab7280"]\n'
        "}\n\n"
        'resource "aws_prometheus_workspace" "monitoring" {\n  alias = "synthdata-test"\n}\n\n'
        'module "platform" {\n'
        '  source                  = "./module"\n'
        '  environment             = "test"\n'
        f'  cluster_name            = "{CLUSTER}"\n'
        "  oidc_provider_arn       = aws_iam_openid_connect_provider.cluster.arn\n"
        "  prometheus_workspace_id = aws_prometheus_workspace.monitoring.id\n"
        '  acme_email              = "platform-team@example.com" # read by the ClusterIssuer only\n'
        f"{lines}"
        "}\n\n"
        'output "platform" {\n  value = module.platform\n}\n\n'
        'output "workspace_arn" {\n  value = aws_prometheus_workspace.monitoring.arn\n}\n'
    )


# checkov's IAM checks, which read a policy only where it is a rendered document (in a plan, not in
# the module's jsonencode() text): each must pass on each role's inline policy.
IAM_CHECKS = {"CKV2_AWS_40", "CKV_AWS_286", "CKV_AWS_287", "CKV_AWS_288", "CKV_AWS_289", "CKV_AWS_290", "CKV_AWS_355"}
POLICIES = ("cluster_autoscaler_access", "ebs_csi_identity_access", "prometheus_access", "keda_access")


def check_policies_as_rendered(plan: Path) -> None:
    from tests.test_checkov import run_checkov_on_plan

    result = run_checkov_on_plan(plan)
    assert result["parsing_errors"] == []
    failed = [(c["check_id"], c["resource"]) for c in result["failed"] if c["resource"].startswith("module.platform.")]
    assert failed == [], failed
    passed = {(c["resource"].removeprefix("module.platform."), c["check_id"]) for c in result["passed"]}
    missing = {(f"aws_iam_role_policy.{name}", check) for name in POLICIES for check in IAM_CHECKS} - passed
    assert not missing, f"checkov did not read these policies: {sorted(missing)}"


def inline_policy(iam, role: str) -> list[dict]:
    return iam.get_role_policy(RoleName=role, PolicyName="synthdata-platform")["PolicyDocument"]["Statement"]


def trusted_subject(iam, role: str) -> str:
    (statement,) = iam.get_role(RoleName=role)["Role"]["AssumeRolePolicyDocument"]["Statement"]
    conditions = statement["Condition"]["StringEquals"]
    assert conditions[f"{ISSUER}:aud"] == "sts.amazonaws.com"
    return conditions[f"{ISSUER}:sub"]


@pytest.mark.slow
@pytest.mark.integration
def test_aws_part_applies_replans_clean_and_destroys(moto, terraform_env, tmp_path):
    # moto has no EKS add-on API (CreateAddon): the add-on is switched off here, planned in the next
    # test and checked against AWS's facts below. The volume key is let go on destroy.
    write_root(tmp_path, moto, enable_ebs_csi_addon="false", retain_data_on_destroy="false")
    for step in (("init", "-input=false"), ("apply", "-auto-approve", "-input=false")):
        done = terraform(terraform_env, tmp_path, *step)
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr
    outputs = json.loads(terraform(terraform_env, tmp_path, "output", "-json").stdout)
    platform, workspace_arn = outputs["platform"]["value"], outputs["workspace_arn"]["value"]

    iam = aws_client("iam", moto)
    roles = {name: platform[f"{name.replace('-', '_')}_role_arn"].rsplit("/", 1)[1] for name in ("ebs-csi", "cluster-autoscaler", "prometheus", "keda")}
    assert roles == {name: f"synthdata-test-{name}" for name in roles}
    assert trusted_subject(iam, roles["ebs-csi"]) == "system:serviceaccount:kube-system:ebs-csi-controller-sa"
    assert trusted_subject(iam, roles["cluster-autoscaler"]) == "system:serviceaccount:kube-system:cluster-autoscaler"
    assert trusted_subject(iam, roles["prometheus"]) == "system:serviceaccount:monitoring:synthdata-prometheus"
    assert trusted_subject(iam, roles["keda"]) == "system:serviceaccount:keda:keda-operator"

    # Prometheus may only write to the workspace, KEDA only read it.
    assert inline_policy(iam, roles["prometheus"]) == [{"Sid": "RemoteWrite", "Effect": "Allow", "Action": list(AMP_WRITE), "Resource": workspace_arn}]
    assert inline_policy(iam, roles["keda"]) == [{"Sid": "QueryMetrics", "Effect": "Allow", "Action": list(AMP_QUERY), "Resource": workspace_arn}]
    assert platform["remote_write_url"].endswith("/api/v1/remote_write")
    workspace_id = workspace_arn.rsplit("/", 1)[1]
    assert platform["prometheus_query_url"].endswith(f"/workspaces/{workspace_id}")  # KEDA appends /api/v1/query
    assert platform["region"] == "us-east-1"

    # Cluster Autoscaler changes only the groups tagged as this cluster's.
    statements = {s["Sid"]: s for s in inline_policy(iam, roles["cluster-autoscaler"])}
    assert statements["ScaleOwnedGroups"]["Condition"] == {"StringEquals": {f"aws:ResourceTag/k8s.io/cluster-autoscaler/{CLUSTER}": "owned"}}
    assert statements["ScaleOwnedGroups"]["Action"] == list(CLUSTER_AUTOSCALER_WRITE)
    assert statements["ReadNodeGroups"]["Resource"] == f"arn:aws:eks:us-east-1:123456789012:nodegroup/{CLUSTER}/*/*"

    # The EBS CSI driver: AWS's managed policy, and the volume key (grants only for AWS resources).
    attached = iam.list_attached_role_policies(RoleName=roles["ebs-csi"])["AttachedPolicies"]
    assert [p["PolicyArn"] for p in attached] == ["arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy"]
    key_arn = platform["volume_kms_key_arn"]
    statements = {s["Sid"]: s for s in inline_policy(iam, roles["ebs-csi"])}
    assert statements["GrantsForAttachedVolumes"]["Resource"] == key_arn == statements["EncryptVolumes"]["Resource"]
    assert statements["GrantsForAttachedVolumes"]["Condition"] == {"Bool": {"kms:GrantIsForAWSResource": "true"}}
    kms = aws_client("kms", moto)
    assert kms.get_key_rotation_status(KeyId=key_arn)["KeyRotationEnabled"] is True
    assert [a["AliasName"] for a in kms.list_aliases(KeyId=key_arn)["Aliases"]] == ["alias/synthdata/synthdata-test-volumes"]
    assert aws_client("eks", moto).list_clusters()["clusters"] == []  # nothing EKS-side was created

    plan = replan(terraform_env, tmp_path)
    assert planned_changes(plan) == {}
    check_policies_as_rendered(plan)
    destroy = terraform(terraform_env, tmp_path, "destroy", "-auto-approve", "-input=false")
    assert destroy.returncode == 0, destroy.stdout[-3000:] + destroy.stderr
    assert [r["RoleName"] for r in iam.list_roles()["Roles"]] == []
    assert kms.describe_key(KeyId=key_arn)["KeyMetadata"]["KeyState"] == "PendingDeletion"


BYO_KEY = "arn:aws:kms:us-east-1:123456789012:key/0b0b0b0b-1111-2222-3333-444444444444"
BOUNDARY = "arn:aws:iam::123456789012:policy/platform-boundary"


@pytest.mark.slow
@pytest.mark.integration
def test_the_addon_a_given_key_and_a_boundary_are_planned(moto, terraform_env, tmp_path):
    """With its default (on), the EBS CSI add-on is planned: the pinned version, running as the
    driver's role (moto has no add-on API: planned, not applied). A given volume key replaces the
    created one everywhere, and a permissions boundary reaches every role."""
    write_root(tmp_path, moto, volume_kms_key_arn=f'"{BYO_KEY}"', permissions_boundary_arn=f'"{BOUNDARY}"')
    for step in (("init", "-input=false"), ("plan", "-input=false", "-out=plan.bin")):
        done = terraform(terraform_env, tmp_path, *step)
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr
    planned = json.loads(terraform(terraform_env, tmp_path, "show", "-json", "plan.bin").stdout)
    changes = {c["address"]: c["change"]["after"] for c in planned["resource_changes"] if c["change"]["actions"] == ["create"]}
    addon = changes["module.platform.aws_eks_addon.ebs_csi_addon[0]"]
    assert (addon["addon_name"], addon["addon_version"], addon["cluster_name"]) == (EBS_CSI_ADDON, EBS_CSI_ADDON_VERSION, CLUSTER)
    assert (addon["resolve_conflicts_on_create"], addon["resolve_conflicts_on_update"]) == ("OVERWRITE", "PRESERVE")
    calls = planned["configuration"]["root_module"]["module_calls"]["platform"]["module"]["resources"]
    (config,) = [r for r in calls if r["address"] == "aws_eks_addon.ebs_csi_addon"]
    assert "aws_iam_role.ebs_csi_identity_role.arn" in config["expressions"]["service_account_role_arn"]["references"]
    # The given key: none created, and the driver's policy names it.
    assert not [a for a in changes if "aws_kms_" in a]
    policy = json.loads(changes["module.platform.aws_iam_role_policy.ebs_csi_identity_access"]["policy"])
    assert {s["Resource"] for s in policy["Statement"]} == {BYO_KEY}
    roles = [after for address, after in changes.items() if address.startswith("module.platform.aws_iam_role.")]
    assert len(roles) == 4 and all(role["permissions_boundary"] == BOUNDARY for role in roles)


def botocore_operations(service: str) -> set[str]:
    return set(botocore.session.get_session().get_service_model(service).operation_names)


def test_the_addon_and_policies_match_awss_published_facts():
    """What moto cannot check, against AWS's own API models (botocore): the add-on's conflict
    settings are values EKS accepts, and every IAM action the roles are given is an operation of
    its service (a misspelt action is silently useless in a policy)."""
    session = botocore.session.get_session()
    resolve = set(session.get_service_model("eks").shape_for("ResolveConflicts").enum)
    assert {EBS_CSI_RESOLVE_ON_CREATE, EBS_CSI_RESOLVE_ON_UPDATE} <= resolve
    assert re.fullmatch(EBS_CSI_ADDON_VERSION_RULE, EBS_CSI_ADDON_VERSION)
    actions = [*CLUSTER_AUTOSCALER_READ, *CLUSTER_AUTOSCALER_WRITE, "eks:DescribeNodegroup", *VOLUME_KEY_GRANTS]
    actions += [a for a in VOLUME_KEY_USE if "*" not in a]
    for action in actions:
        service, operation = action.split(":")
        model = {"autoscaling": "autoscaling", "ec2": "ec2", "eks": "eks", "kms": "kms"}[service]
        assert operation in botocore_operations(model), action
    for wildcard in [a for a in VOLUME_KEY_USE if "*" in a]:
        prefix = wildcard.split(":")[1].rstrip("*")
        assert any(op.startswith(prefix) for op in botocore_operations("kms")), wildcard
    # AMP's data-plane actions are not in botocore's model: they are the ones AWS's managed
    # policies for AMP grant (moto ships AWS's managed-policy list).
    from moto.iam.aws_managed_policies import aws_managed_policies_data

    published = json.loads(aws_managed_policies_data)

    def granted(policy: str) -> set[str]:
        statements = published[policy]["Document"]["Statement"]
        return {a for s in statements for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])}

    assert set(AMP_WRITE) <= granted("AmazonPrometheusRemoteWriteAccess")
    assert set(AMP_QUERY) <= granted("AmazonPrometheusQueryAccess")


def platform_root_json(tmp_path: Path, target) -> dict:
    """The production platform root for AWS, built as the deploy builds it."""
    from synthdata_infra.cdk import App
    from synthdata_infra.config import load_environment
    from synthdata_infra.deploy.roots import build_platform_root

    env = load_environment("production", REPO)
    app = App(outdir=str(tmp_path), skip_validation=True)
    build_platform_root(app, env, "aws", target)
    app.synth()
    return json.loads((tmp_path / "stacks" / "platform-aws-production" / "cdk.tf.json").read_text())


def test_the_platform_root_configures_the_cluster_providers_and_passes_every_required_input(tmp_path):
    from synthdata_infra.deploy.plan import Target

    root = platform_root_json(tmp_path, Target())
    assert set(root["provider"]) == {"aws", "kubernetes", "helm"}
    (helm,) = root["provider"]["helm"]
    assert helm["kubernetes"]["token"] == "${data.aws_eks_cluster_auth.cluster_auth.token}"
    assert {"aws", "kubernetes", "helm"} <= set(root["terraform"]["required_providers"])
    call = root["module"]["platform"]
    variables = load(MODULE, "variables.tf.json")["variable"]
    required = {name for name, body in variables.items() if "default" not in body}
    assert required <= set(call), required - set(call)
    assert set(call) - {"source", "//"} <= set(variables)
    assert call["cluster_name"] == "synthdata-production"
    assert call["oidc_provider_arn"] == "${data.aws_iam_openid_connect_provider.cluster_oidc.arn}"
    # The workspace of the monitoring root, applied before this one.
    assert call["prometheus_workspace_id"] == "${data.terraform_remote_state.monitoring.outputs.monitoring.workspace_id}"
    assert "monitoring" in root["data"]["terraform_remote_state"]
    assert "enable_ebs_csi_addon" not in call and "retain_data_on_destroy" not in call  # the module's defaults: on, keep


def test_a_local_platform_root_switches_off_what_the_local_api_lacks(tmp_path):
    from synthdata_infra.deploy.plan import Target

    root = platform_root_json(tmp_path, Target(local_endpoint="http://127.0.0.1:5000"))
    assert set(root["provider"]) == {"aws"}
    call = root["module"]["platform"]
    assert (call["enable_ebs_csi_addon"], call["retain_data_on_destroy"]) == (False, False)


def test_the_complete_example_calls_the_module_with_its_inputs(terraform_env):
    """examples/complete: formatted, the module as ../.., every required input given, every argument
    an input, and the outputs it reads exist (the helm and kubernetes providers it configures are not
    installable here, so it is checked as text like the other complete examples)."""
    from tests.synth.test_examples import SOURCE, check_arguments, module_blocks

    example = MODULE / "examples" / "complete"
    fmt = terraform(terraform_env, example, "fmt", "-check", "-diff")
    assert fmt.returncode == 0, fmt.stdout + fmt.stderr
    text = (example / "main.tf").read_text()
    (body,) = module_blocks(text).values()
    assert SOURCE.findall(body) == ["../.."]
    check_arguments(example, "platform", body, MODULE)
    for provider in ("aws", "kubernetes", "helm"):
        assert f'provider "{provider}"' in text
