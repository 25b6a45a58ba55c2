"""AuditLogGroup: CloudWatch log group for the service's audit log, KMS-encrypted."""

from __future__ import annotations

from synthdata_infra.cdk import Construct, aws
from synthdata_infra.components.aws.aws_props import AwsProps
from synthdata_infra.components.expressions import as_number, named


def audit_log_group_name(props: AwsProps) -> str:
    return f"/synthdata/{props.inputs.environment}/{props.inputs.service_name}/audit"


class AuditLogGroup(Construct):
    def __init__(self, scope: Construct, construct_id: str, props: AwsProps, *, kms_key_arn: str) -> None:
        super().__init__(scope, construct_id)
        self.log_group = named(
            aws.cloudwatch_log_group.CloudwatchLogGroup(
                self,
                "log_group",
                name=audit_log_group_name(props),
                retention_in_days=as_number(props.inputs.log_retention_days),
                kms_key_id=kms_key_arn,
                tags=props.tags,
            )
        )
