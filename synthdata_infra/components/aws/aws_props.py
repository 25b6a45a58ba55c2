"""What the AWS cloud-layer components share: the module's inputs, where it runs, and the two
props every component has (its name and its tags). Each component declares its own
``<Construct>Props`` with only what it uses."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from synthdata_infra.components.expressions import as_map, hcl_value, inner


class AwsInputs(BaseModel):
    """The module's variables, as Terraform expressions; each comment names the type.

    Inputs a data type does not use (the disk IOPS ones on tiers without provisioned IOPS) are
    empty strings.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    retain_data_on_destroy: str  # bool
    service_name: str  # string
    environment: str  # string
    cluster_name: str  # string
    subnet_ids: str  # list(string)
    oidc_provider_arn: str  # string
    namespace: str  # string
    tags: str  # map(string)
    node_instance_types: str  # list(string)
    node_min_size: str  # number
    gpu_model: str  # string: GPU model of the nodes (GPU profiles only; labels, GCP accelerator)
    node_desired_size: str  # number
    node_max_size: str  # number
    node_disk_size_gib: str  # number
    node_disk_iops: str  # number or null: null derives it from the disk size
    node_disk_max_iops: str  # number: what the instance type and the volume type allow
    node_role_arn: str  # string or null
    node_capacity_type: str  # string: ON_DEMAND or SPOT
    node_ami_type: str  # string: an EKS AMI type
    permissions_boundary_arn: str  # string or null: set on every IAM role the module creates
    bucket_name: str  # string or null: an existing bucket instead of the one the module creates
    kms_key_arn: str  # string or null: an existing key instead of the one the module creates
    noncurrent_version_days: str  # number: days a replaced or deleted object version is kept
    tiering_after_days: str  # number: days before objects move to S3 Intelligent-Tiering
    force_destroy: str  # bool
    enable_backup: str  # bool
    backup_retention_days: str  # number
    log_retention_days: str  # number
    secret_recovery_window_days: str  # number
    enable_cdn: str  # bool: CloudFront in front of the bucket
    cdn_price_class: str  # string
    cdn_certificate_arn: str  # string or null
    cdn_aliases: str  # list(string)
    cdn_web_acl_id: str  # string or null


class AccountContext(BaseModel):
    """Where the module runs, read once from data sources (expressions)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    partition: str
    account_id: str
    region: str

    def arn(self, service: str, resource: str, *, region: bool = True) -> str:
        region_part = self.region if region else ""
        return f"arn:{self.partition}:{service}:{region_part}:{self.account_id}:{resource}"


class ServiceResourceProps(BaseModel):
    """What every AWS component of a service takes."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str  # <service>-<environment> (expressions): unique per service and environment in an account
    tags: str  # map(string) expression: the caller's tags plus service, environment and data type

    @property
    def tag_map(self) -> Any:
        """``tags`` where an attribute is typed as a mapping."""
        return as_map(self.tags)

    def suffixed(self, suffix: str) -> str:
        """``<service>-<environment>-<suffix>``."""
        return f"{self.name}-{suffix}"


def policy_document(*statements: dict[str, Any], when: tuple[tuple[str, dict[str, Any]], ...] = ()) -> str:
    """An IAM policy as a ``jsonencode({...})`` expression: the module and its plans show the policy
    as Terraform, and the references inside it resolve at plan time.

    ``when`` adds statements that hold only while a bool expression does (``(condition, statement)``):
    the policy's statement list then is ``concat([...], condition ? [statement] : [])``."""
    if not when:
        return "${jsonencode(" + hcl_value({"Version": "2012-10-17", "Statement": list(statements)}) + ")}"
    listed = hcl_value(list(statements))
    for condition, statement in when:
        listed = f"concat({listed}, {inner(condition)} ? [{hcl_value(statement)}] : [])"
    return '${jsonencode({"Version" = "2012-10-17", "Statement" = ' + listed + "})}"
