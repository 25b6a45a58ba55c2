"""The AWS modules against AWS's published facts, independent of the code under test.

moto's applies switch some things off (AWS Backup selections), and moto accepts names AWS would
refuse; so every managed-policy ARN, AMI type and instance type the modules use is checked here
against AWS's own lists: the managed-policy list moto ships (IAM ListPolicies --scope AWS) and
the EKS and EC2 API models botocore ships (the enums AWS's API validates against)."""

from __future__ import annotations

import json
import re

import botocore.session
import pytest
import yaml

from tests.conftest import REPO, TYPES, strings

AWS_MODULES = sorted(path.parent for path in (REPO / "modules_out" / "aws").glob("*/main.tf.json"))
# The modules that create IAM roles (each attaches AWS managed policies); the dashboards import creates none.
ROLE_MODULES = [m for m in AWS_MODULES if "aws_iam_role" in json.loads((m / "main.tf.json").read_text()).get("resource", {})]
MANAGED_ARN = re.compile(r"^arn:[^:]+:iam::aws:policy(/(?:[\w+=,.@-]+/)*)([\w+=,.@-]+)$")


def aws_published_policies() -> dict[str, str]:
    """name -> path of every AWS managed policy."""
    from moto.iam.aws_managed_policies import aws_managed_policies_data

    return {name: body["Path"] for name, body in json.loads(aws_managed_policies_data).items()}


def botocore_enum(service: str, shape: str) -> set[str]:
    return set(botocore.session.get_session().get_service_model(service).shape_for(shape).enum)


@pytest.mark.parametrize("module", ROLE_MODULES, ids=lambda p: p.name)
def test_every_managed_policy_arn_exists_where_aws_publishes_it(module):
    published = aws_published_policies()
    arns = [s for s in strings(json.loads((module / "main.tf.json").read_text())) if ":iam::aws:policy" in s]
    assert arns, f"{module.name}: no managed policy attached"
    for arn in arns:
        match = MANAGED_ARN.match(re.sub(r"\$\{[^}]*\}", "aws", arn))  # the partition may be an expression
        assert match, arn
        path, name = match.groups()
        assert name in published, f"{module.name}: {name} is not an AWS managed policy"
        assert path == published[name], f"{module.name}: {name} is published at {published[name]}, the module uses {path}"


def test_the_catalogs_managed_policies_are_where_aws_publishes_them():
    catalog = yaml.safe_load((REPO / "synthdata_infra" / "catalog" / "data" / "aws_managed_policies.yaml").read_text())
    published = aws_published_policies()
    assert {name: published.get(name) for name in catalog["policies"]} == catalog["policies"]


@pytest.mark.parametrize("module", [m for m in AWS_MODULES if m.name in TYPES], ids=lambda p: p.name)
def test_ami_type_and_instance_types_are_ones_aws_accepts(module):
    main = json.loads((module / "main.tf.json").read_text())["resource"]
    variables = json.loads((module / "variables.tf.json").read_text())["variable"]
    (group,) = main["aws_eks_node_group"].values()
    ami = variables["node_ami_type"]["default"] if group["ami_type"] == "${var.node_ami_type}" else group["ami_type"]
    assert ami in botocore_enum("eks", "AMITypes")
    allowed = re.search(r"contains\((\[.*?\]), var\.node_ami_type\)", variables["node_ami_type"]["validation"][0]["condition"]).group(1)
    assert set(json.loads(allowed)) <= botocore_enum("eks", "AMITypes")  # every AMI type the validation lets through
    capacity = variables["node_capacity_type"]["default"] if "node_capacity_type" in variables else group["capacity_type"]
    assert capacity in botocore_enum("eks", "CapacityTypes")
    assert set(variables["node_instance_types"]["default"]) <= botocore_enum("ec2", "InstanceType")


def test_every_catalog_instance_type_exists():
    catalog = yaml.safe_load((REPO / "synthdata_infra" / "catalog" / "data" / "aws.yaml").read_text())
    names = {row["name"] for row in catalog["instance_types"]}
    assert names - botocore_enum("ec2", "InstanceType") == set()
