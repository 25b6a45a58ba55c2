"""BucketBackup: AWS Backup of the bucket into a KMS-encrypted vault, when the profile asks for it."""

from __future__ import annotations

from synthdata_infra.catalog import aws_managed_policy_arn
from synthdata_infra.cdk import Construct, aws
from synthdata_infra.components.aws.aws_props import ServiceResourceProps, policy_document
from synthdata_infra.components.expressions import as_number, count_if, named, stable_id

BACKUP_POLICIES = ("AWSBackupServiceRolePolicyForS3Backup", "AWSBackupServiceRolePolicyForS3Restore")
DAILY_AT_5_UTC = "cron(0 5 ? * * *)"


class BucketBackupProps(ServiceResourceProps):
    enabled: str  # bool expression: nothing is created when false
    retention_days: str  # number expression: days a backup is kept
    bucket_arn: str
    kms_key_arn: str  # encrypts the vault
    partition: str  # of the AWS managed policies' ARNs
    permissions_boundary_arn: str  # string or null expression, set on the backup role


class BucketBackup(Construct):
    def __init__(self, scope: Construct, construct_id: str, props: BucketBackupProps) -> None:
        super().__init__(scope, construct_id)
        enabled = count_if(props.enabled)

        def counted(element):
            element.add_override("count", enabled)
            return f"{element.terraform_resource_type}.{stable_id(element)}[0]"

        vault = counted(
            named(aws.backup_vault.BackupVault(self, "vault", name=props.name, kms_key_arn=props.kms_key_arn, tags=props.tag_map))
        )
        plan = counted(
            named(
                aws.backup_plan.BackupPlan(
                    self,
                    "plan",
                    name=props.name,
                    rule=[
                        aws.backup_plan.BackupPlanRule(
                            rule_name="daily",
                            target_vault_name=f"${{{vault}.name}}",
                            schedule=DAILY_AT_5_UTC,
                            lifecycle=aws.backup_plan.BackupPlanRuleLifecycle(delete_after=as_number(props.retention_days)),
                        )
                    ],
                    tags=props.tag_map,
                )
            )
        )
        role = counted(
            named(
                aws.iam_role.IamRole(
                    self,
                    "role",
                    name=props.suffixed("backup"),
                    description=f"AWS Backup of {props.name}",
                    assume_role_policy=policy_document(
                        {"Effect": "Allow", "Principal": {"Service": "backup.amazonaws.com"}, "Action": "sts:AssumeRole"}
                    ),
                    permissions_boundary=props.permissions_boundary_arn,
                    tags=props.tag_map,
                )
            )
        )
        for policy in BACKUP_POLICIES:
            counted(
                named(
                    aws.iam_role_policy_attachment.IamRolePolicyAttachment(
                        self,
                        policy.lower(),
                        role=f"${{{role}.name}}",
                        policy_arn=aws_managed_policy_arn(policy, props.partition),
                    )
                )
            )
        counted(
            named(
                aws.backup_selection.BackupSelection(
                    self,
                    "selection",
                    name=props.name,
                    plan_id=f"${{{plan}.id}}",
                    iam_role_arn=f"${{{role}.arn}}",
                    resources=[props.bucket_arn],
                )
            )
        )
