"""Every cloud module keeps its data on destroy by default: the retention guard depends on the
bucket, the key that encrypts it, the audit logs and the secrets of its provider, so Terraform
must destroy the guard first, and the guard refuses while retain_data_on_destroy is true.
(AWS is also applied and destroyed against moto in tests/aws/test_aws_modules.py.)"""

from __future__ import annotations

import json

import pytest

from tests.conftest import REPO, TYPES

# Per provider: resource types that hold or protect data, read from the modules' own resources.
DATA_TYPES = {
    "aws": {"aws_s3_bucket", "aws_kms_key", "aws_cloudwatch_log_group", "aws_secretsmanager_secret", "aws_s3_bucket_server_side_encryption_configuration", "aws_s3_bucket_versioning", "aws_s3_bucket_public_access_block", "aws_s3_bucket_policy"},
    "gcp": {"google_storage_bucket", "google_kms_crypto_key", "google_kms_key_ring", "google_secret_manager_secret", "google_logging_project_bucket_config"},
    "azure": {"azurerm_storage_account", "azurerm_key_vault", "azurerm_key_vault_key", "azurerm_log_analytics_workspace"},
}


def holds_data(module) -> bool:
    resources = json.loads((module / "main.tf.json").read_text()).get("resource", {})
    return bool(DATA_TYPES[module.parent.name] & set(resources))


# Every per-type cloud module, and any other module of a cloud that creates data (the AWS platform's volume key).
MODULES = sorted(
    path.parent
    for provider in DATA_TYPES
    for path in (REPO / "modules_out" / provider).glob("*/main.tf.json")
    if path.parent.name in TYPES or (path.parent.name != "monitoring" and holds_data(path.parent))
)


@pytest.mark.parametrize("module", MODULES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_the_guard_covers_every_data_resource_and_is_on_by_default(module):
    provider = module.parent.name
    main = json.loads((module / "main.tf.json").read_text())
    variables = json.loads((module / "variables.tf.json").read_text())["variable"]
    outputs = json.loads((module / "outputs.tf.json").read_text())["output"]
    assert variables["retain_data_on_destroy"]["default"] is True
    assert variables["retain_data_on_destroy"]["nullable"] is False
    guard = main["resource"]["terraform_data"]["retention_guard"]
    data = {f"{kind}.{name}" for kind, blocks in main["resource"].items() if kind in DATA_TYPES[provider] for name in blocks}
    assert data and data <= set(guard["depends_on"])
    assert outputs["retained_addresses"]["value"] == guard["depends_on"]
    (provisioner,) = guard["provisioner"]
    assert provisioner["local-exec"]["when"] == "destroy"
    assert provisioner["local-exec"]["command"].startswith("${self.input.retain ?")
    assert guard["input"]["retain"] == "${var.retain_data_on_destroy}"
