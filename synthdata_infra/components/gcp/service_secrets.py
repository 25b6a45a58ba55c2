"""ServiceSecrets: one Secret Manager secret per secret the profile names, without a version.

Values are added out of band (console, gcloud, rotation jobs); Terraform never holds them, so
they never reach state or plan output. The secrets stay in the module's region and are
encrypted with its key.
"""

from __future__ import annotations

from synthdata_infra.cdk import Construct, TerraformResource, google
from synthdata_infra.components.expressions import named
from synthdata_infra.components.gcp.gcp_props import GcpProps


class ServiceSecrets(Construct):
    def __init__(
        self, scope: Construct, construct_id: str, props: GcpProps, *, kms_key_id: str, key_grant: TerraformResource
    ) -> None:
        super().__init__(scope, construct_id)
        s = google.secret_manager_secret
        self.secrets = {
            secret: named(
                s.SecretManagerSecret(
                    self,
                    secret.replace("-", "_"),
                    secret_id=props.name(secret),
                    project=props.inputs.project_id,
                    replication=s.SecretManagerSecretReplication(
                        user_managed=s.SecretManagerSecretReplicationUserManaged(
                            replicas=[
                                s.SecretManagerSecretReplicationUserManagedReplicas(
                                    location=props.project.region,
                                    customer_managed_encryption=s.SecretManagerSecretReplicationUserManagedReplicasCustomerManagedEncryption(
                                        kms_key_name=kms_key_id
                                    ),
                                )
                            ]
                        )
                    ),
                    labels=props.labels,
                    depends_on=[key_grant],
                )
            )
            for secret in props.config.security.secrets
        }
