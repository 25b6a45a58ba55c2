"""ServiceKeyVault: the service's Key Vault (RBAC, purge protection, default-deny network) and
the customer-managed key that encrypts its storage account: the caller's
(``key_vault_key_resource_id``), or one created in this vault. No key is created for an account
the module does not create (``storage_account`` given).

Secrets: azurerm can only create a Key Vault secret *with* a value, and the value would then sit
in state and plan output. So the module creates none: the profile's secret names are an output,
their values are written out of band (``az keyvault secret set``), and the workload identity may
read any secret of this vault, which holds this service's secrets only.

Terraform itself needs the data-plane role "Key Vault Crypto Officer" to create the key: when it
creates one, the module assigns that role to the principal running Terraform, scoped to this
vault. Role assignments can take minutes to propagate, and the vault's firewall denies by
default: run Terraform from an address in ``allowed_ip_ranges`` (or a subnet in
``allowed_subnet_ids``).
"""

from __future__ import annotations

from synthdata_infra.cdk import Construct, TerraformLocal, Token, azurerm
from synthdata_infra.components.azure.azure_props import CRYPTO_OFFICER, GloballyNamedProps
from synthdata_infra.components.expressions import as_any, as_number, inner, named, stable_id

KEY_TYPE = "RSA-HSM"  # HSM-protected: needs the premium SKU
KEY_SIZE = 3072
KEY_OPERATIONS = ["unwrapKey", "wrapKey"]  # all that storage encryption uses
KEY_LIFETIME = "P1Y"  # each key version expires a year after creation
ROTATE_BEFORE_EXPIRY = "P30D"
NOTIFY_BEFORE_EXPIRY = "P29D"
FIRST_VERSION_LIFETIME_HOURS = 365 * 24


class ServiceKeyVaultProps(GloballyNamedProps):
    tenant_id: str
    deployer_object_id: str  # the principal running terraform: it manages the created key
    soft_delete_retention_days: str  # number expression
    public_network_access_enabled: str  # bool expression
    allowed_ip_ranges: str  # list(string) expression
    allowed_subnet_ids: str  # list(string) expression
    given_key_resource_id: str  # string or null expression: an existing key instead of the created one
    given_storage_account: str  # object or null expression: a given account needs no key


class ServiceKeyVault(Construct):
    def __init__(self, scope: Construct, construct_id: str, props: ServiceKeyVaultProps) -> None:
        super().__init__(scope, construct_id)
        kv = azurerm.key_vault
        self.vault = named(
            kv.KeyVault(
                self,
                "key_vault",
                name=props.global_name("kv"),
                location=props.location,
                resource_group_name=props.resource_group_name,
                tenant_id=props.tenant_id,
                sku_name="premium",
                rbac_authorization_enabled=True,
                purge_protection_enabled=True,
                soft_delete_retention_days=as_number(props.soft_delete_retention_days),
                public_network_access_enabled=as_any(props.public_network_access_enabled),
                network_acls=kv.KeyVaultNetworkAcls(
                    default_action="Deny",
                    bypass="AzureServices",
                    ip_rules=Token.as_list(props.allowed_ip_ranges),
                    virtual_network_subnet_ids=Token.as_list(props.allowed_subnet_ids),
                ),
                tags=props.tag_map,
            )
        )
        given = inner(props.given_key_resource_id)
        self.vault.add_override(
            "lifecycle",
            {
                "precondition": [
                    {
                        "condition": f"${{{given} == null || {inner(props.given_storage_account)} == null}}",
                        "error_message": (
                            "key_vault_key_resource_id encrypts the storage account the module creates: leave it null when "
                            "storage_account is given (that account's encryption stays with its owner)."
                        ),
                    }
                ]
            },
        )
        # A key only for an account the module creates, and only when none is given.
        create = f"${{{given} == null && {inner(props.given_storage_account)} == null ? 1 : 0}}"
        deployer = named(
            azurerm.role_assignment.RoleAssignment(
                self,
                "deployer_crypto_officer",
                scope=self.vault.id,
                role_definition_name=CRYPTO_OFFICER,
                principal_id=props.deployer_object_id,
                description=f"Terraform manages the encryption key of {props.name()}",
            )
        )
        key = azurerm.key_vault_key
        self.key = named(
            key.KeyVaultKey(
                self,
                "encryption_key",
                name="storage-encryption",
                key_vault_id=self.vault.id,
                key_type=KEY_TYPE,
                key_size=KEY_SIZE,
                key_opts=KEY_OPERATIONS,
                # The first version's expiry; later versions get theirs from the rotation policy.
                expiration_date=f'${{timeadd(plantimestamp(), "{FIRST_VERSION_LIFETIME_HOURS}h")}}',
                rotation_policy=key.KeyVaultKeyRotationPolicy(
                    expire_after=KEY_LIFETIME,
                    notify_before_expiry=NOTIFY_BEFORE_EXPIRY,
                    automatic=key.KeyVaultKeyRotationPolicyAutomatic(time_before_expiry=ROTATE_BEFORE_EXPIRY),
                ),
                tags=props.tag_map,
                depends_on=[deployer],
            )
        )
        # plantimestamp() changes on every plan; the expiry is set once and rotation renews the key.
        self.key.add_override("lifecycle", {"ignore_changes": ["expiration_date"]})
        for created in (deployer, self.key):
            created.add_override("count", create)

        # The key the storage account uses: the caller's (bring your own) or the one created here.
        created = f"azurerm_key_vault_key.{stable_id(self.key)}"
        vault = f"azurerm_key_vault.{stable_id(self.vault)}"

        def local(name: str, if_created: str, if_given: str) -> str:
            expression = f"${{{given} == null ? {if_created} : {if_given}}}"
            return f"${{local.{stable_id(named(TerraformLocal(self, name, expression)))}}}"

        given_name = f'regex("[^/]+$", {given})'
        self.key_resource_id = local("key_resource_id", f"one({created}[*].resource_versionless_id)", given)
        self.key_vault_id = local("key_vault_id", f"{vault}.id", f'regex("^(.+)/keys/[^/]+$", {given})[0]')
        self.key_name = local("key_name", f"one({created}[*].name)", given_name)
        # A vault's host is its name plus the cloud's Key Vault DNS suffix, read from this vault (same cloud).
        self.key_versionless_id = local(
            "key_versionless_id",
            f"one({created}[*].versionless_id)",
            f'format("https://%s%s/keys/%s", regex("/vaults/([^/]+)/keys/", {given})[0], '
            f'regex("^https://[^.]+([.][^/]+)", {vault}.vault_uri)[0], {given_name})',
        )
