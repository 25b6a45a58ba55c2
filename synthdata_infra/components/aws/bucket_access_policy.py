"""BucketAccessPolicy: TLS only, and CloudFront (through its origin access control) may read.
Only on the bucket the module creates: a bucket the caller gives keeps its owner's policy."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from synthdata_infra.cdk import Construct, aws
from synthdata_infra.components.aws.aws_props import policy_document
from synthdata_infra.components.expressions import named


class BucketAccessPolicyProps(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    bucket_id: str  # of the created bucket
    bucket_arn: str
    cdn_enabled: str  # bool expression: the CloudFront distribution may read objects
    distribution_arn: str  # string expression: the distribution's ARN (read only while cdn_enabled holds)
    create: str  # count expression: the created bucket's


class BucketAccessPolicy(Construct):
    def __init__(self, scope: Construct, construct_id: str, props: BucketAccessPolicyProps) -> None:
        super().__init__(scope, construct_id)
        bucket_arn = props.bucket_arn
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
        cloudfront = {
            "Sid": "CloudFrontReadsObjects",
            "Effect": "Allow",
            "Principal": {"Service": "cloudfront.amazonaws.com"},
            "Action": "s3:GetObject",
            "Resource": f"{bucket_arn}/*",
            "Condition": {"StringEquals": {"AWS:SourceArn": props.distribution_arn}},
        }
        policy = named(aws.s3_bucket_policy.S3BucketPolicy(self, "policy", bucket=props.bucket_id, policy=policy_document(*statements, when=((props.cdn_enabled, cloudfront),))))
        policy.add_override("count", props.create)
