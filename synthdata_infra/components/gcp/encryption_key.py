"""EncryptionKey: the Cloud KMS key for the bucket, secrets, audit logs and node disks: the
caller's (``kms_key_id``), or a key ring and key created here.

Google's services encrypt with the key on our behalf through their service agents, so each of
them is granted encrypt/decrypt on this key alone (on a given key too: the grants are additive
members, never the key's whole policy). Key rings and keys cannot be deleted in Cloud KMS:
destroying the module schedules the created key's versions for destruction, and the names stay
taken in the project.
"""

from __future__ import annotations

from synthdata_infra.cdk import Construct, TerraformLocal, google
from synthdata_infra.components.expressions import inner, named, stable_id
from synthdata_infra.components.gcp.gcp_props import ENCRYPTER_DECRYPTER, LabelledProps

ROTATION_PERIOD = "7776000s"  # 90 days
DESTROY_SCHEDULED_DURATION = "2592000s"  # 30 days between destroy and the versions' destruction


def key_location_precondition(given_key_id: str, region: str) -> dict[str, str]:
    """A given key must be in the module's region: Cloud KMS keys only encrypt resources (buckets,
    secret replicas, log buckets, boot disks) in their own location."""
    given = inner(given_key_id)
    return {
        "condition": f'${{{given} == null ? true : split("/", {given})[3] == {inner(region)}}}',
        "error_message": "kms_key_id must be a key in the module's region (the region input, or the cluster's).",
    }


class EncryptionKeyProps(LabelledProps):
    region: str  # of the created key ring
    given_key_id: str  # string or null expression: an existing key instead of a created ring and key
    service_agents: dict[str, str]  # construct id -> IAM member of each service agent that uses the key


class EncryptionKey(Construct):
    def __init__(self, scope: Construct, construct_id: str, props: EncryptionKeyProps) -> None:
        super().__init__(scope, construct_id)
        # What every user of the key checks: a given key is in the module's region.
        self.location_precondition = key_location_precondition(props.given_key_id, props.region)
        create = f"${{{inner(props.given_key_id)} == null ? 1 : 0}}"
        ring = named(
            google.kms_key_ring.KmsKeyRing(
                self, "key_ring", name=props.name, location=props.region, project=props.project_id
            )
        )
        ring.add_override("count", create)
        key = named(
            google.kms_crypto_key.KmsCryptoKey(
                self,
                "key",
                name="data",
                key_ring=f"${{google_kms_key_ring.{stable_id(ring)}[0].id}}",
                purpose="ENCRYPT_DECRYPT",
                rotation_period=ROTATION_PERIOD,
                destroy_scheduled_duration=DESTROY_SCHEDULED_DURATION,
                labels=props.label_map,
            )
        )
        key.add_override("count", create)
        # The key everything uses: the caller's (bring your own) or the one created here.
        created = f"one(google_kms_crypto_key.{stable_id(key)}[*].id)"
        in_use = named(TerraformLocal(self, "key_id", f"${{coalesce({inner(props.given_key_id)}, {created})}}"))
        self.id = f"${{local.{stable_id(in_use)}}}"
        self.grants = {
            grant_id: named(
                google.kms_crypto_key_iam_member.KmsCryptoKeyIamMember(
                    self, grant_id, crypto_key_id=self.id, role=ENCRYPTER_DECRYPTER, member=member
                )
            )
            for grant_id, member in props.service_agents.items()
        }
