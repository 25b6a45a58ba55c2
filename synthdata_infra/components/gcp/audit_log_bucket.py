"""AuditLogBucket: a Cloud Logging bucket holding the service's logs for the profile's audit
retention, encrypted with the module's key, and the sink that routes them there.

Routed: the generator's container logs, and Cloud Audit Logs entries of its workload identity,
its bucket and its secrets. Data Access audit logs are a project setting (IAM audit config),
which a per-service module must not change; the entries exist once the project enables them.
A deleted log bucket stays reserved for 7 days, so its name cannot be reused at once.
"""

from __future__ import annotations

from synthdata_infra.cdk import Construct, TerraformResource, google
from synthdata_infra.components.expressions import as_number, named
from synthdata_infra.components.gcp.data_bucket import bucket_in_use_name
from synthdata_infra.components.gcp.gcp_props import GcpProps

# GKE writes pod labels into log entries as "k8s-pod/<key>" with "." and "/" replaced by "_".
INSTANCE_POD_LABEL = 'labels."k8s-pod/app_kubernetes_io/instance"'


def audit_filter(props: GcpProps, *, workload_email: str) -> str:
    """The generator's container logs, and audit entries of its identity, bucket and secrets.

    The bucket (given or created) is named by its name expression rather than a reference: the
    filter only names it, and a reference makes scanners (checkov CKV2_GCP_4) take the bucket for
    the sink's destination."""
    inputs = props.inputs
    containers = " AND ".join(
        (
            'resource.type="k8s_container"',
            f'resource.labels.project_id="{inputs.project_id}"',
            f'resource.labels.cluster_name="{inputs.cluster_name}"',
            f'resource.labels.namespace_name="{inputs.namespace}"',
            f'{INSTANCE_POD_LABEL}="{inputs.service_name}"',
        )
    )
    audited = " OR ".join(
        (
            f'protoPayload.authenticationInfo.principalEmail="{workload_email}"',
            f'(resource.type="gcs_bucket" AND resource.labels.bucket_name="{bucket_in_use_name(props)}")',
            f'protoPayload.resourceName:"/secrets/{props.name()}-"',
        )
    )
    return f'({containers}) OR (logName:"/logs/cloudaudit.googleapis.com" AND ({audited}))'


class AuditLogBucket(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        props: GcpProps,
        *,
        kms_key_id: str,
        key_grant: TerraformResource,
        workload_email: str,
    ) -> None:
        super().__init__(scope, construct_id)
        inputs = props.inputs
        lb = google.logging_project_bucket_config
        self.log_bucket = named(
            lb.LoggingProjectBucketConfig(
                self,
                "log_bucket",
                project=inputs.project_id,
                location=props.project.region,
                bucket_id=props.name("audit"),
                description=f"Audit trail of {props.name()} ({props.config.data_type})",
                retention_days=as_number(inputs.log_retention_days),
                cmek_settings=lb.LoggingProjectBucketConfigCmekSettings(kms_key_name=kms_key_id),
                depends_on=[key_grant],
            )
        )
        self.sink = named(
            google.logging_project_sink.LoggingProjectSink(
                self,
                "sink",
                name=props.name("audit"),
                project=inputs.project_id,
                description=f"Routes the logs of {props.name()} into its audit log bucket",
                destination=f"logging.googleapis.com/{self.log_bucket.id}",
                filter=audit_filter(props, workload_email=workload_email),
                unique_writer_identity=True,
            )
        )
