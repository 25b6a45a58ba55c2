"""DataBucket: the GCS bucket for generated data: the caller's (``bucket_name``), or one created
here, private, versioned and encrypted with the module's key.

A given bucket's settings (encryption, versioning, lifecycle, public access prevention) stay
with its owner; the module only grants on it, and never destroys it.
"""

from __future__ import annotations

from typing import Any

from synthdata_infra.cdk import Construct, TerraformLocal, google
from synthdata_infra.components.expressions import as_any, inner, named, stable_id
from synthdata_infra.components.gcp.gcp_props import LabelledProps

ABORT_MULTIPART_DAYS = 7
NONCURRENT_EXPIRY_DAYS = 90
# Generated data is read often at first and rarely later. Only where no CDN serves it: a cache
# fill from Nearline or Coldline pays a retrieval fee on every miss.
STORAGE_CLASS_TRANSITIONS = {"NEARLINE": 30, "COLDLINE": 90}


class DataBucketProps(LabelledProps):
    region: str
    project_number: str  # ends the created bucket's name: bucket names are global
    given_bucket_name: str  # string or null expression: an existing bucket instead of a created one
    kms_key_id: str  # default encryption
    key_grant: Any  # the storage service agent's grant on the key: the bucket is created after it
    force_destroy: str  # bool expression
    cdn_enabled: bool  # no storage class transitions: a cache fill from Nearline or Coldline pays on every miss


class DataBucket(Construct):
    def __init__(self, scope: Construct, construct_id: str, props: DataBucketProps) -> None:
        super().__init__(scope, construct_id)
        created_name = f"{props.name}-{props.project_number}"
        # The name of the bucket in use (given or created), by its name alone: for log filters,
        # which name the bucket without depending on it.
        self.name_without_reference = f'${{coalesce({inner(props.given_bucket_name)}, "{created_name}")}}'
        b = google.storage_bucket
        rules = [
            b.StorageBucketLifecycleRule(
                action=b.StorageBucketLifecycleRuleAction(type="AbortIncompleteMultipartUpload"),
                condition=b.StorageBucketLifecycleRuleCondition(age=ABORT_MULTIPART_DAYS),
            ),
            b.StorageBucketLifecycleRule(
                action=b.StorageBucketLifecycleRuleAction(type="Delete"),
                condition=b.StorageBucketLifecycleRuleCondition(
                    days_since_noncurrent_time=NONCURRENT_EXPIRY_DAYS, with_state="ARCHIVED"
                ),
            ),
        ]
        if not props.cdn_enabled:
            previous = ["STANDARD"]
            for storage_class, age in STORAGE_CLASS_TRANSITIONS.items():
                rules.append(
                    b.StorageBucketLifecycleRule(
                        action=b.StorageBucketLifecycleRuleAction(type="SetStorageClass", storage_class=storage_class),
                        condition=b.StorageBucketLifecycleRuleCondition(
                            age=age, matches_storage_class=list(previous), with_state="LIVE"
                        ),
                    )
                )
                previous.append(storage_class)
        self.bucket = named(
            b.StorageBucket(
                self,
                "bucket",
                name=created_name,
                project=props.project_id,
                location=props.region,
                storage_class="STANDARD",
                uniform_bucket_level_access=True,
                public_access_prevention="enforced",
                versioning=b.StorageBucketVersioning(enabled=True),
                encryption=b.StorageBucketEncryption(default_kms_key_name=props.kms_key_id),
                lifecycle_rule=rules,
                force_destroy=as_any(props.force_destroy),
                labels=props.label_map,
                # The storage service agent must hold the key before the bucket names it.
                depends_on=[props.key_grant],
            )
        )
        self.bucket.add_override("count", f"${{{inner(props.given_bucket_name)} == null ? 1 : 0}}")
        # The bucket everything uses: the caller's (bring your own) or the one created here.
        created = f"one(google_storage_bucket.{stable_id(self.bucket)}[*].name)"
        in_use = named(TerraformLocal(self, "bucket_name", f"${{coalesce({inner(props.given_bucket_name)}, {created})}}"))
        self.name = f"${{local.{stable_id(in_use)}}}"
