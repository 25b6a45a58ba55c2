"""DataStorage: the storage account and container for generated data.

Private and Entra ID only: HTTPS with TLS 1.2, no anonymous blob access, no shared keys, a
default-deny firewall, versioning, soft delete of blobs and containers, and encryption twice at
rest (infrastructure encryption, and the service's customer-managed key, read by a user-assigned
identity of the account so the grant exists before the account does). Where the profile asks for
backups, point-in-time restore of the blobs too.
"""

from __future__ import annotations

from synthdata_infra.cdk import Construct, Token, azurerm
from synthdata_infra.components.azure.azure_props import CRYPTO_SERVICE_ENCRYPTION_USER, AzureProps
from synthdata_infra.components.expressions import as_any, as_number, inner, named

CONTAINER_NAME = "generated-data"
COOL_AFTER_DAYS_WITHOUT_ACCESS = 30  # and back to hot on the next read
NONCURRENT_VERSION_EXPIRY_DAYS = 90


class DataStorage(Construct):
    def __init__(
        self, scope: Construct, construct_id: str, props: AzureProps, *, key_vault_id: str, key_name: str, key_id: str
    ) -> None:
        super().__init__(scope, construct_id)
        inputs, context = props.inputs, props.context
        identity = named(
            azurerm.user_assigned_identity.UserAssignedIdentity(
                self,
                "identity",
                name=props.name("id", "storage"),
                location=context.location,
                resource_group_name=inputs.resource_group_name,
                tags=props.tags,
            )
        )
        key_access = named(
            azurerm.role_assignment.RoleAssignment(
                self,
                "key_access",
                scope=key_id,
                role_definition_name=CRYPTO_SERVICE_ENCRYPTION_USER,
                principal_id=identity.principal_id,
                principal_type="ServicePrincipal",
                description=f"The storage account of {props.name()} wraps its data keys with this key",
            )
        )
        sa = azurerm.storage_account
        restore_days = f"${{{inner(inputs.soft_delete_retention_days)} - 1}}"
        self.account = named(
            sa.StorageAccount(
                self,
                "account",
                name=props.global_name("st"),
                location=context.location,
                resource_group_name=inputs.resource_group_name,
                account_kind="StorageV2",
                account_tier="Standard",
                account_replication_type=inputs.storage_replication_type,
                access_tier="Hot",
                https_traffic_only_enabled=True,
                min_tls_version="TLS1_2",
                allow_nested_items_to_be_public=False,
                shared_access_key_enabled=False,
                default_to_oauth_authentication=True,
                local_user_enabled=False,
                cross_tenant_replication_enabled=False,
                infrastructure_encryption_enabled=True,
                public_network_access_enabled=as_any(inputs.public_network_access_enabled),
                network_rules=sa.StorageAccountNetworkRules(
                    default_action="Deny",
                    bypass=["AzureServices", "Logging", "Metrics"],
                    ip_rules=Token.as_list(inputs.allowed_ip_ranges),
                    virtual_network_subnet_ids=Token.as_list(inputs.allowed_subnet_ids),
                ),
                identity=sa.StorageAccountIdentity(type="UserAssigned", identity_ids=[identity.id]),
                blob_properties=sa.StorageAccountBlobProperties(
                    versioning_enabled=True,
                    last_access_time_enabled=True,
                    change_feed_enabled=props.config.storage.backup_enabled,
                    delete_retention_policy=sa.StorageAccountBlobPropertiesDeleteRetentionPolicy(
                        days=as_number(inputs.soft_delete_retention_days)
                    ),
                    container_delete_retention_policy=sa.StorageAccountBlobPropertiesContainerDeleteRetentionPolicy(
                        days=as_number(inputs.soft_delete_retention_days)
                    ),
                    restore_policy=(
                        sa.StorageAccountBlobPropertiesRestorePolicy(days=as_number(restore_days))
                        if props.config.storage.backup_enabled
                        else None
                    ),
                ),
                tags=props.tags,
            )
        )
        # The key is set by the customer-managed-key resource below; both would fight over it.
        self.account.add_override("lifecycle", {"ignore_changes": ["customer_managed_key"]})
        named(
            azurerm.storage_account_customer_managed_key.StorageAccountCustomerManagedKeyA(
                self,
                "customer_managed_key",
                storage_account_id=self.account.id,
                key_vault_id=key_vault_id,
                key_name=key_name,  # no version: the account follows the key's rotation
                user_assigned_identity_id=identity.id,
                depends_on=[key_access],
            )
        )
        mp = azurerm.storage_management_policy
        named(
            mp.StorageManagementPolicy(
                self,
                "lifecycle",
                storage_account_id=self.account.id,
                rule=[
                    mp.StorageManagementPolicyRule(
                        name="tiering-and-old-versions",
                        enabled=True,
                        filters=mp.StorageManagementPolicyRuleFilters(blob_types=["blockBlob"]),
                        actions=mp.StorageManagementPolicyRuleActions(
                            base_blob=mp.StorageManagementPolicyRuleActionsBaseBlob(
                                tier_to_cool_after_days_since_last_access_time_greater_than=COOL_AFTER_DAYS_WITHOUT_ACCESS,
                                auto_tier_to_hot_from_cool_enabled=True,
                            ),
                            version=mp.StorageManagementPolicyRuleActionsVersion(
                                delete_after_days_since_creation=NONCURRENT_VERSION_EXPIRY_DAYS
                            ),
                        ),
                    )
                ],
            )
        )
        self.container = named(
            azurerm.storage_container.StorageContainer(
                self,
                "container",
                name=CONTAINER_NAME,
                storage_account_id=self.account.id,  # managed through Resource Manager, not the data plane
                container_access_type="private",
            )
        )
        # The Resource Manager id of the container, the scope of its role assignments.
        self.container_scope = f"{self.account.id}/blobServices/default/containers/{self.container.name}"
