"""Bring your own Cloud KMS key (kms_key_id) and bucket (bucket_name): given, the module creates
neither, and every user of the key or the bucket uses the given one.

Checked on the synthesized JSON, and evaluated by Terraform itself without the google provider
(tests/without_provider.py): inputs, validations, locals, outputs and the node pool's
preconditions, on the created and the given paths.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import TYPES, load
from tests.without_provider import evaluate

KEY_ID = "${local.encryption_key_id}"
BUCKET_NAME = "${local.data_bucket_name}"
# Attributes that name the key a resource encrypts with (or grants on).
KEY_ATTRIBUTES = {"crypto_key_id", "kms_key_name", "default_kms_key_name", "boot_disk_kms_key"}
REQUIRED = {
    "service_name": "customer-synth",
    "environment": "test",
    "project_id": "synthdata-test",
    "cluster_name": "platform",
    "cluster_location": "us-central1",
}
GIVEN_KEY = "projects/security-keys/locations/us-central1/keyRings/platform/cryptoKeys/synthdata"
GIVEN_BUCKET = "shared-generated-data"


@pytest.fixture(scope="module")
def gcp(synthesized) -> Path:
    return synthesized("gcp") / "gcp"


def attributes(value, names: set[str]):
    """(name, value) of every attribute called one of ``names``, at any depth."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key in names:
                yield key, item
            yield from attributes(item, names)
    elif isinstance(value, list):
        for item in value:
            yield from attributes(item, names)


@pytest.mark.parametrize("kind", TYPES)
@pytest.mark.parametrize("name", ["kms_key_id", "bucket_name"])
def test_inputs_are_optional_nullable_described_and_validated(gcp, kind, name):
    variable = load(gcp / kind, "variables.tf.json")["variable"][name]
    assert variable["type"] == "string"
    assert variable["default"] is None and variable["nullable"] is True
    assert "null creates" in variable["description"]
    (validation,) = variable["validation"]
    # null stays allowed; a value must match the format.
    assert validation["condition"].startswith(f"${{var.{name} == null ? true : can(regex(")
    assert validation["error_message"].startswith(f"{name} must be")


@pytest.mark.parametrize("kind", TYPES)
def test_a_given_key_replaces_the_created_one_everywhere(gcp, kind):
    module = gcp / kind
    main = load(module, "main.tf.json")
    resources = main["resource"]
    created = "${var.kms_key_id == null ? 1 : 0}"
    assert resources["google_kms_key_ring"]["encryption_key_ring"]["count"] == created
    assert resources["google_kms_crypto_key"]["encryption_key"]["count"] == created
    assert resources["google_kms_crypto_key"]["encryption_key"]["key_ring"] == "${google_kms_key_ring.encryption_key_ring[0].id}"
    assert main["locals"]["encryption_key_id"] == "${coalesce(var.kms_key_id, one(google_kms_crypto_key.encryption_key[*].id))}"
    users = list(attributes(resources, KEY_ATTRIBUTES))
    # The bucket, each secret, the audit log bucket, the node pool, and the grants of four service agents and the workload.
    assert len(users) >= 9 and {value for _, value in users} == {KEY_ID}
    # Nothing else reads the created key (the retention guard names it, as an address to keep).
    others = {kind: blocks for kind, blocks in resources.items() if kind not in ("google_kms_crypto_key", "google_kms_key_ring", "terraform_data")}
    assert "google_kms_crypto_key.encryption_key" not in json.dumps(others)
    assert load(module, "outputs.tf.json")["output"]["kms_key_id"]["value"] == KEY_ID
    # A given key must be in the module's region: the node pool (always created) checks it at plan time.
    (pool,) = resources["google_container_node_pool"].values()
    assert {
        "condition": '${var.kms_key_id == null ? true : split("/", var.kms_key_id)[3] == local.region}',
        "error_message": "kms_key_id must be a key in the module's region (the region input, or the cluster's).",
    } in pool["lifecycle"]["precondition"]


@pytest.mark.parametrize("kind", TYPES)
def test_a_given_bucket_replaces_the_created_one_everywhere(gcp, kind):
    module = gcp / kind
    main = load(module, "main.tf.json")
    resources = main["resource"]
    bucket = resources["google_storage_bucket"]["data_bucket"]
    assert bucket["count"] == "${var.bucket_name == null ? 1 : 0}"
    assert main["locals"]["data_bucket_name"] == "${coalesce(var.bucket_name, one(google_storage_bucket.data_bucket[*].name))}"
    users = [value for _, value in attributes({k: v for k, v in resources.items() if k != "google_storage_bucket"}, {"bucket", "bucket_name"})]
    # The workload's grant, and the CDN's backend and cache-fill grant (every type has them, behind enable_cdn).
    assert users and set(users) == {BUCKET_NAME}
    assert resources["google_compute_backend_bucket"]["cdn_backend_bucket"]["count"].startswith("${var.enable_cdn && ")
    others = {kind: blocks for kind, blocks in resources.items() if kind not in ("google_storage_bucket", "terraform_data")}
    assert "google_storage_bucket.data_bucket" not in json.dumps(others)
    outputs = load(module, "outputs.tf.json")["output"]
    assert outputs["bucket_name"]["value"] == BUCKET_NAME
    assert outputs["bucket_url"]["value"] == f"gs://{BUCKET_NAME}"
    # The audit sink names the bucket in use by name (a reference would make it the sink's destination to scanners).
    (sink,) = resources["google_logging_project_sink"].values()
    assert f'resource.labels.bucket_name="${{coalesce(var.bucket_name, "{bucket["name"]}")}}"' in sink["filter"]
    # A given bucket is never destroyed by the module; force_destroy says it applies to the created one.
    assert "created bucket" in load(module, "variables.tf.json")["variable"]["force_destroy"]["description"]


@pytest.mark.integration
def test_terraform_evaluates_the_created_and_the_given_key_and_bucket(gcp, tmp_path):
    """The image module (it has a CDN), evaluated by Terraform: outputs, validations, preconditions."""
    module = gcp / "image"
    created = evaluate(module, tmp_path / "created", REQUIRED)
    assert created.ok, created.errors
    assert created.outputs["kms_key_id"] == "google_kms_crypto_key.encryption_key.id"
    assert created.outputs["bucket_name"] == "google_storage_bucket.data_bucket.name"

    given = evaluate(module, tmp_path / "given", {**REQUIRED, "kms_key_id": GIVEN_KEY, "bucket_name": GIVEN_BUCKET})
    assert given.ok, given.errors
    assert given.outputs["kms_key_id"] == GIVEN_KEY
    assert given.outputs["bucket_name"] == GIVEN_BUCKET
    assert given.outputs["bucket_url"] == f"gs://{GIVEN_BUCKET}"

    refused = {
        "a key in another region": (
            {"kms_key_id": GIVEN_KEY.replace("us-central1", "europe-west4"), "bucket_name": GIVEN_BUCKET},
            "kms_key_id must be a key in the module's region",
        ),
        "a key version": ({"kms_key_id": f"{GIVEN_KEY}/cryptoKeyVersions/1"}, "kms_key_id must be a Cloud KMS key id"),
        "a key ring": ({"kms_key_id": GIVEN_KEY.rsplit("/cryptoKeys/", 1)[0]}, "kms_key_id must be a Cloud KMS key id"),
        "a gs:// URL": ({"bucket_name": f"gs://{GIVEN_BUCKET}"}, "bucket_name must be a Cloud Storage bucket name"),
        "upper case": ({"bucket_name": "Shared-Data"}, "bucket_name must be a Cloud Storage bucket name"),
    }
    for case, (inputs, message) in refused.items():
        result = evaluate(module, tmp_path / case.replace(" ", "-").replace("/", ""), {**REQUIRED, **inputs})
        assert not result.ok and message in result.errors, f"{case}: {result.errors}"
