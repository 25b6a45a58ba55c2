"""WorkloadIdentity: an IRSA role only the service's Kubernetes service account can assume,
allowed to use its bucket, its secrets and its key, and nothing else."""

from __future__ import annotations

from synthdata_infra.cdk import Construct, TerraformLocal, aws
from synthdata_infra.components.aws.aws_props import ServiceResourceProps, policy_document
from synthdata_infra.components.expressions import inner, named, stable_id


class WorkloadIdentityProps(ServiceResourceProps):
    oidc_provider_arn: str  # the cluster's IAM OIDC provider
    namespace: str  # of the service account
    service_account_name: str
    permissions_boundary_arn: str  # string or null expression
    bucket_arn: str
    kms_key_arn: str
    secret_arns: tuple[str, ...]
    log_group_arn: str


class WorkloadIdentity(Construct):
    def __init__(self, scope: Construct, construct_id: str, props: WorkloadIdentityProps) -> None:
        super().__init__(scope, construct_id)
        # The OIDC issuer host and path: the provider ARN after "oidc-provider/". A local: both
        # condition keys read it, and an interpolation inside a longer policy string holds no quotes.
        issuer_local = named(
            TerraformLocal(
                self, "oidc_issuer", f'${{element(split("oidc-provider/", {inner(props.oidc_provider_arn)}), 1)}}'
            )
        )
        issuer = f"${{local.{stable_id(issuer_local)}}}"
        trust = policy_document(
            {
                "Effect": "Allow",
                "Principal": {"Federated": props.oidc_provider_arn},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {
                    "StringEquals": {
                        f"{issuer}:sub": f"system:serviceaccount:{props.namespace}:{props.service_account_name}",
                        f"{issuer}:aud": "sts.amazonaws.com",
                    }
                },
            }
        )
        self.role = named(
            aws.iam_role.IamRole(
                self,
                "role",
                name=props.suffixed("workload"),
                description=f"IRSA role of {props.name}",
                assume_role_policy=trust,
                max_session_duration=3600,
                permissions_boundary=props.permissions_boundary_arn,
                tags=props.tag_map,
            )
        )
        statements = [
            {"Sid": "ListBucket", "Effect": "Allow", "Action": ["s3:ListBucket", "s3:GetBucketLocation"], "Resource": props.bucket_arn},
            {
                "Sid": "ReadWriteObjects",
                "Effect": "Allow",
                "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"],
                "Resource": f"{props.bucket_arn}/*",
            },
            {
                "Sid": "UseKey",
                "Effect": "Allow",
                "Action": ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey"],
                "Resource": props.kms_key_arn,
            },
            {
                "Sid": "WriteAuditLog",
                "Effect": "Allow",
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": f"{props.log_group_arn}:*",
            },
        ]
        if props.secret_arns:
            statements.append(
                {
                    "Sid": "ReadSecrets",
                    "Effect": "Allow",
                    "Action": ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
                    "Resource": list(props.secret_arns),
                }
            )
        named(
            aws.iam_role_policy.IamRolePolicy(
                self, "access", name="synthdata-access", role=self.role.id, policy=policy_document(*statements)
            )
        )
