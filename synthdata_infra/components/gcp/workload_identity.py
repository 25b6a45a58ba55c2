"""WorkloadIdentity: a Google service account only the service's Kubernetes service account can
act as (GKE Workload Identity), allowed to use its bucket, its secrets and its key, and nothing else.

Every grant is on the resource itself, never on the project.
"""

from __future__ import annotations

from synthdata_infra.cdk import Construct, google
from synthdata_infra.components.expressions import named
from synthdata_infra.components.gcp.gcp_props import ENCRYPTER_DECRYPTER, GcpResourceProps


def workload_identity_member(project_id: str, namespace: str, service_account_name: str) -> str:
    """A Kubernetes service account as an IAM member of the project's workload identity pool."""
    return f"serviceAccount:{project_id}.svc.id.goog[{namespace}/{service_account_name}]"


class WorkloadIdentityProps(GcpResourceProps):
    short_name: str  # prefix of the Google service account's id (30 characters at most)
    data_type: str  # in the service account's description
    namespace: str  # of the Kubernetes service account
    service_account_name: str  # the Kubernetes service account (named like the service)
    bucket_name: str
    kms_key_id: str
    secret_ids: dict[str, str]  # secret name -> Secret Manager secret id


class WorkloadIdentity(Construct):
    def __init__(self, scope: Construct, construct_id: str, props: WorkloadIdentityProps) -> None:
        super().__init__(scope, construct_id)
        self.service_account = named(
            google.service_account.ServiceAccount(
                self,
                "service_account",
                account_id=f"{props.short_name}-workload",
                display_name=f"synthdata {props.name} workload",
                description=f"Workload Identity of the {props.data_type} generator {props.name}",
                project=props.project_id,
            )
        )
        member = f"serviceAccount:{self.service_account.email}"
        named(
            google.service_account_iam_member.ServiceAccountIamMember(
                self,
                "workload_identity_user",
                service_account_id=self.service_account.name,
                role="roles/iam.workloadIdentityUser",
                member=workload_identity_member(props.project_id, props.namespace, props.service_account_name),
            )
        )
        named(
            google.storage_bucket_iam_member.StorageBucketIamMember(
                self, "bucket_object_admin", bucket=props.bucket_name, role="roles/storage.objectAdmin", member=member
            )
        )
        named(
            google.kms_crypto_key_iam_member.KmsCryptoKeyIamMember(
                self, "key_user", crypto_key_id=props.kms_key_id, role=ENCRYPTER_DECRYPTER, member=member
            )
        )
        for secret, secret_id in props.secret_ids.items():
            named(
                google.secret_manager_secret_iam_member.SecretManagerSecretIamMember(
                    self,
                    f"{secret.replace('-', '_')}_accessor",
                    secret_id=secret_id,
                    project=props.project_id,
                    role="roles/secretmanager.secretAccessor",
                    member=member,
                )
            )
