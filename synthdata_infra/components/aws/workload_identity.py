"""WorkloadIdentity: an IRSA role only the service's Kubernetes service account can assume,
allowed to use its bucket, its secrets and its key, and nothing else."""

from __future__ import annotations

from synthdata_infra.cdk import Construct, TerraformLocal, aws
from synthdata_infra.components.aws.aws_props import AwsProps, policy_document
from synthdata_infra.components.expressions import inner, named, stable_id


class WorkloadIdentity(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        props: AwsProps,
        *,
        bucket_arn: str,
        kms_key_arn: str,
        secret_arns: list[str],
        log_group_arn: str,
    ) -> None:
        super().__init__(scope, construct_id)
        inputs = props.inputs
        # The OIDC issuer host and path: the provider ARN after "oidc-provider/". A local: both
        # condition keys read it, and an interpolation inside a longer policy string holds no quotes.
        issuer_local = named(
            TerraformLocal(
                self, "oidc_issuer", f'${{element(split("oidc-provider/", {inner(inputs.oidc_provider_arn)}), 1)}}'
            )
        )
        issuer = f"${{local.{stable_id(issuer_local)}}}"
        trust = policy_document(
            {
                "Effect": "Allow",
                "Principal": {"Federated": inputs.oidc_provider_arn},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {
                    "StringEquals": {
                        f"{issuer}:sub": f"system:serviceaccount:{inputs.namespace}:{inputs.service_name}",
                        f"{issuer}:aud": "sts.amazonaws.com",
                    }
                },
            }
        )
        self.role = named(
            aws.iam_role.IamRole(
                self,
                "role",
                name=props.name("workload"),
                description=f"IRSA role of {props.name()}",
                assume_role_policy=trust,
                max_session_duration=3600,
                permissions_boundary=props.inputs.permissions_boundary_arn,
                tags=props.tags,
            )
        )
        statements = [
            {"Sid": "ListBucket", "Effect": "Allow", "Action": ["s3:ListBucket", "s3:GetBucketLocation"], "Resource": bucket_arn},
            {
                "Sid": "ReadWriteObjects",
                "Effect": "Allow",
                "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"],
                "Resource": f"{bucket_arn}/*",
            },
            {
                "Sid": "UseKey",
                "Effect": "Allow",
                "Action": ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey"],
                "Resource": kms_key_arn,
            },
            {
                "Sid": "WriteAuditLog",
                "Effect": "Allow",
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": f"{log_group_arn}:*",
            },
        ]
        if secret_arns:
            statements.append(
                {
                    "Sid": "ReadSecrets",
                    "Effect": "Allow",
                    "Action": ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
                    "Resource": secret_arns,
                }
            )
        named(
            aws.iam_role_policy.IamRolePolicy(
                self, "access", name="synthdata-access", role=self.role.id, policy=policy_document(*statements)
            )
        )
