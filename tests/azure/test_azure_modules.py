"""The Azure cloud layer: the synthesized JSON of every module, checked against the profiles and
the catalog (azurerm is not on the offline provider mirror, so nothing here runs terraform
validate; checkov scans the modules in tests/test_checkov.py once they are in modules_out)."""

from __future__ import annotations

import json
import math
import re
import subprocess
from pathlib import Path

import pytest

from synthdata_infra.catalog import catalog, storage_class_for
from synthdata_infra.config import resolve
from synthdata_infra.planning import placement_for
from tests.conftest import GPU_TYPES, TYPES, load, resources

IDENTITY_ROLES = {"Storage Blob Data Contributor", "Key Vault Secrets User"}
TAGGED = (
    "azurerm_storage_account",
    "azurerm_key_vault",
    "azurerm_key_vault_key",
    "azurerm_user_assigned_identity",
    "azurerm_kubernetes_cluster_node_pool",
    "azurerm_log_analytics_workspace",
    "azurerm_private_endpoint",
    "azurerm_cdn_frontdoor_profile",
    "azurerm_cdn_frontdoor_endpoint",
)

# The storage account, container and key in use: the ones given (storage_account,
# key_vault_key_resource_id) or the ones the module creates (tests/azure/test_azure_bring_your_own.py
# checks both paths). The module's own resources are under count and read each other at [0].
ACCOUNT_ID = "${local.data_storage_account_id}"
CONTAINER_SCOPE = "${local.data_storage_account_id}/blobServices/default/containers/${local.data_container_name}"

NODE_SIZES_CHECK = {
    "condition": "${var.node_min_size <= var.node_desired_size && var.node_desired_size <= var.node_max_size}",
    "error_message": "node_min_size <= node_desired_size <= node_max_size must hold.",
}


@pytest.fixture(scope="module")
def azure(synthesized) -> Path:
    return synthesized("azure") / "azure"


def profile(kind: str):
    return resolve(kind, environment=None)


def only(module: Path, resource_type: str) -> tuple[str, dict]:
    (item,) = resources(module, resource_type).items()
    return item


def variables(module: Path) -> dict[str, dict]:
    return load(module, "variables.tf.json")["variable"]


def default(module: Path, name: str):
    return variables(module)[name]["default"]


def catalog_row(name: str):
    (row,) = [row for row in catalog("azure").instance_types if row.name == name]
    return row


# --- inputs (child-module rules for every module: tests/synth/test_conformance.py) ----------


@pytest.mark.parametrize("kind", TYPES)
def test_only_the_references_are_required(azure, kind):
    """Types and descriptions of every input: tests/synth/test_conformance.py."""
    specs = variables(azure / kind)
    required = {name for name, spec in specs.items() if "default" not in spec}
    assert required == {"service_name", "environment", "resource_group_name", "kubernetes_cluster_id", "oidc_issuer_url"}


# --- node pool --------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", TYPES)
def test_node_pool_vm_size_and_counts_come_from_the_catalog(azure, kind):
    module, config = azure / kind, profile(kind)
    placement = placement_for(config, "azure")
    _, pool = only(module, "azurerm_kubernetes_cluster_node_pool")
    assert pool["vm_size"] == "${var.node_vm_size}"
    size = default(module, "node_vm_size")
    assert size == placement.instance_type
    row = catalog_row(size)
    if config.gpu:
        assert row.gpu is not None and row.gpu.model == config.gpu.type and row.gpu.count >= config.gpu.count
    else:
        assert row.gpu is None
    per_node = placement.replicas_per_node
    assert default(module, "node_min_size") == math.ceil(config.scaling.min_replicas / per_node)
    assert default(module, "node_max_size") == math.ceil(config.scaling.max_replicas / per_node)
    assert default(module, "node_desired_size") == placement.nodes
    assert pool["auto_scaling_enabled"] is True and pool["mode"] == "User"
    assert (pool["min_count"], pool["max_count"], pool["node_count"]) == (
        "${var.node_min_size}", "${var.node_max_size}", "${var.node_desired_size}",
    )
    assert pool["lifecycle"] == {"precondition": [NODE_SIZES_CHECK], "ignore_changes": ["node_count"]}
    assert pool["host_encryption_enabled"] == "${var.host_encryption_enabled}"
    assert default(module, "host_encryption_enabled") is True
    assert pool["zones"] == "${var.zones}" and pool["vnet_subnet_id"] == "${var.vnet_subnet_id}"
    assert pool["kubernetes_cluster_id"] == "${var.kubernetes_cluster_id}"
    assert "vnet_subnet_id" in variables(module) and variables(module)["vnet_subnet_id"]["default"] is None


def test_gpu_families_per_profile(azure):
    assert re.fullmatch(r"Standard_NC\d+as_T4_v3", default(azure / "image", "node_vm_size"))
    video = catalog_row(default(azure / "video", "node_vm_size"))
    assert video.gpu.model == "nvidia-tesla-v100" and video.gpu.count >= 2
    for kind in set(TYPES) - set(GPU_TYPES):
        assert catalog_row(default(azure / kind, "node_vm_size")).gpu is None


def test_why_video_is_not_on_the_two_gpu_v100_size():
    """The catalog's only 2 x V100 size (NC12s_v3) has fewer vCPUs and less bandwidth than one
    video replica asks for, so placement picks the next V100 size up."""
    config = profile("video")
    two_gpu = [r for r in catalog("azure").instance_types if r.gpu and r.gpu.model == "nvidia-tesla-v100" and r.gpu.count == 2]
    assert two_gpu
    for row in two_gpu:
        assert row.vcpu < config.resources.cpu_cores or row.network_gbps < config.networking.bandwidth_gbps


def test_a100_override_gives_an_a100_size(tmp_path):
    from synthdata_infra.cdk import App
    from synthdata_infra.synth.azure_module import build

    config = resolve("video", environment=None, overrides={"gpu": {"type": "nvidia-a100"}})
    app = App(outdir=str(tmp_path), skip_validation=True)
    build(app, "azure-video", config)
    app.synth()
    stack = json.loads((tmp_path / "stacks" / "azure-video" / "cdk.tf.json").read_text())
    size = stack["variable"]["node_vm_size"]["default"]
    assert catalog_row(size).gpu.model == "nvidia-a100"
    (pool,) = stack["resource"]["azurerm_kubernetes_cluster_node_pool"].values()
    assert pool["node_labels"]["synthdata.io/accelerator"] == "${var.gpu_model}"
    assert stack["variable"]["gpu_model"]["default"] == "nvidia-a100"


@pytest.mark.parametrize("kind", TYPES)
def test_taint_and_labels_only_for_gpu_types(azure, kind):
    module, config = azure / kind, profile(kind)
    _, pool = only(module, "azurerm_kubernetes_cluster_node_pool")
    expected = {"synthdata.io/node-pool": "${var.service_name}"}
    if kind in GPU_TYPES:
        expected["synthdata.io/accelerator"] = "${var.gpu_model}"
        assert load(module, "variables.tf.json")["variable"]["gpu_model"]["default"] == config.gpu.type
        assert pool["node_taints"] == ["nvidia.com/gpu=present:NoSchedule"]
    else:
        assert "node_taints" not in pool
    assert pool["node_labels"] == expected
    assert load(module, "outputs.tf.json")["output"]["node_selector"]["value"] == expected


@pytest.mark.parametrize("kind", TYPES)
def test_node_disk_follows_the_profile(azure, kind):
    module, config = azure / kind, profile(kind)
    _, pool = only(module, "azurerm_kubernetes_cluster_node_pool")
    assert pool["os_disk_size_gb"] == "${var.node_disk_size_gib}"
    cache = config.specific.model_cache
    cache_gib = int(cache.size.removesuffix("Gi")) if cache and cache.enabled else 0
    assert default(module, "node_disk_size_gib") == 50 + cache_gib
    sku = storage_class_for("azure", config.resources.storage_type).parameters["skuName"]
    local_speed = sku in ("PremiumV2_LRS", "UltraSSD_LRS")  # cannot be OS disks: ephemeral is closest
    assert default(module, "node_os_disk_type") == ("Ephemeral" if local_speed else "Managed")
    volumes = storage_class_for("azure", config.storage.storage_class).parameters.get("skuName")
    assert default(module, "ultra_ssd_enabled") is (volumes == "UltraSSD_LRS")
    outputs = load(module, "outputs.tf.json")["output"]
    assert outputs["storage_class_name"]["value"] == storage_class_for("azure", config.storage.storage_class).storage_class_name


# --- storage, key vault, secrets ---------------------------------------------------------------


@pytest.mark.parametrize("kind", TYPES)
def test_storage_account_controls(azure, kind):
    module = azure / kind
    account_id, account = only(module, "azurerm_storage_account")
    assert account["https_traffic_only_enabled"] is True
    assert account["min_tls_version"] == "TLS1_2"
    assert account["allow_nested_items_to_be_public"] is False
    assert account["shared_access_key_enabled"] is False
    assert account["infrastructure_encryption_enabled"] is True
    assert account["public_network_access_enabled"] == "${var.public_network_access_enabled}"
    assert account["network_rules"]["default_action"] == "Deny"
    assert "AzureServices" in account["network_rules"]["bypass"]
    assert account["network_rules"]["ip_rules"] == "${var.allowed_ip_ranges}"
    blob = account["blob_properties"]
    assert blob["versioning_enabled"] is True
    assert blob["delete_retention_policy"] == {"days": "${var.soft_delete_retention_days}"}
    assert blob["container_delete_retention_policy"] == {"days": "${var.soft_delete_retention_days}"}
    assert ("restore_policy" in blob) is profile(kind).storage.backup_enabled
    assert account["identity"]["type"] == "UserAssigned"
    (storage_identity,) = account["identity"]["identity_ids"]
    assert account["name"] == "st${local.compact_service}${local.name_hash}"
    _, container = only(module, "azurerm_storage_container")
    assert container["container_access_type"] == "private"
    assert container["storage_account_id"] == f"${{azurerm_storage_account.{account_id}[0].id}}"


@pytest.mark.parametrize("kind", TYPES)
def test_customer_managed_key_from_a_purge_protected_vault(azure, kind):
    module = azure / kind
    vault_id, vault = only(module, "azurerm_key_vault")
    assert vault["purge_protection_enabled"] is True
    assert vault["rbac_authorization_enabled"] is True
    assert vault["soft_delete_retention_days"] == "${var.key_vault_soft_delete_retention_days}"
    assert vault["network_acls"] == {
        "default_action": "Deny",
        "bypass": "AzureServices",
        "ip_rules": "${var.allowed_ip_ranges}",
        "virtual_network_subnet_ids": "${var.allowed_subnet_ids}",
    }
    assert vault["public_network_access_enabled"] == "${var.public_network_access_enabled}"
    assert vault["name"] == "kv${local.compact_service}${local.name_hash}"
    key_id, key = only(module, "azurerm_key_vault_key")
    assert key["key_vault_id"] == f"${{azurerm_key_vault.{vault_id}.id}}"
    assert key["key_type"].startswith("RSA") and key["key_size"] >= 3072
    assert {"wrapKey", "unwrapKey"} <= set(key["key_opts"])
    assert key["expiration_date"] and key["rotation_policy"]["expire_after"]
    assert key["rotation_policy"]["automatic"]["time_before_expiry"]
    account_id, account = only(module, "azurerm_storage_account")
    _, cmk = only(module, "azurerm_storage_account_customer_managed_key")
    assert cmk["storage_account_id"] == f"${{azurerm_storage_account.{account_id}[0].id}}"
    # The key's vault and name, and the key the account's identity may use: the created one by default.
    locals_ = load(module, "main.tf.json")["locals"]
    assert cmk["key_vault_id"] == "${local.vault_key_vault_id}"
    assert f"== null ? azurerm_key_vault.{vault_id}.id :" in locals_["vault_key_vault_id"]
    assert cmk["key_name"] == "${local.vault_key_name}"
    assert f"== null ? one(azurerm_key_vault_key.{key_id}[*].name) :" in locals_["vault_key_name"]
    assert "key_version" not in cmk  # follows the key's rotation
    assert cmk["user_assigned_identity_id"] == account["identity"]["identity_ids"][0]
    # The account's identity may use the key, and the key is granted before it is configured.
    grants = [
        (name, a) for name, a in resources(module, "azurerm_role_assignment").items()
        if a["role_definition_name"] == "Key Vault Crypto Service Encryption User"
    ]
    ((grant_id, grant),) = grants
    assert grant["scope"] == "${local.vault_key_resource_id}"
    assert f"== null ? one(azurerm_key_vault_key.{key_id}[*].resource_versionless_id) :" in locals_["vault_key_resource_id"]
    identity_ref = account["identity"]["identity_ids"][0].removesuffix(".id}")
    assert grant["principal_id"] == f"{identity_ref}.principal_id}}"
    assert f"azurerm_role_assignment.{grant_id}" in cmk["depends_on"]


@pytest.mark.parametrize("kind", TYPES)
def test_no_secret_values_anywhere(azure, kind):
    module, config = azure / kind, profile(kind)
    main = load(module, "main.tf.json")
    assert "azurerm_key_vault_secret" not in main["resource"]
    assert not any(t.startswith("azurerm_key_vault_secret") for t in main.get("data", {}))

    def keys(value):
        if isinstance(value, dict):
            for key, item in value.items():
                yield key
                yield from keys(item)
        elif isinstance(value, list):
            for item in value:
                yield from keys(item)

    assert "value" not in set(keys(main)) and "secret_value" not in set(keys(main))
    outputs = load(module, "outputs.tf.json")["output"]
    assert outputs["secret_names"]["value"] == list(config.security.secrets)
    assert outputs["key_vault_uri"]["value"].endswith(".vault_uri}")


# --- identity ---------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", TYPES)
def test_federated_credential_binds_only_the_service_account(azure, kind):
    module = azure / kind
    identities = resources(module, "azurerm_user_assigned_identity")
    _, credential = only(module, "azurerm_federated_identity_credential")
    assert credential["subject"] == "system:serviceaccount:${var.namespace}:${var.service_name}"
    assert credential["issuer"] == "${var.oidc_issuer_url}"
    assert credential["audience"] == ["api://AzureADTokenExchange"]
    workload = credential["parent_id"].removeprefix("${azurerm_user_assigned_identity.").removesuffix(".id}")
    assert workload in identities
    assert default(module, "namespace") == profile(kind).deployment.namespace
    outputs = load(module, "outputs.tf.json")["output"]
    client_id = f"${{azurerm_user_assigned_identity.{workload}.client_id}}"
    assert outputs["service_account_annotations"]["value"] == {"azure.workload.identity/client-id": client_id}
    assert outputs["identity_client_id"]["value"] == client_id


@pytest.mark.parametrize("kind", TYPES)
def test_workload_roles_are_scoped_to_its_container_and_vault(azure, kind):
    module = azure / kind
    vault_id, _ = only(module, "azurerm_key_vault")
    _, credential = only(module, "azurerm_federated_identity_credential")
    principal = credential["parent_id"].removesuffix(".id}") + ".principal_id}"
    workload = {a["role_definition_name"]: a for a in resources(module, "azurerm_role_assignment").values() if a["principal_id"] == principal}
    assert set(workload) == IDENTITY_ROLES
    assert workload["Storage Blob Data Contributor"]["scope"] == CONTAINER_SCOPE
    assert workload["Key Vault Secrets User"]["scope"] == f"${{azurerm_key_vault.{vault_id}.id}}"
    # Nothing in the module is granted at subscription or resource-group scope: every scope is one
    # of its resources, or the given or created container or key.
    for assignment in resources(module, "azurerm_role_assignment").values():
        assert assignment["scope"].startswith(("${azurerm_", CONTAINER_SCOPE, "${local.vault_key_resource_id}")), assignment["scope"]


# --- logs, CDN, tags --------------------------------------------------------------------------


@pytest.mark.parametrize("kind", TYPES)
def test_audit_logs_keep_the_profile_retention(azure, kind):
    module, config = azure / kind, profile(kind)
    _, workspace = only(module, "azurerm_log_analytics_workspace")
    assert workspace["retention_in_days"] == "${var.log_retention_days}"
    assert default(module, "log_retention_days") == min(max(config.data_policies.audit_logging.retention_days, 30), 730)
    account_id, _ = only(module, "azurerm_storage_account")
    vault_id, _ = only(module, "azurerm_key_vault")
    targets = {
        s["target_resource_id"]: {log["category"] for log in s["enabled_log"]}
        for s in resources(module, "azurerm_monitor_diagnostic_setting").values()
    }
    assert targets == {
        # Only a created account's blob logs (a given account keeps its own diagnostic settings).
        f"${{azurerm_storage_account.{account_id}[0].id}}/blobServices/default": {"StorageRead", "StorageWrite", "StorageDelete"},
        f"${{azurerm_key_vault.{vault_id}.id}}": {"AuditEvent"},
    }


@pytest.mark.parametrize("kind", TYPES)
def test_front_door_behind_enable_cdn(azure, kind):
    module = azure / kind
    main = load(module, "main.tf.json")["resource"]
    # Every type has Front Door; enable_cdn defaults to the profile's storage.cdn_enabled.
    cdn = profile(kind).storage.cdn_enabled
    assert cdn is (kind == "image")
    assert load(module, "variables.tf.json")["variable"]["enable_cdn"]["default"] is cdn
    front_door = {t for t in main if t.startswith("azurerm_cdn_frontdoor_")}
    output = load(module, "outputs.tf.json")["output"]["cdn_domain_name"]["value"]
    assert front_door == {f"azurerm_cdn_frontdoor_{t}" for t in ("profile", "endpoint", "origin_group", "origin", "route")}
    for resource_type in front_door:
        _, body = only(module, resource_type)
        assert body["count"] == "${var.enable_cdn ? 1 : 0}", resource_type
    _, origin = only(module, "azurerm_cdn_frontdoor_origin")
    assert origin["host_name"] == "${local.data_blob_host}"
    assert origin["private_link"]["private_link_target_id"] == ACCOUNT_ID
    assert origin["private_link"]["target_type"] == "blob"
    _, route = only(module, "azurerm_cdn_frontdoor_route")
    assert route["supported_protocols"] == ["Https"] and route["forwarding_protocol"] == "HttpsOnly"
    endpoint_id, _ = only(module, "azurerm_cdn_frontdoor_endpoint")
    assert output == f"${{one(azurerm_cdn_frontdoor_endpoint.{endpoint_id}[*].host_name)}}"


@pytest.mark.parametrize("kind", TYPES)
def test_tags_merge_the_callers_with_service_environment_and_type(azure, kind):
    module = azure / kind
    main = load(module, "main.tf.json")
    tags = main["locals"]["tags"]
    assert tags.startswith("${merge(var.tags, {")
    for fragment in ('"synthdata:service" = var.service_name', '"synthdata:environment" = var.environment', f'"synthdata:data-type" = "{kind}"'):
        assert fragment in tags
    for resource_type in TAGGED:
        for name, body in main["resource"].get(resource_type, {}).items():
            assert body["tags"] == "${local.tags}", f"{resource_type}.{name}"


# --- example ----------------------------------------------------------------------------------


@pytest.mark.integration
@pytest.mark.parametrize("kind", TYPES)
def test_example_calls_both_modules_with_their_required_inputs(azure, synthesized, kind):
    example = azure / kind / "examples" / "complete"
    text = (example / "main.tf").read_text()
    fmt = subprocess.run(["terraform", "fmt", "-check", "-no-color"], cwd=example, capture_output=True, text=True, check=False)
    assert fmt.returncode == 0, fmt.stdout + fmt.stderr
    workload = synthesized("onprem") / "kubernetes" / kind
    registry = f'"app.terraform.io/<ORG>/synthdata-{kind.replace("_", "-")}/kubernetes"'
    for source, module in (('"../.."', azure / kind), (registry, workload)):
        block = re.split(rf"source +=\s*{re.escape(source)}", text, maxsplit=1)[1].split("\n}", 1)[0]
        for name, variable in load(module, "variables.tf.json")["variable"].items():
            if "default" not in variable:
                assert f"\n  {name} " in block, f"{source} lacks required input {name}"
    assert 'provider "azurerm"' in text and "features {}" in text and 'provider "kubernetes"' in text
    assert 'data "azurerm_kubernetes_cluster" "this"' in text
    assert "data.azurerm_kubernetes_cluster.this.oidc_issuer_url" in text
    assert "module.cloud.service_account_annotations" in text
    assert '"azure.workload.identity/use" = "true"' in text


@pytest.mark.parametrize("kind", TYPES)
def test_readme_notes_how_the_module_is_tested(azure, kind):
    readme = (azure / kind / "README.md").read_text()
    assert "not `terraform validate`d here" in readme
    assert 'azure.workload.identity/use: "true"' in readme


@pytest.mark.parametrize("kind", TYPES)
def test_nested_blocks_survive_the_bindings(azure, kind):
    """Multi-word keys inside nested blocks are what the Python bindings drop silently."""
    module = azure / kind
    account_id, _ = only(module, "azurerm_storage_account")
    _, policy = only(module, "azurerm_storage_management_policy")
    assert policy["storage_account_id"] == f"${{azurerm_storage_account.{account_id}[0].id}}"
    (rule,) = policy["rule"]
    assert rule["enabled"] is True and rule["filters"] == {"blob_types": ["blockBlob"]}
    assert rule["actions"]["base_blob"] == {
        "tier_to_cool_after_days_since_last_access_time_greater_than": 30,
        "auto_tier_to_hot_from_cool_enabled": True,
    }
    assert rule["actions"]["version"] == {"delete_after_days_since_creation": 90}
    _, pool = only(module, "azurerm_kubernetes_cluster_node_pool")
    assert pool["upgrade_settings"] == {"max_surge": "1"}
    endpoints = resources(module, "azurerm_private_endpoint")
    assert set(endpoints) == {"private_endpoint_blob", "private_endpoint_vault"}
    for subresource in ("blob", "vault"):
        endpoint = endpoints[f"private_endpoint_{subresource}"]
        assert endpoint["count"] == "${var.private_endpoints == null ? 0 : 1}"
        assert endpoint["subnet_id"] == "${var.private_endpoints.subnet_id}"
        assert endpoint["private_service_connection"]["subresource_names"] == [subresource]
        assert endpoint["private_service_connection"]["is_manual_connection"] is False
        assert endpoint["private_dns_zone_group"]["private_dns_zone_ids"] == [f"${{var.private_endpoints.{subresource}_dns_zone_id}}"]
