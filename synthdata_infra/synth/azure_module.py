"""The Azure cloud layer of one data type: ``modules_out/azure/<type>/``.

Everything around the workload in an existing AKS cluster: a node pool sized by the catalog, the
storage account for generated data, the Key Vault holding its customer-managed key and the
service's secrets, a federated workload identity, the audit log workspace and (where the profile
enables it) Front Door. Its outputs are the workload module's inputs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from synthdata_infra.catalog import Placement, storage_class_for
from synthdata_infra.cdk import Construct, TerraformLocal, azurerm
from synthdata_infra.components.azure.aks_node_pool import OS_DISK_TYPES, AksNodePool, AksNodePoolProps, node_pool_name
from synthdata_infra.components.azure.audit_logs import AuditLogs, AuditLogsProps
from synthdata_infra.components.azure.azure_props import AzureContext, AzureInputs
from synthdata_infra.components.azure.blob_front_door import BlobFrontDoor, BlobFrontDoorProps
from synthdata_infra.components.azure.data_storage import DataStorage, DataStorageProps
from synthdata_infra.components.azure.private_endpoints import PrivateEndpoints, PrivateEndpointsProps
from synthdata_infra.components.azure.service_key_vault import ServiceKeyVault, ServiceKeyVaultProps
from synthdata_infra.components.azure.workload_identity import WorkloadIdentity, WorkloadIdentityProps
from synthdata_infra.components.data_retention import RETAINED_DESCRIPTION, DataRetentionGuard, DataRetentionGuardProps, resources_of, retention_input
from synthdata_infra.components.expressions import inner, named, stable_id
from synthdata_infra.components.resource_tags import resource_tags
from synthdata_infra.config.models import ServiceConfig
from synthdata_infra.planning import node_pool_sizes, placement_for
from synthdata_infra.synth.examples import azure_example
from synthdata_infra.synth.module_stack import ModuleDoc, ModuleStack
from synthdata_infra.synth.shared_inputs import NODE_DISK_MAX_GIB, NODE_DISK_MIN_GIB, NODE_POOL_MAX, cloud_service_name_input, environment_input, gpu_model_input, node_disk_gib

# Log Analytics keeps data 30 to 730 days (interactive retention of the PerGB2018 tier).
LOG_RETENTION_RANGE = (30, 730)
ULTRA_DISK_SKU = "UltraSSD_LRS"
TESTING_NOTE = (
    "Testing: the `hashicorp/azurerm` provider is not on this project's offline provider mirror, so this "
    "module is not `terraform validate`d here; the tests check the synthesized JSON, and checkov scans it."
)


# Resource Manager IDs of what a caller may bring (segments are case-insensitive in Azure).
KEY_RESOURCE_ID_RULE = "(?i)^/subscriptions/[-0-9a-f]{36}/resourceGroups/[^/]+/providers/Microsoft[.]KeyVault/vaults/[-a-z0-9]{3,24}/keys/[-a-z0-9]{1,127}$"
STORAGE_ACCOUNT_ID_RULE = "(?i)^/subscriptions/[-0-9a-f]{36}/resourceGroups/[^/]+/providers/Microsoft[.]Storage/storageAccounts/[a-z0-9]{3,24}$"
BLOB_ENDPOINT_RULE = "^https://[a-z0-9]{3,24}[.][^/]+/?$"
CONTAINER_NAME_RULE = "^[a-z0-9]+(-[a-z0-9]+)*$"


# What holds or protects the service's data: kept on destroy while retain_data_on_destroy is true.
AZURE_DATA_TYPES = (
    "azurerm_storage_account",
    "azurerm_storage_container",
    "azurerm_storage_account_customer_managed_key",
    "azurerm_key_vault",
    "azurerm_key_vault_key",
    "azurerm_log_analytics_workspace",
)


def build(scope: Construct, stack_id: str, config: ServiceConfig) -> ModuleStack:
    kind = config.data_type
    placement = placement_for(config, "azure")
    cdn = config.storage.cdn_enabled
    stack = ModuleStack(
        scope,
        stack_id,
        providers=("azurerm",),
        doc=ModuleDoc(
            label=f"{kind}_azure",
            title=f"synthdata {kind} cloud layer (Azure)",
            summary=(
                f"Everything the `{kind}` generator needs around it in an existing AKS cluster: a user node pool "
                f"sized by the catalog (default {placement.nodes} x `{placement.instance_type}` for "
                f"{placement.replicas} replicas, autoscaled), a storage account and container for generated data "
                "(Entra ID only, no shared keys or anonymous access, default-deny firewall, versioning, soft delete, "
                "infrastructure encryption plus a customer-managed key), a Key Vault (RBAC, purge protection, "
                "default-deny firewall) holding that key, a user-assigned identity federated with the service "
                "account, and a Log Analytics workspace receiving the audit logs of the blobs and the vault"
                + ", and Azure Front Door (Premium, over Private Link) in front of the container (`enable_cdn`, "
                + ("on" if cdn else "off")
                + " by default). Pass its outputs to the `kubernetes` module of the same data type.\n\n"
                "Names: the storage account is `st` and the Key Vault `kv`, each followed by the first 10 characters "
                "of the service name without `-` and 12 hex characters of the SHA-1 of subscription, resource group, "
                "service and environment (both must be globally unique, 3-24 characters); the node pool is 8 "
                "characters of the service plus 4 of that hash.\n\n"
                "Secrets: azurerm cannot create a Key Vault secret without a value, and a value in Terraform would "
                "land in state, so the module creates none. `secret_names` lists the names the service expects; "
                "write the values out of band (`az keyvault secret set --vault-name <key_vault_name> --name <name>`). "
                "The workload identity holds `Key Vault Secrets User` on the vault, which holds this service's "
                "secrets only.\n\n"
                "Workload identity: pass `service_account_annotations` to the kubernetes module, and give the pods "
                'the label `azure.workload.identity/use: "true"` (e.g. through its `labels` input); the cluster needs '
                "the OIDC issuer and workload identity enabled.\n\n"
                "Network: the storage account and the vault deny by default. Terraform creates the key through the "
                "vault's data plane, so run it from an address in `allowed_ip_ranges` (or inside the network). Pods "
                "reach both through `private_endpoints` (then "
                "`public_network_access_enabled = false` closes the public endpoints) or through a subnet in "
                "`allowed_subnet_ids` that has the Microsoft.Storage and Microsoft.KeyVault service endpoints. Configure the provider with `storage_use_azuread = true` "
                "(shared keys are disabled). When it creates the key, the module assigns `Key Vault Crypto Officer` on "
                "the vault to the principal running Terraform; new role assignments can take minutes to apply.\n\n"
                "Bring your own: `storage_account` (an existing account and container) and `key_vault_key_resource_id` "
                "(an existing key for the created account) replace what the module would create; see the inputs."
                + "\n\nWith `enable_cdn`, Front Door reaches the blobs over Private Link: approve the private endpoint "
                "connection on the storage account once after the first apply. The container is private, so clients read "
                "through Front Door with user-delegation SAS URLs (the query string is part of the cache key)."
                + f"\n\n{TESTING_NOTE}"
            ),
            source=f"../../modules_out/azure/{kind}",
        ),
    )
    inputs = _inputs(stack, config, placement)
    _outputs(stack, config, _wiring(stack, config, inputs))
    stack.doc.extra_files["examples/complete/main.tf"] = azure_example(config)
    stack.check_logical_ids()
    return stack


def _inputs(stack: ModuleStack, config: ServiceConfig, placement: Placement) -> AzureInputs:
    """The module's variables, with the profile's and the catalog's defaults."""
    cdn = config.storage.cdn_enabled
    volumes = storage_class_for("azure", config.storage.storage_class)
    node_disk_sku = storage_class_for("azure", config.resources.storage_type).parameters["skuName"]
    low, high = LOG_RETENTION_RANGE
    retention = min(max(config.data_policies.audit_logging.retention_days, low), high)
    v = stack.variable
    retain = retention_input(stack)
    per_node = placement.replicas_per_node
    sizes = node_pool_sizes(config, per_node)
    disk_gib = node_disk_gib(config)
    return AzureInputs(
        retain_data_on_destroy=retain,
        service_name=cloud_service_name_input(stack),
        environment=environment_input(stack),
        resource_group_name=v(
            "resource_group_name", type="string", description="Existing resource group of the module's resources.", example='"rg-synthdata-production"'
        ),
        location=v("location", type="string", description="Azure region of the resources; null uses the resource group's.", default=None),
        kubernetes_cluster_id=v(
            "kubernetes_cluster_id",
            type="string",
            description="Resource ID of the existing AKS cluster.",
            example='"/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-platform/providers/Microsoft.ContainerService/managedClusters/platform"',
        ),
        oidc_issuer_url=v(
            "oidc_issuer_url",
            type="string",
            description="OIDC issuer URL of the cluster (its `oidc_issuer_url`), trusted by the workload identity.",
            example='"https://eastus.oic.prod-aks.azure.com/00000000-0000-0000-0000-000000000000/11111111-1111-1111-1111-111111111111/"',
        ),
        namespace=v("namespace", type="string", description="Namespace of the service account (as in the kubernetes module).", default=config.deployment.namespace),
        tags=v("tags", type="map(string)", description="Tags added to every resource.", default={}),
        node_vm_size=v(
            "node_vm_size",
            type="string",
            description=f"VM size of the node pool; the catalog's cheapest fit is `{placement.instance_type}`.",
            default=placement.instance_type,
        ),
        gpu_model=gpu_model_input(stack, config),
        node_min_size=v("node_min_size", type="number", description=f"Fewest nodes ({per_node} replica(s) per node).", default=sizes["node_min_size"], minimum=0, maximum=NODE_POOL_MAX),
        node_desired_size=v("node_desired_size", type="number", description="Nodes at creation; the cluster autoscaler owns the count afterwards.", default=sizes["node_desired_size"], minimum=0, maximum=NODE_POOL_MAX),
        node_max_size=v("node_max_size", type="number", description="Most nodes, for the profile's max_replicas.", default=sizes["node_max_size"], minimum=1, maximum=NODE_POOL_MAX),
        node_disk_size_gib=v(
            "node_disk_size_gib",
            type="number",
            description="OS disk of each node: images, logs and the model cache.",
            default=disk_gib,
            minimum=NODE_DISK_MIN_GIB, maximum=NODE_DISK_MAX_GIB,
        ),
        node_os_disk_type=v(
            "node_os_disk_type",
            type="string",
            description=(
                f"`Managed` or `Ephemeral` (on the VM's local storage, which must hold node_disk_size_gib); the default "
                f"follows the profile's node disk tier `{config.resources.storage_type}` ({node_disk_sku})."
            ),
            default=OS_DISK_TYPES[node_disk_sku],
            validation=[
                {
                    "condition": '${contains(["Managed", "Ephemeral"], var.node_os_disk_type)}',
                    "error_message": "node_os_disk_type must be Managed or Ephemeral.",
                }
            ],
        ),
        host_encryption_enabled=v(
            "host_encryption_enabled",
            type="bool",
            description="Encrypt temp disks and disk caches on the hosts (needs the EncryptionAtHost feature on the subscription).",
            default=True,
        ),
        ultra_ssd_enabled=v(
            "ultra_ssd_enabled",
            type="bool",
            description=(
                f"Let the nodes attach Ultra Disks; the profile's `{config.storage.storage_class}` volumes are "
                f"{volumes.parameters.get('skuName', 'local')}. Ultra Disks need zonal nodes."
            ),
            default=volumes.parameters.get("skuName") == ULTRA_DISK_SKU,
        ),
        zones=v(
            "zones",
            type="list(string)",
            description="Availability zones of the nodes; [] in a region without zones.",
            default=["1", "2", "3"],
        ),
        vnet_subnet_id=v("vnet_subnet_id", type="string", description="Subnet of the nodes, in the cluster's virtual network; null leaves the choice to AKS.", default=None),
        allowed_ip_ranges=v(
            "allowed_ip_ranges",
            type="list(string)",
            description="Public IPs or CIDR ranges let through the storage and Key Vault firewalls (e.g. where Terraform runs).",
            default=[],
        ),
        allowed_subnet_ids=v(
            "allowed_subnet_ids",
            type="list(string)",
            description="Subnets let through the storage and Key Vault firewalls (they need the matching service endpoints).",
            default=[],
        ),
        public_network_access_enabled=v(
            "public_network_access_enabled",
            type="bool",
            description="Keep the public endpoints of the storage account and the vault (behind their default-deny firewalls); false leaves private endpoints only.",
            default=True,
        ),
        private_endpoints=v(
            "private_endpoints",
            type="object({ subnet_id = string, blob_dns_zone_id = string, vault_dns_zone_id = string })",
            description=(
                "Private endpoints of the blob service and the vault: their subnet and the private DNS zones "
                "(privatelink.blob.core.windows.net, privatelink.vaultcore.azure.net) they register in; null creates none."
            ),
            default=None,
        ),
        storage_replication_type=v(
            "storage_replication_type",
            type="string",
            description="Replication of the created storage account (LRS, ZRS, GRS, RAGRS, GZRS, RAGZRS).",
            default="ZRS",
            validation=[
                {
                    "condition": '${contains(["LRS", "ZRS", "GRS", "RAGRS", "GZRS", "RAGZRS"], var.storage_replication_type)}',
                    "error_message": "storage_replication_type must be one of LRS, ZRS, GRS, RAGRS, GZRS, RAGZRS.",
                }
            ],
        ),
        soft_delete_retention_days=v(
            "soft_delete_retention_days",
            type="number",
            description="Days deleted blobs and containers of the created storage account can be restored"
            + ("; point-in-time restore reaches one day less." if config.storage.backup_enabled else "."),
            default=30,
            validation=[
                {
                    "condition": "${var.soft_delete_retention_days >= 2 && var.soft_delete_retention_days <= 365}",
                    "error_message": "soft_delete_retention_days must be from 2 to 365.",
                }
            ],
        ),
        key_vault_soft_delete_retention_days=v(
            "key_vault_soft_delete_retention_days",
            type="number",
            description="Days a deleted vault (and key) can be recovered; purge protection holds it that long.",
            default=90,
            validation=[
                {
                    "condition": "${var.key_vault_soft_delete_retention_days >= 7 && var.key_vault_soft_delete_retention_days <= 90}",
                    "error_message": "key_vault_soft_delete_retention_days must be from 7 to 90.",
                }
            ],
        ),
        log_retention_days=v(
            "log_retention_days",
            type="number",
            description=(
                f"Retention of the audit workspace the module creates; the profile asks for "
                f"{config.data_policies.audit_logging.retention_days} days."
            ),
            default=retention,
            validation=[
                {
                    "condition": f"${{var.log_retention_days >= {low} && var.log_retention_days <= {high}}}",
                    "error_message": f"log_retention_days must be from {low} to {high} (Log Analytics).",
                }
            ],
        ),
        log_analytics_workspace_id=v(
            "log_analytics_workspace_id",
            type="string",
            description="Existing Log Analytics workspace for the audit logs; null creates one.",
            default=None,
        ),
        key_vault_key_resource_id=v(
            "key_vault_key_resource_id",
            type="string",
            description=(
                "Existing Key Vault key for the created storage account's customer-managed encryption: its Resource Manager "
                "ID without a version (`/subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.KeyVault/vaults/<vault>/keys/<key>`, "
                "an `azurerm_key_vault_key`'s `resource_versionless_id`); null creates one in the module's Key Vault. The module "
                "assigns the storage account's identity `Key Vault Crypto Service Encryption User` on it, so whoever runs "
                "Terraform must be able to assign roles on the key; its vault must use Azure RBAC and purge protection and "
                "let trusted Azure services through its firewall. The account follows the key's newest version; rotation "
                "and expiry stay with its owner. Not with storage_account (that account's encryption is its owner's)."
            ),
            default=None,
            nullable=True,
            validation=[
                {
                    "condition": (
                        f'${{var.key_vault_key_resource_id == null ? true : can(regex("{KEY_RESOURCE_ID_RULE}", var.key_vault_key_resource_id))}}'
                    ),
                    "error_message": (
                        "key_vault_key_resource_id must be the Resource Manager ID of a Key Vault key without a version: "
                        "/subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.KeyVault/vaults/<vault>/keys/<key>."
                    ),
                }
            ],
        ),
        storage_account=v(
            "storage_account",
            type="object({ id = string, blob_endpoint = string, container_name = string })",
            description=(
                "Existing storage account and container for generated data: the account's Resource Manager `id`, its "
                "`blob_endpoint` (`primary_blob_endpoint`) and the `container_name` of a container in it; null creates an "
                "account and container. Given, the module creates no account or container, nor their identity, key, "
                "lifecycle policy and blob audit logs (those stay with the account's owner), and destroying the module "
                "leaves them alone; the workload identity gets `Storage Blob Data Contributor` on the container, and the "
                "blob private endpoint and (with enable_cdn) Front Door's origin target the account, so whoever runs "
                "Terraform must be able to assign roles on it and connect private endpoints to it. storage_replication_type and soft_delete_retention_days apply to a created account only."
            ),
            default=None,
            nullable=True,
            validation=[
                {
                    "condition": f'${{var.storage_account == null ? true : can(regex("{STORAGE_ACCOUNT_ID_RULE}", var.storage_account.id))}}',
                    "error_message": (
                        "storage_account.id must be the Resource Manager ID of a storage account: "
                        "/subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.Storage/storageAccounts/<name>."
                    ),
                },
                {
                    "condition": f'${{var.storage_account == null ? true : can(regex("{BLOB_ENDPOINT_RULE}", var.storage_account.blob_endpoint))}}',
                    "error_message": "storage_account.blob_endpoint must be the account's blob endpoint, e.g. https://<account>.blob.core.windows.net/.",
                },
                {
                    "condition": (
                        "${var.storage_account == null ? true : length(var.storage_account.container_name) >= 3 && "
                        f'length(var.storage_account.container_name) <= 63 && can(regex("{CONTAINER_NAME_RULE}", var.storage_account.container_name))}}'
                    ),
                    "error_message": (
                        "storage_account.container_name must be a blob container name: 3-63 lower-case letters, digits and "
                        "single '-' between them."
                    ),
                },
            ],
        ),
        enable_cdn=v(
            "enable_cdn",
            type="bool",
            description="Serve the container through Azure Front Door (Premium, over Private Link).",
            default=cdn,
        ),
    )


@dataclass(frozen=True)
class _Resources:
    """What the outputs read."""

    vault: ServiceKeyVault
    storage: DataStorage
    identity: Any
    audit: AuditLogs
    front_door: BlobFrontDoor
    nodes: AksNodePool
    retention: DataRetentionGuard


def _wiring(stack: ModuleStack, config: ServiceConfig, inputs: AzureInputs) -> _Resources:
    """The components, each given only what it uses. Construct ids are the Terraform names."""
    kind = config.data_type
    client = named(azurerm.data_azurerm_client_config.DataAzurermClientConfig(stack, "client"))
    client_ref = f"data.azurerm_client_config.{stable_id(client)}"
    group_ref = stable_id(
        named(azurerm.data_azurerm_resource_group.DataAzurermResourceGroup(stack, "resource_group", name=inputs.resource_group_name))
    )

    def local(name: str, expression: str) -> str:
        return f"${{local.{stable_id(named(TerraformLocal(stack, name, expression)))}}}"

    context = AzureContext(
        tenant_id=f"${{{client_ref}.tenant_id}}",
        deployer_object_id=f"${{{client_ref}.object_id}}",
        location=local("location", f"${{coalesce({inner(inputs.location)}, data.azurerm_resource_group.{group_ref}.location)}}"),
        tags=local("tags", resource_tags(inputs.tags, service_name=inputs.service_name, environment=inputs.environment, data_type=kind)),
        name_hash=local(
            "name_hash",
            f"${{substr(sha1(join(\"/\", [{client_ref}.subscription_id, {inner(inputs.resource_group_name)}, "
            f"{inner(inputs.service_name)}, {inner(inputs.environment)}])), 0, 12)}}",
        ),
        compact_service=local("compact_service", f'${{substr(replace({inner(inputs.service_name)}, "-", ""), 0, 10)}}'),
    )
    common = {
        "service_name": inputs.service_name,
        "environment": inputs.environment,
        "resource_group_name": inputs.resource_group_name,
        "location": context.location,
        "tags": context.tags,
    }
    globally_named = {**common, "compact_service": context.compact_service, "name_hash": context.name_hash}
    network_access = {
        "public_network_access_enabled": inputs.public_network_access_enabled,
        "allowed_ip_ranges": inputs.allowed_ip_ranges,
        "allowed_subnet_ids": inputs.allowed_subnet_ids,
    }

    vault = ServiceKeyVault(
        stack,
        "vault",
        ServiceKeyVaultProps(
            **globally_named,
            **network_access,
            tenant_id=context.tenant_id,
            deployer_object_id=context.deployer_object_id,
            soft_delete_retention_days=inputs.key_vault_soft_delete_retention_days,
            given_key_resource_id=inputs.key_vault_key_resource_id,
            given_storage_account=inputs.storage_account,
        ),
    )
    storage = DataStorage(
        stack,
        "data",
        DataStorageProps(
            **globally_named,
            **network_access,
            key_vault_id=vault.key_vault_id,
            key_name=vault.key_name,
            key_id=vault.key_resource_id,
            replication_type=inputs.storage_replication_type,
            soft_delete_retention_days=inputs.soft_delete_retention_days,
            point_in_time_restore=config.storage.backup_enabled,
            given_storage_account=inputs.storage_account,
        ),
    )
    identity = WorkloadIdentity(
        stack,
        "workload",
        WorkloadIdentityProps(
            **common,
            oidc_issuer_url=inputs.oidc_issuer_url,
            namespace=inputs.namespace,
            container_scope=storage.container_scope,
            key_vault_id=vault.vault.id,
        ),
    ).identity
    PrivateEndpoints(
        stack,
        "private_endpoint",
        PrivateEndpointsProps(**common, settings=inputs.private_endpoints, targets={"blob": storage.account_id_direct, "vault": vault.vault.id}),
    )
    audit = AuditLogs(
        stack,
        "audit",
        AuditLogsProps(
            **common,
            retention_days=inputs.log_retention_days,
            given_workspace_id=inputs.log_analytics_workspace_id,
            created_storage_account_id=storage.created_account_id,
            given_storage_account=inputs.storage_account,
            key_vault_id=vault.vault.id,
        ),
    )
    front_door = BlobFrontDoor(
        stack,
        "cdn",
        BlobFrontDoorProps(
            **common,
            enabled=inputs.enable_cdn,
            storage_account_id=storage.account_id,
            blob_host=storage.blob_host,
            container_name=storage.container_name,
        ),
    )
    nodes = AksNodePool(
        stack,
        "nodes",
        AksNodePoolProps(
            name=node_pool_name(context.compact_service, context.name_hash),
            service_name=inputs.service_name,
            gpu_model=inputs.gpu_model if config.gpu else None,
            tags=context.tags,
            kubernetes_cluster_id=inputs.kubernetes_cluster_id,
            vm_size=inputs.node_vm_size,
            min_size=inputs.node_min_size,
            desired_size=inputs.node_desired_size,
            max_size=inputs.node_max_size,
            disk_size_gib=inputs.node_disk_size_gib,
            os_disk_type=inputs.node_os_disk_type,
            host_encryption_enabled=inputs.host_encryption_enabled,
            ultra_ssd_enabled=inputs.ultra_ssd_enabled,
            zones=inputs.zones,
            vnet_subnet_id=inputs.vnet_subnet_id,
        ),
    )
    retention = DataRetentionGuard(
        stack,
        "retention",
        DataRetentionGuardProps(
            retain=inputs.retain_data_on_destroy,
            protected=tuple(resources_of(stack, types=AZURE_DATA_TYPES)),
            what="the storage account and its container, the Key Vault and its key, and the audit workspace (those the module created)",
        ),
    )
    return _Resources(vault, storage, identity, audit, front_door, nodes, retention)


def _outputs(stack: ModuleStack, config: ServiceConfig, made: _Resources) -> None:
    """The module's outputs: the workload module's inputs, and what an operator looks up."""
    out = stack.output
    out("storage_account_name", made.storage.account_name, "Storage account for generated data (given or created).")
    out("storage_account_id", made.storage.account_id, "Resource ID of the storage account.")
    out("container_name", made.storage.container_name, "Blob container for generated data.")
    out("blob_endpoint", made.storage.blob_endpoint, "Blob endpoint of the storage account.")
    out("key_vault_name", made.vault.vault.name, "Key Vault of the service's key and secrets.")
    out("key_vault_id", made.vault.vault.id, "Resource ID of the Key Vault.")
    out("key_vault_uri", made.vault.vault.vault_uri, "URI of the Key Vault; the service reads its secrets there.")
    out(
        "encryption_key_id",
        made.vault.key_versionless_id,
        "Customer-managed key of the created storage account (versionless; given or created); null with a given storage_account.",
    )
    out(
        "secret_names",
        list(config.security.secrets),
        "Secrets the service expects in the Key Vault; their values are set outside Terraform.",
    )
    out("identity_client_id", made.identity.client_id, "Client ID of the workload identity.")
    out("identity_principal_id", made.identity.principal_id, "Principal (object) ID of the workload identity.")
    out(
        "service_account_annotations",
        {"azure.workload.identity/client-id": made.identity.client_id},
        "Pass to the kubernetes module's service_account_annotations (pods also need the label azure.workload.identity/use=true).",
    )
    out("node_selector", made.nodes.labels, "Labels of the node pool; pass to the kubernetes module's node_selector.")
    out(
        "storage_class_name",
        storage_class_for("azure", config.storage.storage_class).storage_class_name,
        f"StorageClass for the profile's `{config.storage.storage_class}` volumes (Azure Disk CSI); pass to the kubernetes module.",
    )
    out("node_pool_name", made.nodes.node_pool.name, "Name of the AKS node pool.")
    out("log_analytics_workspace_id", made.audit.workspace_id, "Log Analytics workspace holding the audit logs.")
    out(
        "cdn_domain_name",
        made.front_door.host_name,
        "Host name of the Front Door endpoint; null without enable_cdn.",
    )
    out("retained_addresses", made.retention.addresses, RETAINED_DESCRIPTION)

