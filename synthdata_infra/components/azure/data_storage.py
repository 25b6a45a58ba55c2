"""DataStorage: the storage account and container for generated data: the caller's
(``storage_account``), or ones created here. A given account's settings (network, encryption,
versioning, lifecycle, audit logs) stay with its owner; the module only assigns a role on its
container, and never destroys either.

A created account is private and Entra ID only: HTTPS with TLS 1.2, no anonymous blob access, no
shared keys, a default-deny firewall, versioning, soft delete of blobs and containers, and
encryption twice at rest (infrastructure encryption, and the service's customer-managed key, read
by a user-assigned identity of the account so the grant exists before the account does). Where
the profile asks for backups, point-in-time restore of the blobs too.
"""

from __future__ import annotations

from synthdata_infra.cdk import Construct, TerraformLocal, Token, azurerm
from synthdata_infra.components.azure.azure_props import CRYPTO_SERVICE_ENCRYPTION_USER, GloballyNamedProps, first_instance
from synthdata_infra.components.expressions import as_any, as_number, inner, named, stable_id

CONTAINER_NAME = "generated-data"
COOL_AFTER_DAYS_WITHOUT_ACCESS = 30  # and back to hot on the next read
NONCURRENT_VERSION_EXPIRY_DAYS = 90


class DataStorageProps(GloballyNamedProps):
    key_vault_id: str  # the vault of the key that encrypts the created account
    key_name: str
    key_id: str  # the key's resource id: the storage identity's role scope
    replication_type: str  # string expression
    soft_delete_retention_days: str  # number expression
    public_network_access_enabled: str  # bool expression
    allowed_ip_ranges: str  # list(string) expression
    allowed_subnet_ids: str  # list(string) expression
    point_in_time_restore: bool  # the profile's backup: change feed and a restore policy
    given_storage_account: str  # object({id, blob_endpoint, container_name}) or null expression


class DataStorage(Construct):
    def __init__(self, scope: Construct, construct_id: str, props: DataStorageProps) -> None:
        super().__init__(scope, construct_id)
        key_vault_id, key_name, key_id = props.key_vault_id, props.key_name, props.key_id
        identity = named(
            azurerm.user_assigned_identity.UserAssignedIdentity(
                self,
                "identity",
                name=props.name("id", "storage"),
                location=props.location,
                resource_group_name=props.resource_group_name,
                tags=props.tag_map,
            )
        )
        key_access = named(
            azurerm.role_assignment.RoleAssignment(
                self,
                "key_access",
                scope=key_id,
                role_definition_name=CRYPTO_SERVICE_ENCRYPTION_USER,
                principal_id=first_instance(identity, "principal_id"),
                principal_type="ServicePrincipal",
                description=f"The storage account of {props.name()} wraps its data keys with this key",
            )
        )
        sa = azurerm.storage_account
        restore_days = f"${{{inner(props.soft_delete_retention_days)} - 1}}"
        self.account = named(
            sa.StorageAccount(
                self,
                "account",
                name=props.global_name("st"),
                location=props.location,
                resource_group_name=props.resource_group_name,
                account_kind="StorageV2",
                account_tier="Standard",
                account_replication_type=props.replication_type,
                access_tier="Hot",
                https_traffic_only_enabled=True,
                min_tls_version="TLS1_2",
                allow_nested_items_to_be_public=False,
                shared_access_key_enabled=False,
                default_to_oauth_authentication=True,
                local_user_enabled=False,
                cross_tenant_replication_enabled=False,
                infrastructure_encryption_enabled=True,
                public_network_access_enabled=as_any(props.public_network_access_enabled),
                network_rules=sa.StorageAccountNetworkRules(
                    default_action="Deny",
                    bypass=["AzureServices", "Logging", "Metrics"],
                    ip_rules=Token.as_list(props.allowed_ip_ranges),
                    virtual_network_subnet_ids=Token.as_list(props.allowed_subnet_ids),
                ),
                identity=sa.StorageAccountIdentity(type="UserAssigned", identity_ids=[first_instance(identity, "id")]),
                blob_properties=sa.StorageAccountBlobProperties(
                    versioning_enabled=True,
                    last_access_time_enabled=True,
                    change_feed_enabled=props.point_in_time_restore,
                    delete_retention_policy=sa.StorageAccountBlobPropertiesDeleteRetentionPolicy(
                        days=as_number(props.soft_delete_retention_days)
                    ),
                    container_delete_retention_policy=sa.StorageAccountBlobPropertiesContainerDeleteRetentionPolicy(
                        days=as_number(props.soft_delete_retention_days)
                    ),
                    restore_policy=(
                        sa.StorageAccountBlobPropertiesRestorePolicy(days=as_number(restore_days))
                        if props.point_in_time_restore
                        else None
                    ),
                ),
                tags=props.tag_map,
            )
        )
        # The key is set by the customer-managed-key resource below; both would fight over it.
        self.account.add_override("lifecycle", {"ignore_changes": ["customer_managed_key"]})
        # Read by what exists only with the created account.
        self.created_account_id = first_instance(self.account, "id")
        customer_managed_key = named(
            azurerm.storage_account_customer_managed_key.StorageAccountCustomerManagedKeyA(
                self,
                "customer_managed_key",
                storage_account_id=self.created_account_id,
                key_vault_id=key_vault_id,
                key_name=key_name,  # no version: the account follows the key's rotation
                user_assigned_identity_id=first_instance(identity, "id"),
                depends_on=[key_access],
            )
        )
        mp = azurerm.storage_management_policy
        lifecycle = named(
            mp.StorageManagementPolicy(
                self,
                "lifecycle",
                storage_account_id=self.created_account_id,
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
                storage_account_id=self.created_account_id,  # managed through Resource Manager, not the data plane
                container_access_type="private",
            )
        )
        given = inner(props.given_storage_account)
        for created in (identity, key_access, self.account, customer_managed_key, lifecycle, self.container):
            created.add_override("count", f"${{{given} == null ? 1 : 0}}")

        # The account and container everything uses: the caller's (bring your own) or the ones created here.
        def local(name: str, if_created: str, if_given: str) -> str:
            expression = f"${{{given} == null ? {if_created} : {if_given}}}"
            return f"${{local.{stable_id(named(TerraformLocal(self, name, expression)))}}}"

        account = f"azurerm_storage_account.{stable_id(self.account)}"
        self.account_id = local("storage_account_id", f"one({account}[*].id)", f"{given}.id")
        # The same choice without the local, for the private endpoint: checkov (CKV2_AZURE_33) links a
        # storage account to its private endpoint only through a direct reference.
        self.account_id_direct = f"${{{given} == null ? {account}[0].id : {given}.id}}"
        self.account_name = local("storage_account_name", f"one({account}[*].name)", f'regex("[^/]+$", {given}.id)')
        self.blob_endpoint = local("blob_endpoint", f"one({account}[*].primary_blob_endpoint)", f"{given}.blob_endpoint")
        self.blob_host = local("blob_host", f"one({account}[*].primary_blob_host)", f'regex("^https://([^/]+)", {given}.blob_endpoint)[0]')
        self.container_name = local(
            "container_name", f"one(azurerm_storage_container.{stable_id(self.container)}[*].name)", f"{given}.container_name"
        )
        # The Resource Manager id of the container, the scope of its role assignments.
        self.container_scope = f"{self.account_id}/blobServices/default/containers/{self.container_name}"
