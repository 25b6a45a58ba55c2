"""DataBucket: the S3 bucket for generated data, private, versioned and KMS-encrypted; or, with
``bucket_name``, an existing bucket whose settings stay with its owner (nothing is created)."""

from __future__ import annotations

from synthdata_infra.cdk import Construct, TerraformLocal, TerraformResource, aws
from synthdata_infra.components.aws.aws_props import ServiceResourceProps
from synthdata_infra.components.expressions import as_any, as_number, inner, named, stable_id

ABORT_MULTIPART_DAYS = 7
NONCURRENT_EXPIRY_DAYS = 90
TIERING_AFTER_DAYS = 30


class DataBucketProps(ServiceResourceProps):
    account_id: str  # ends the created bucket's name: bucket names are global
    kms_key_arn: str  # default encryption
    given_bucket_name: str  # string or null expression: an existing bucket instead of a created one
    force_destroy: str  # bool expression
    noncurrent_version_days: str  # number expression
    tiering_after_days: str  # number expression


class DataBucket(Construct):
    def __init__(self, scope: Construct, construct_id: str, props: DataBucketProps) -> None:
        super().__init__(scope, construct_id)
        self.bucket = named(
            aws.s3_bucket.S3Bucket(
                self,
                "bucket",
                bucket=f"{props.name}-{props.account_id}",
                force_destroy=as_any(props.force_destroy),
                tags=props.tag_map,
            )
        )
        created = f"aws_s3_bucket.{stable_id(self.bucket)}"
        # The created bucket's id, for its settings (and its policy): they exist only with it.
        self.created_id = bucket_id = f"${{{created}[0].id}}"
        named(
            aws.s3_bucket_ownership_controls.S3BucketOwnershipControls(
                self,
                "ownership",
                bucket=bucket_id,
                rule=aws.s3_bucket_ownership_controls.S3BucketOwnershipControlsRule(object_ownership="BucketOwnerEnforced"),
            )
        )
        named(
            aws.s3_bucket_public_access_block.S3BucketPublicAccessBlock(
                self,
                "public_access",
                bucket=bucket_id,
                block_public_acls=True,
                block_public_policy=True,
                ignore_public_acls=True,
                restrict_public_buckets=True,
            )
        )
        named(
            aws.s3_bucket_versioning.S3BucketVersioningA(
                self,
                "versioning",
                bucket=bucket_id,
                versioning_configuration=aws.s3_bucket_versioning.S3BucketVersioningVersioningConfiguration(status="Enabled"),
            )
        )
        sse = aws.s3_bucket_server_side_encryption_configuration
        named(
            sse.S3BucketServerSideEncryptionConfigurationA(
                self,
                "encryption",
                bucket=bucket_id,
                rule=[
                    sse.S3BucketServerSideEncryptionConfigurationRuleA(
                        bucket_key_enabled=True,
                        apply_server_side_encryption_by_default=sse.S3BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultA(
                            sse_algorithm="aws:kms", kms_master_key_id=props.kms_key_arn
                        ),
                    )
                ],
            )
        )
        lc = aws.s3_bucket_lifecycle_configuration
        everything = lc.S3BucketLifecycleConfigurationRuleFilter(prefix="")
        named(
            lc.S3BucketLifecycleConfiguration(
                self,
                "lifecycle",
                bucket=bucket_id,
                rule=[
                    lc.S3BucketLifecycleConfigurationRule(
                        id="abort-incomplete-multipart-uploads",
                        status="Enabled",
                        filter=[everything],
                        abort_incomplete_multipart_upload=[
                            lc.S3BucketLifecycleConfigurationRuleAbortIncompleteMultipartUpload(
                                days_after_initiation=ABORT_MULTIPART_DAYS
                            )
                        ],
                    ),
                    lc.S3BucketLifecycleConfigurationRule(
                        id="expire-noncurrent-versions",
                        status="Enabled",
                        filter=[everything],
                        noncurrent_version_expiration=[
                            lc.S3BucketLifecycleConfigurationRuleNoncurrentVersionExpiration(noncurrent_days=as_number(props.noncurrent_version_days))
                        ],
                    ),
                    # Generated data is read often at first, rarely later: let S3 move it.
                    lc.S3BucketLifecycleConfigurationRule(
                        id="intelligent-tiering",
                        status="Enabled",
                        filter=[everything],
                        transition=[
                            lc.S3BucketLifecycleConfigurationRuleTransition(
                                days=as_number(props.tiering_after_days), storage_class="INTELLIGENT_TIERING"
                            )
                        ],
                    ),
                ],
            )
        )
        # One instance of the bucket and of each of its settings, unless the caller gives a bucket.
        given_name = inner(props.given_bucket_name)
        self.create = f"${{{given_name} == null ? 1 : 0}}"
        for node in self.node.find_all():
            if isinstance(node, TerraformResource):
                node.add_override("count", self.create)
        given = named(aws.data_aws_s3_bucket.DataAwsS3Bucket(self, "given", bucket=props.given_bucket_name))
        given.add_override("count", f"${{{given_name} == null ? 0 : 1}}")
        given_ref = f"data.aws_s3_bucket.{stable_id(given)}"

        def either(attribute: str) -> str:
            return f"${{one(concat({created}[*].{attribute}, {given_ref}[*].{attribute}))}}"

        # What everything else uses: the bucket given (read, so a wrong name fails at plan) or created.
        self.name = f"${{local.{stable_id(named(TerraformLocal(self, 'name', either('bucket'))))}}}"
        self.arn = f"${{local.{stable_id(named(TerraformLocal(self, 'arn', either('arn'))))}}}"
        self.regional_domain_name = either("bucket_regional_domain_name")
