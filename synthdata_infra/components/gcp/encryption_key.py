"""EncryptionKey: the Cloud KMS key ring and key for the bucket, secrets, audit logs and node disks.

Google's services encrypt with the key on our behalf through their service agents, so each of
them is granted encrypt/decrypt on this key alone. Key rings and keys cannot be deleted in
Cloud KMS: destroying the module schedules the key versions for destruction, and the names stay
taken in the project.
"""

from __future__ import annotations

from synthdata_infra.cdk import Construct, google
from synthdata_infra.components.expressions import named
from synthdata_infra.components.gcp.gcp_props import ENCRYPTER_DECRYPTER, GcpProps

ROTATION_PERIOD = "7776000s"  # 90 days
DESTROY_SCHEDULED_DURATION = "2592000s"  # 30 days between destroy and the versions' destruction


class EncryptionKey(Construct):
    def __init__(self, scope: Construct, construct_id: str, props: GcpProps, *, service_agents: dict[str, str]) -> None:
        """``service_agents``: construct id -> IAM member of each service agent that uses the key."""
        super().__init__(scope, construct_id)
        inputs = props.inputs
        ring = named(
            google.kms_key_ring.KmsKeyRing(
                self, "key_ring", name=props.name(), location=props.project.region, project=inputs.project_id
            )
        )
        self.key = named(
            google.kms_crypto_key.KmsCryptoKey(
                self,
                "key",
                name="data",
                key_ring=ring.id,
                purpose="ENCRYPT_DECRYPT",
                rotation_period=ROTATION_PERIOD,
                destroy_scheduled_duration=DESTROY_SCHEDULED_DURATION,
                labels=props.labels,
            )
        )
        self.grants = {
            grant_id: named(
                google.kms_crypto_key_iam_member.KmsCryptoKeyIamMember(
                    self, grant_id, crypto_key_id=self.key.id, role=ENCRYPTER_DECRYPTER, member=member
                )
            )
            for grant_id, member in service_agents.items()
        }
