"""BucketAccessPolicy: TLS only, and CloudFront (through its origin access control) may read.
Only on the bucket the module creates: a bucket the caller gives keeps its owner's policy."""

from __future__ import annotations

from synthdata_infra.cdk import Construct, aws
from synthdata_infra.components.aws.aws_props import policy_document
from synthdata_infra.components.expressions import named


class BucketAccessPolicy(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        bucket_id: str,
        bucket_arn: str,
        distribution_arn: str | None,
        create: str,
    ) -> None:
        super().__init__(scope, construct_id)
        statements = [
            {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": [bucket_arn, f"{bucket_arn}/*"],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }
        ]
        if distribution_arn:
            statements.append(
                {
                    "Sid": "CloudFrontReadsObjects",
                    "Effect": "Allow",
                    "Principal": {"Service": "cloudfront.amazonaws.com"},
                    "Action": "s3:GetObject",
                    "Resource": f"{bucket_arn}/*",
                    "Condition": {"StringEquals": {"AWS:SourceArn": distribution_arn}},
                }
            )
        policy = named(aws.s3_bucket_policy.S3BucketPolicy(self, "policy", bucket=bucket_id, policy=policy_document(*statements)))
        policy.add_override("count", create)
