"""Bring your own Key Vault key (key_vault_key_resource_id) and storage account
(storage_account): given, the module creates neither, and every user of them uses the given one.

Checked on the synthesized JSON, and evaluated by Terraform itself without the azurerm provider
(tests/without_provider.py): inputs, validations, locals, outputs and the Key Vault's
precondition, on the created and the given paths.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import TYPES, load
from tests.without_provider import evaluate

STORAGE_CREATED = "${var.storage_account == null ? 1 : 0}"
KEY_CREATED = "${var.key_vault_key_resource_id == null && var.storage_account == null ? 1 : 0}"
# What the module creates for its own storage account, and none for a given one.
STORAGE_RESOURCES = {
    ("azurerm_user_assigned_identity", "data_identity"),
    ("azurerm_role_assignment", "data_key_access"),
    ("azurerm_storage_account", "data_account"),
    ("azurerm_storage_account_customer_managed_key", "data_customer_managed_key"),
    ("azurerm_storage_management_policy", "data_lifecycle"),
    ("azurerm_storage_container", "data_container"),
    ("azurerm_monitor_diagnostic_setting", "audit_blob_diagnostics"),
}
KEY_RESOURCES = {("azurerm_key_vault_key", "vault_encryption_key"), ("azurerm_role_assignment", "vault_deployer_crypto_officer")}
REQUIRED = {
    "service_name": "customer-synth",
    "environment": "test",
    "resource_group_name": "rg-synthdata-test",
    "kubernetes_cluster_id": "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-platform/providers/Microsoft.ContainerService/managedClusters/platform",
    "oidc_issuer_url": "https://eastus.oic.prod-aks.azure.com/00000000-0000-0000-0000-000000000000/11111111-1111-1111-1111-111111111111/",
}
SUBSCRIPTION = "/subscriptions/22222222-2222-2222-2222-222222222222/resourceGroups/rg-shared"
GIVEN_KEY = f"{SUBSCRIPTION}/providers/Microsoft.KeyVault/vaults/kv-central/keys/storage"
GIVEN_STORAGE = {
    "id": f"{SUBSCRIPTION}/providers/Microsoft.Storage/storageAccounts/stshareddata",
    "blob_endpoint": "https://stshareddata.blob.core.windows.net/",
    "container_name": "customer-synth-test",
}
# The module's own vault, as the provider would report it: the given key's data-plane id uses its DNS suffix.
VAULT_URI = {"azurerm_key_vault.vault_key_vault.vault_uri": "https://kvcustomersyn0a1b2c3d4e5f.vault.azure.net/"}


@pytest.fixture(scope="module")
def azure(synthesized) -> Path:
    return synthesized("azure") / "azure"


def reads(resources: dict, address: str, *, besides: set[tuple[str, str]]) -> list[str]:
    """Resources other than ``besides`` (and the retention guard, which names addresses to keep)
    whose arguments read ``address``."""
    return [
        f"{kind}.{name}"
        for kind, blocks in resources.items()
        for name, body in blocks.items()
        if (kind, name) not in besides and kind != "terraform_data" and f"{address}." in json.dumps(body).replace(f"{address}[0].", f"{address}.")
    ]


@pytest.mark.parametrize("kind", TYPES)
def test_inputs_are_optional_nullable_described_and_validated(azure, kind):
    variables = load(azure / kind, "variables.tf.json")["variable"]
    key, storage = variables["key_vault_key_resource_id"], variables["storage_account"]
    assert key["type"] == "string"
    assert storage["type"] == "object({ id = string, blob_endpoint = string, container_name = string })"
    for name, variable in (("key_vault_key_resource_id", key), ("storage_account", storage)):
        assert variable["default"] is None and variable["nullable"] is True
        assert "null creates" in variable["description"]
        assert variable["validation"]
        for validation in variable["validation"]:
            # null stays allowed; a value must match the format.
            assert validation["condition"].startswith(f"${{var.{name} == null ? true : ")
            assert validation["error_message"].startswith(name)


@pytest.mark.parametrize("kind", TYPES)
def test_a_given_storage_account_replaces_the_created_one_everywhere(azure, kind):
    module = azure / kind
    main = load(module, "main.tf.json")
    resources = main["resource"]
    for resource_type, name in STORAGE_RESOURCES:
        assert resources[resource_type][name]["count"] == STORAGE_CREATED, f"{resource_type}.{name}"
    assert resources["azurerm_storage_account"]["data_account"]["identity"]["identity_ids"] == ["${azurerm_user_assigned_identity.data_identity[0].id}"]
    # Locals pick the given account and container, or the created ones.
    for local, given, created in (
        ("data_storage_account_id", "var.storage_account.id", "one(azurerm_storage_account.data_account[*].id)"),
        ("data_blob_endpoint", "var.storage_account.blob_endpoint", "one(azurerm_storage_account.data_account[*].primary_blob_endpoint)"),
        ("data_container_name", "var.storage_account.container_name", "one(azurerm_storage_container.data_container[*].name)"),
    ):
        assert main["locals"][local] == f"${{var.storage_account == null ? {created} : {given}}}"
    # Nothing else reads the created account or container but the private endpoint, whose choice is checked below.
    for address in ("azurerm_storage_account.data_account", "azurerm_storage_container.data_container"):
        assert reads(resources, address, besides=STORAGE_RESOURCES | {("azurerm_private_endpoint", "private_endpoint_blob")}) == [], address
    scope = "${local.data_storage_account_id}/blobServices/default/containers/${local.data_container_name}"
    assert resources["azurerm_role_assignment"]["workload_blob_data"]["scope"] == scope
    # The private endpoint makes the same choice inline (checkov links it to the account only by a direct reference).
    blob_endpoint = resources["azurerm_private_endpoint"]["private_endpoint_blob"]["private_service_connection"]
    assert blob_endpoint["private_connection_resource_id"] == (
        "${var.storage_account == null ? azurerm_storage_account.data_account[0].id : var.storage_account.id}"
    )
    # Front Door (every type, behind enable_cdn): its origin is the account in use
    (origin,) = resources["azurerm_cdn_frontdoor_origin"].values()
    assert origin["private_link"]["private_link_target_id"] == "${local.data_storage_account_id}"
    assert origin["host_name"] == "${local.data_blob_host}"
    (route,) = resources["azurerm_cdn_frontdoor_route"].values()
    assert route["cdn_frontdoor_origin_path"] == "/${local.data_container_name}"
    outputs = load(module, "outputs.tf.json")["output"]
    for output, local in (
        ("storage_account_id", "data_storage_account_id"),
        ("storage_account_name", "data_storage_account_name"),
        ("container_name", "data_container_name"),
        ("blob_endpoint", "data_blob_endpoint"),
    ):
        assert outputs[output]["value"] == f"${{local.{local}}}"


@pytest.mark.parametrize("kind", TYPES)
def test_a_given_key_replaces_the_created_one_everywhere(azure, kind):
    module = azure / kind
    main = load(module, "main.tf.json")
    resources = main["resource"]
    for resource_type, name in KEY_RESOURCES:
        assert resources[resource_type][name]["count"] == KEY_CREATED, f"{resource_type}.{name}"
    locals_ = main["locals"]
    assert locals_["vault_key_resource_id"] == (
        "${var.key_vault_key_resource_id == null ? one(azurerm_key_vault_key.vault_encryption_key[*].resource_versionless_id) "
        ": var.key_vault_key_resource_id}"
    )
    for local in ("vault_key_vault_id", "vault_key_name", "vault_key_versionless_id"):
        assert locals_[local].startswith("${var.key_vault_key_resource_id == null ? "), local
    assert reads(resources, "azurerm_key_vault_key.vault_encryption_key", besides=KEY_RESOURCES) == []
    assert resources["azurerm_role_assignment"]["data_key_access"]["scope"] == "${local.vault_key_resource_id}"
    cmk = resources["azurerm_storage_account_customer_managed_key"]["data_customer_managed_key"]
    assert (cmk["key_vault_id"], cmk["key_name"]) == ("${local.vault_key_vault_id}", "${local.vault_key_name}")
    assert load(module, "outputs.tf.json")["output"]["encryption_key_id"]["value"] == "${local.vault_key_versionless_id}"
    # A given key encrypts the account the module creates: with a given account it would do nothing.
    vault = resources["azurerm_key_vault"]["vault_key_vault"]
    (check,) = vault["lifecycle"]["precondition"]
    assert check["condition"] == "${var.key_vault_key_resource_id == null || var.storage_account == null}"


@pytest.mark.integration
def test_terraform_evaluates_the_created_and_the_given_key_and_account(azure, tmp_path):
    """The image module (it has Front Door), evaluated by Terraform: outputs, validations, preconditions."""
    module = azure / "image"
    created = evaluate(module, tmp_path / "created", REQUIRED)
    assert created.ok, created.errors
    assert created.outputs["storage_account_id"] == "azurerm_storage_account.data_account.id"
    assert created.outputs["container_name"] == "azurerm_storage_container.data_container.name"
    assert created.outputs["encryption_key_id"] == "azurerm_key_vault_key.vault_encryption_key.versionless_id"

    key = evaluate(module, tmp_path / "key", {**REQUIRED, "key_vault_key_resource_id": GIVEN_KEY}, known=VAULT_URI)
    assert key.ok, key.errors
    assert key.outputs["encryption_key_id"] == "https://kv-central.vault.azure.net/keys/storage"
    assert key.outputs["storage_account_id"] == "azurerm_storage_account.data_account.id"

    storage = evaluate(module, tmp_path / "storage", {**REQUIRED, "storage_account": GIVEN_STORAGE})
    assert storage.ok, storage.errors
    assert storage.outputs["storage_account_id"] == GIVEN_STORAGE["id"]
    assert storage.outputs["storage_account_name"] == "stshareddata"
    assert storage.outputs["blob_endpoint"] == GIVEN_STORAGE["blob_endpoint"]
    assert storage.outputs["container_name"] == GIVEN_STORAGE["container_name"]
    # Null (terraform lists no null output): the given account's encryption is its owner's.
    assert "encryption_key_id" not in storage.outputs

    refused = {
        "key and account": (
            {"key_vault_key_resource_id": GIVEN_KEY, "storage_account": GIVEN_STORAGE},
            "key_vault_key_resource_id encrypts the storage account the module creates",
        ),
        "a key version": ({"key_vault_key_resource_id": f"{GIVEN_KEY}/0123456789abcdef0123456789abcdef"}, "key_vault_key_resource_id must be"),
        "a data-plane key id": (
            {"key_vault_key_resource_id": "https://kv-central.vault.azure.net/keys/storage"},
            "key_vault_key_resource_id must be",
        ),
        "an account name": ({"storage_account": {**GIVEN_STORAGE, "id": "stshareddata"}}, "storage_account.id must be"),
        "an endpoint without https": (
            {"storage_account": {**GIVEN_STORAGE, "blob_endpoint": "stshareddata.blob.core.windows.net"}},
            "storage_account.blob_endpoint must be",
        ),
        "a container with double hyphens": (
            {"storage_account": {**GIVEN_STORAGE, "container_name": "customer--synth"}},
            "storage_account.container_name must be",
        ),
    }
    for case, (inputs, message) in refused.items():
        result = evaluate(module, tmp_path / case.replace(" ", "-"), {**REQUIRED, **inputs}, known=VAULT_URI)
        assert not result.ok and message in result.errors, f"{case}: {result.errors}"
