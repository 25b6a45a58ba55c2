"""Props shared by the AWS cloud-layer components."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from synthdata_infra.catalog import Placement
from synthdata_infra.components.expressions import as_map, hcl_value
from synthdata_infra.config.models import ServiceConfig


class AwsInputs(BaseModel):
    """Terraform expressions for what a caller decides; each comment names the type."""

    model_config = ConfigDict(extra="forbid", frozen=True)

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
    cdn_price_class: str  # string
    cdn_certificate_arn: str  # string or null
    cdn_aliases: str  # list(string)
    cdn_web_acl_id: str  # string or null


class AccountContext(BaseModel):
    """Expressions the module computes once: where it runs (data sources) and its tags (a local)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    partition: str
    account_id: str
    region: str
    tags: str


class AwsProps(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)

    config: ServiceConfig
    placement: Placement
    inputs: AwsInputs
    account: AccountContext

    @property
    def tags(self) -> Any:
        """Tags of every resource: the caller's plus service, environment and data type."""
        return as_map(self.account.tags)

    def name(self, suffix: str = "") -> str:
        """``<service>-<environment>[-suffix]``: unique per service and environment in an account."""
        base = f"{self.inputs.service_name}-{self.inputs.environment}"
        return f"{base}-{suffix}" if suffix else base

    def arn(self, service: str, resource: str, *, region: bool = True) -> str:
        region_part = self.account.region if region else ""
        return f"arn:{self.account.partition}:{service}:{region_part}:{self.account.account_id}:{resource}"


def policy_document(*statements: dict[str, Any]) -> str:
    """An IAM policy as a ``jsonencode({...})`` expression: the module and its plans show the policy
    as Terraform, and the references inside it resolve at plan time."""
    return "${jsonencode(" + hcl_value({"Version": "2012-10-17", "Statement": list(statements)}) + ")}"
