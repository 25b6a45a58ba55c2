"""ServiceSecrets: one Secret Manager secret per secret the profile names, without a version.

Values are added out of band (console, gcloud, rotation jobs); Terraform never holds them, so
they never reach state or plan output. The secrets stay in the module's region and are
encrypted with its key.
"""

from __future__ import annotations

from typing import Any

from synthdata_infra.cdk import Construct, google
from synthdata_infra.components.expressions import named
from synthdata_infra.components.gcp.gcp_props import LabelledProps


class ServiceSecretsProps(LabelledProps):
    secrets: tuple[str, ...]  # the profile's secret names
    region: str  # of the one replica
    kms_key_id: str
    key_grant: Any  # Secret Manager's service agent's grant on the key: the secrets are created after it


class ServiceSecrets(Construct):
    def __init__(self, scope: Construct, construct_id: str, props: ServiceSecretsProps) -> None:
        super().__init__(scope, construct_id)
        s = google.secret_manager_secret
        self.secrets = {
            secret: named(
                s.SecretManagerSecret(
                    self,
                    secret.replace("-", "_"),
                    secret_id=props.suffixed(secret),
                    project=props.project_id,
                    replication=s.SecretManagerSecretReplication(
                        user_managed=s.SecretManagerSecretReplicationUserManaged(
                            replicas=[
                                s.SecretManagerSecretReplicationUserManagedReplicas(
                                    location=props.region,
                                    customer_managed_encryption=s.SecretManagerSecretReplicationUserManagedReplicasCustomerManagedEncryption(
                                        kms_key_name=props.kms_key_id
                                    ),
                                )
                            ]
                        )
                    ),
                    labels=props.label_map,
                    depends_on=[props.key_grant],
                )
            )
            for secret in props.secrets
        }
