"""WorkloadIdentity: a user-assigned managed identity that only the service's Kubernetes service
account can use (federated against the cluster's OIDC issuer), allowed to read and write blobs of
its container and to read the secrets of its Key Vault, and nothing else.

The workload needs no right on the customer-managed key: storage encryption is transparent to
readers and writers. Pods use the identity when their service account carries the client-id
annotation (an output) and the pods carry the label ``azure.workload.identity/use: "true"``.
"""

from __future__ import annotations

from synthdata_infra.cdk import Construct, azurerm
from synthdata_infra.components.azure.azure_props import BLOB_DATA_CONTRIBUTOR, SECRETS_USER, AzureResourceProps
from synthdata_infra.components.expressions import named

TOKEN_AUDIENCE = "api://AzureADTokenExchange"


def service_account_subject(namespace: str, service_account_name: str) -> str:
    return f"system:serviceaccount:{namespace}:{service_account_name}"


class WorkloadIdentityProps(AzureResourceProps):
    oidc_issuer_url: str  # the cluster's
    namespace: str  # of the Kubernetes service account (named like the service)
    container_scope: str  # the blob container it may read and write
    key_vault_id: str  # the vault whose secrets it may read


class WorkloadIdentity(Construct):
    def __init__(self, scope: Construct, construct_id: str, props: WorkloadIdentityProps) -> None:
        super().__init__(scope, construct_id)
        self.identity = named(
            azurerm.user_assigned_identity.UserAssignedIdentity(
                self,
                "identity",
                name=props.name("id", "workload"),
                location=props.location,
                resource_group_name=props.resource_group_name,
                tags=props.tag_map,
            )
        )
        named(
            azurerm.federated_identity_credential.FederatedIdentityCredential(
                self,
                "service_account",
                name=f"{props.namespace}-{props.service_name}",
                resource_group_name=props.resource_group_name,
                parent_id=self.identity.id,
                issuer=props.oidc_issuer_url,
                subject=service_account_subject(props.namespace, props.service_name),
                audience=[TOKEN_AUDIENCE],
            )
        )
        grants = {"blob_data": (BLOB_DATA_CONTRIBUTOR, props.container_scope), "secrets": (SECRETS_USER, props.key_vault_id)}
        for grant_id, (role, scope_id) in grants.items():
            named(
                azurerm.role_assignment.RoleAssignment(
                    self,
                    grant_id,
                    scope=scope_id,
                    role_definition_name=role,
                    principal_id=self.identity.principal_id,
                    principal_type="ServicePrincipal",
                    description=f"Workload identity of {props.name()}",
                )
            )
