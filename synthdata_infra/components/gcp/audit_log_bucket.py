"""AuditLogBucket: a Cloud Logging bucket holding the service's logs for the profile's audit
retention, encrypted with the module's key, and the sink that routes them there.

Routed: the generator's container logs, and Cloud Audit Logs entries of its workload identity,
its bucket and its secrets. Data Access audit logs are a project setting (IAM audit config),
which a per-service module must not change; the entries exist once the project enables them.
A deleted log bucket stays reserved for 7 days, so its name cannot be reused at once.
"""

from __future__ import annotations

from typing import Any

from synthdata_infra.cdk import Construct, google
from synthdata_infra.components.expressions import as_number, named
from synthdata_infra.components.gcp.gcp_props import GcpResourceProps

# GKE writes pod labels into log entries as "k8s-pod/<key>" with "." and "/" replaced by "_".
INSTANCE_POD_LABEL = 'labels."k8s-pod/app_kubernetes_io/instance"'


class AuditLogBucketProps(GcpResourceProps):
    region: str
    data_type: str  # in the log bucket's description
    retention_days: str  # number expression
    kms_key_id: str
    key_grant: Any  # the logging service agent's grant on the key: the log bucket is created after it
    # What the sink routes:
    cluster_name: str
    namespace: str
    service_name: str  # the generator pods' app.kubernetes.io/instance label
    workload_email: str  # the workload's Google service account
    bucket_name_without_reference: str  # the data bucket's name (see audit_filter)


def audit_filter(props: AuditLogBucketProps) -> str:
    """The generator's container logs, and audit entries of its identity, bucket and secrets.

    The bucket (given or created) is named by its name expression rather than a reference: the
    filter only names it, and a reference makes scanners (checkov CKV2_GCP_4) take the bucket for
    the sink's destination."""
    containers = " AND ".join(
        (
            'resource.type="k8s_container"',
            f'resource.labels.project_id="{props.project_id}"',
            f'resource.labels.cluster_name="{props.cluster_name}"',
            f'resource.labels.namespace_name="{props.namespace}"',
            f'{INSTANCE_POD_LABEL}="{props.service_name}"',
        )
    )
    audited = " OR ".join(
        (
            f'protoPayload.authenticationInfo.principalEmail="{props.workload_email}"',
            f'(resource.type="gcs_bucket" AND resource.labels.bucket_name="{props.bucket_name_without_reference}")',
            f'protoPayload.resourceName:"/secrets/{props.name}-"',
        )
    )
    return f'({containers}) OR (logName:"/logs/cloudaudit.googleapis.com" AND ({audited}))'


class AuditLogBucket(Construct):
    def __init__(self, scope: Construct, construct_id: str, props: AuditLogBucketProps) -> None:
        super().__init__(scope, construct_id)
        lb = google.logging_project_bucket_config
        self.log_bucket = named(
            lb.LoggingProjectBucketConfig(
                self,
                "log_bucket",
                project=props.project_id,
                location=props.region,
                bucket_id=props.suffixed("audit"),
                description=f"Audit trail of {props.name} ({props.data_type})",
                retention_days=as_number(props.retention_days),
                cmek_settings=lb.LoggingProjectBucketConfigCmekSettings(kms_key_name=props.kms_key_id),
                depends_on=[props.key_grant],
            )
        )
        self.sink = named(
            google.logging_project_sink.LoggingProjectSink(
                self,
                "sink",
                name=props.suffixed("audit"),
                project=props.project_id,
                description=f"Routes the logs of {props.name} into its audit log bucket",
                destination=f"logging.googleapis.com/{self.log_bucket.id}",
                filter=audit_filter(props),
                unique_writer_identity=True,
            )
        )
