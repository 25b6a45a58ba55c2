"""What the Azure cloud-layer components share: the module's inputs, where it runs, and the props
every component has. Each component declares its own ``<Construct>Props`` with only what it uses."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from synthdata_infra.components.expressions import as_map, stable_id

# Built-in Azure RBAC roles the module assigns (by name, the same in every tenant).
BLOB_DATA_CONTRIBUTOR = "Storage Blob Data Contributor"
SECRETS_USER = "Key Vault Secrets User"
CRYPTO_OFFICER = "Key Vault Crypto Officer"
CRYPTO_SERVICE_ENCRYPTION_USER = "Key Vault Crypto Service Encryption User"


class AzureInputs(BaseModel):
    """The module's variables, as Terraform expressions; each comment names the type."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    retain_data_on_destroy: str  # bool
    service_name: str  # string
    environment: str  # string
    resource_group_name: str  # string
    location: str  # string or null
    kubernetes_cluster_id: str  # string
    oidc_issuer_url: str  # string
    namespace: str  # string
    tags: str  # map(string)
    node_vm_size: str  # string
    node_min_size: str  # number
    gpu_model: str  # string: GPU model of the nodes (GPU profiles only; labels, GCP accelerator)
    node_desired_size: str  # number
    node_max_size: str  # number
    node_disk_size_gib: str  # number
    node_os_disk_type: str  # string
    host_encryption_enabled: str  # bool
    ultra_ssd_enabled: str  # bool
    zones: str  # list(string)
    vnet_subnet_id: str  # string or null
    allowed_ip_ranges: str  # list(string)
    allowed_subnet_ids: str  # list(string)
    public_network_access_enabled: str  # bool
    private_endpoints: str  # object({subnet_id, blob_dns_zone_id, vault_dns_zone_id}) or null
    storage_replication_type: str  # string
    soft_delete_retention_days: str  # number
    key_vault_soft_delete_retention_days: str  # number
    log_retention_days: str  # number
    log_analytics_workspace_id: str  # string or null
    key_vault_key_resource_id: str  # string or null (null: the module creates the storage key)
    storage_account: str  # object({id, blob_endpoint, container_name}) or null (null: the module creates them)
    enable_cdn: str  # bool: Azure Front Door in front of the container


class AzureContext(BaseModel):
    """Expressions the module computes once: where it runs (data sources) and names and tags (locals)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    tenant_id: str
    deployer_object_id: str  # the principal running terraform
    location: str
    tags: str
    name_hash: str  # 12 hex characters, unique per subscription, resource group, service and environment
    compact_service: str  # the service name without '-', at most 10 characters


def first_instance(element: Any, attribute: str) -> str:
    """``${<type>.<name>[0].<attribute>}``: how a resource under ``count`` is read by the resources
    created under the same condition."""
    return f"${{{element.terraform_resource_type}.{stable_id(element)}[0].{attribute}}}"


class AzureResourceProps(BaseModel):
    """What every Azure component of a service takes."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    service_name: str  # expressions: names are [prefix-]<service>-<environment>[-suffix]
    environment: str
    resource_group_name: str
    location: str
    tags: str  # map(string) expression: the caller's tags plus service, environment and data type

    @property
    def tag_map(self) -> Any:
        """``tags`` where an attribute is typed as a mapping."""
        return as_map(self.tags)

    def name(self, prefix: str = "", suffix: str = "") -> str:
        """``[prefix-]<service>-<environment>[-suffix]``: unique per service and environment in a resource group."""
        parts = [prefix] if prefix else []
        parts += [self.service_name, self.environment]
        parts += [suffix] if suffix else []
        return "-".join(parts)


class GloballyNamedProps(AzureResourceProps):
    """A component creating resources whose names are global (storage accounts, Key Vaults)."""

    compact_service: str  # the service name without '-', at most 10 characters (expression)
    name_hash: str  # 12 hex characters, unique per subscription, resource group, service and environment

    def global_name(self, prefix: str) -> str:
        """A globally unique name of at most 24 lower-case letters and digits: a 2-letter prefix, the
        first 10 characters of the service without '-', and 12 hex characters of the SHA-1 of
        subscription, resource group, service and environment."""
        if len(prefix) != 2 or not prefix.isalpha() or not prefix.islower():
            raise ValueError(f"prefix must be two lower-case letters, got {prefix!r}")
        return f"{prefix}{self.compact_service}{self.name_hash}"
