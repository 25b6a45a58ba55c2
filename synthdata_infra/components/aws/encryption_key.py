"""EncryptionKey: the customer-managed KMS key for the bucket, secrets, logs and node disks."""

from __future__ import annotations

from synthdata_infra.cdk import Construct, TerraformLocal, aws
from synthdata_infra.components.aws.aws_props import AccountContext, ServiceResourceProps, policy_document
from synthdata_infra.components.expressions import inner, named, stable_id

KEY_USE = ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"]


class EncryptionKeyProps(ServiceResourceProps):
    account: AccountContext
    data_type: str  # in the key's description
    audit_log_group_name: str  # CloudWatch Logs may use the key for this group only
    cdn_enabled: str  # bool expression: CloudFront may decrypt objects
    given_key_arn: str  # string or null expression: an existing key instead of a created one


class EncryptionKey(Construct):
    def __init__(self, scope: Construct, construct_id: str, props: EncryptionKeyProps) -> None:
        super().__init__(scope, construct_id)
        account = props.account
        statements = [
            {
                "Sid": "AccountAdministration",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:{account.partition}:iam::{account.account_id}:root"},
                "Action": "kms:*",
                "Resource": "*",
            },
            {
                "Sid": "AuditLogGroup",
                "Effect": "Allow",
                "Principal": {"Service": f"logs.{account.region}.amazonaws.com"},
                "Action": KEY_USE,
                "Resource": "*",
                "Condition": {
                    "ArnEquals": {"kms:EncryptionContext:aws:logs:arn": account.arn("logs", f"log-group:{props.audit_log_group_name}")}
                },
            },
            # Node root volumes: EC2 Auto Scaling launches them on EKS's behalf. The same shape as
            # AWS's own aws/ebs key policy: any principal of this account, only through EC2.
            {
                "Sid": "NodeVolumesThroughEc2",
                "Effect": "Allow",
                "Principal": {"AWS": "*"},
                "Action": [*KEY_USE, "kms:CreateGrant"],
                "Resource": "*",
                "Condition": {
                    "StringEquals": {
                        "kms:CallerAccount": account.account_id,
                        "kms:ViaService": f"ec2.{account.region}.amazonaws.com",
                    }
                },
            },
        ]
        cloudfront = {
            "Sid": "CloudFrontReadsObjects",
            "Effect": "Allow",
            "Principal": {"Service": "cloudfront.amazonaws.com"},
            "Action": "kms:Decrypt",
            "Resource": "*",
            "Condition": {
                "StringLike": {
                    "AWS:SourceArn": f"arn:{account.partition}:cloudfront::{account.account_id}:distribution/*"
                }
            },
        }
        k = aws.kms_key
        self.key = named(
            k.KmsKey(
                self,
                "key",
                description=f"synthdata {props.data_type}: {props.name}",
                enable_key_rotation=True,
                deletion_window_in_days=30,
                policy=policy_document(*statements, when=((props.cdn_enabled, cloudfront),)),
                tags=props.tag_map,
            )
        )
        created = f"aws_kms_key.{stable_id(self.key)}"
        create = f"${{{inner(props.given_key_arn)} == null ? 1 : 0}}"
        self.key.add_override("count", create)
        alias = named(aws.kms_alias.KmsAlias(self, "alias", name=f"alias/synthdata/{props.name}", target_key_id=f"${{{created}[0].key_id}}"))
        alias.add_override("count", create)
        # The key everything uses: the caller's (bring your own) or the one created here.
        self.arn = f"${{local.{stable_id(named(TerraformLocal(self, 'arn', f'${{coalesce({inner(props.given_key_arn)}, one({created}[*].arn))}}')))}}}"
