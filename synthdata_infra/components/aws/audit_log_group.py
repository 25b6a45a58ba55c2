"""AuditLogGroup: CloudWatch log group for the service's audit log, KMS-encrypted."""

from __future__ import annotations

from synthdata_infra.cdk import Construct, aws
from synthdata_infra.components.aws.aws_props import ServiceResourceProps
from synthdata_infra.components.expressions import as_number, named


def audit_log_group_name(service_name: str, environment: str) -> str:
    return f"/synthdata/{environment}/{service_name}/audit"


class AuditLogGroupProps(ServiceResourceProps):
    log_group_name: str  # audit_log_group_name(...): the key policy names it before the group exists
    retention_days: str  # number expression
    kms_key_arn: str


class AuditLogGroup(Construct):
    def __init__(self, scope: Construct, construct_id: str, props: AuditLogGroupProps) -> None:
        super().__init__(scope, construct_id)
        self.log_group = named(
            aws.cloudwatch_log_group.CloudwatchLogGroup(
                self,
                "log_group",
                name=props.log_group_name,
                retention_in_days=as_number(props.retention_days),
                kms_key_id=props.kms_key_arn,
                tags=props.tag_map,
            )
        )
