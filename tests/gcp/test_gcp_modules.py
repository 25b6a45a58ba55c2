"""The GCP cloud layer, checked on the synthesized JSON and by checkov.

The google provider is not on this machine's provider mirror, so these modules cannot be
`terraform validate`d here. Expectations come from the profiles, the catalog and the
storage-class data, read here with PyYAML rather than through the code under test (the
catalog's placement is the exception: it is tested on its own in tests/catalog).
"""

from __future__ import annotations

import json
import math
import re
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.conftest import GPU_TYPES, REPO, TYPES, load, resources
from tests.test_checkov import findings_under

CDN_RESOURCES = (
    "google_compute_backend_bucket",
    "google_compute_global_address",
    "google_compute_managed_ssl_certificate",
    "google_compute_ssl_policy",
    "google_compute_url_map",
    "google_compute_target_https_proxy",
    "google_compute_global_forwarding_rule",
)
NODE_ROLES = {
    "roles/logging.logWriter",
    "roles/monitoring.metricWriter",
    "roles/monitoring.viewer",
    "roles/stackdriver.resourceMetadata.writer",
    "roles/artifactregistry.reader",
}
REQUIRED_INPUTS = {"service_name", "environment", "project_id", "cluster_name", "cluster_location"}
GCP_LABEL = re.compile(r"[a-z][a-z0-9_-]{0,62}")
WORKLOAD_INPUTS = {
    "service_account_annotations",
    "node_selector",
    "storage_class_name",
}

NODE_SIZES_CHECK = {
    "condition": "${var.node_min_size <= var.node_desired_size && var.node_desired_size <= var.node_max_size}",
    "error_message": "node_min_size <= node_desired_size <= node_max_size must hold.",
}
# The service's key and bucket: the ones given (kms_key_id, bucket_name) or the ones the module
# creates (tests/gcp/test_gcp_bring_your_own.py checks both paths).
KEY_ID = "${local.encryption_key_id}"
BUCKET_NAME = "${local.data_bucket_name}"


def profile(kind: str) -> dict:
    """base.yaml merged with the type's profile, one level deep (all the keys used here need)."""
    base = yaml.safe_load((REPO / "profiles" / "base.yaml").read_text())
    own = yaml.safe_load((REPO / "profiles" / kind / "profile.yaml").read_text())
    return {
        key: {**base[key], **own[key]} if isinstance(own.get(key), dict) and isinstance(base.get(key), dict) else own.get(key, base.get(key))
        for key in {*base, *own}
    }


def catalog_rows() -> list[dict]:
    return yaml.safe_load((REPO / "synthdata_infra" / "catalog" / "data" / "gcp.yaml").read_text())["instance_types"]


def gcp_storage(storage_class: str) -> dict:
    data = yaml.safe_load((REPO / "synthdata_infra" / "catalog" / "data" / "storage_classes.yaml").read_text())
    return data[storage_class]["gcp"]


def gke_accelerator(model: str) -> str:
    return yaml.safe_load((REPO / "synthdata_infra" / "catalog" / "data" / "gpus.yaml").read_text())[model]["gcp_accelerator"]


@pytest.fixture(scope="module")
def gcp(synthesized) -> Path:
    return synthesized("gcp") / "gcp"


def module(gcp: Path, kind: str) -> Path:
    return gcp / kind


def variables(gcp: Path, kind: str) -> dict:
    return load(module(gcp, kind), "variables.tf.json")["variable"]


def outputs(gcp: Path, kind: str) -> dict:
    return load(module(gcp, kind), "outputs.tf.json")["output"]


def one(gcp: Path, kind: str, resource_type: str) -> dict:
    (only,) = resources(module(gcp, kind), resource_type).values()
    return only


def resource_ref(resource_type: str, instances: dict) -> str:
    (name,) = instances
    return f"{resource_type}.{name}"


# --- inputs (child-module rules for every module: tests/synth/test_conformance.py) ----------


@pytest.mark.parametrize("kind", TYPES)
def test_only_cluster_project_and_names_are_required(gcp, kind):
    required = {name for name, variable in variables(gcp, kind).items() if "default" not in variable}
    assert required == REQUIRED_INPUTS
    environment = variables(gcp, kind)["environment"]["validation"][0]["condition"]
    assert "var.environment" in environment


# --- node pool ----------------------------------------------------------------------------


@pytest.mark.parametrize("kind", TYPES)
def test_node_pool_machine_and_gpus_come_from_the_catalog(gcp, kind):
    from synthdata_infra.config import resolve
    from synthdata_infra.planning import placement_for

    pool = one(gcp, kind, "google_container_node_pool")
    node = pool["node_config"]
    inputs = variables(gcp, kind)
    gpu = profile(kind)["gpu"]
    machine = inputs["node_machine_type"]["default"]
    assert node["machine_type"] == "${var.node_machine_type}"
    assert machine == placement_for(resolve(kind, environment=None), "gcp").instance_type
    if kind in GPU_TYPES:
        count = inputs["node_accelerator_count"]["default"]
        # The default machine with that many of the profile's GPUs is a catalog row.
        assert any(
            row["name"] == machine and row["gpu"] and row["gpu"]["model"] == gpu["type"] and row["gpu"]["count"] == count
            for row in catalog_rows()
        ), (machine, count)
        assert count % gpu["count"] == 0  # whole replicas per node
        (accelerator,) = node["guest_accelerator"]
        # The accelerator follows the gpu_model input (the profile's GPU by default).
        assert inputs["gpu_model"]["default"] == gpu["type"]
        lookup = re.fullmatch(r"\$\{lookup\(\{(.*)\}, var\.gpu_model\)\}", accelerator["type"])
        assert lookup, accelerator["type"]
        table = dict(re.findall(r'"([^"]+)" = "([^"]+)"', lookup.group(1)))
        assert table[gpu["type"]] == gke_accelerator(gpu["type"])
        assert all(table[model] == gke_accelerator(model) for model in table)
        assert accelerator["count"] == "${var.node_accelerator_count}"
        assert accelerator["gpu_driver_installation_config"] == {"gpu_driver_version": "${var.node_gpu_driver_version}"}
        assert inputs["node_gpu_driver_version"]["default"] in ("DEFAULT", "LATEST")
        assert node["taint"] == [{"key": "nvidia.com/gpu", "value": "present", "effect": "NO_SCHEDULE"}]
        assert node["labels"] == {"synthdata.io/node-pool": "${var.service_name}", "synthdata.io/accelerator": "${var.gpu_model}"}
    else:
        assert gpu is None
        assert not any(row["name"] == machine and row["gpu"] for row in catalog_rows())
        for absent in ("guest_accelerator", "taint"):
            assert absent not in node
        assert {"node_accelerator_count", "node_gpu_driver_version"}.isdisjoint(inputs)
        assert node["labels"] == {"synthdata.io/node-pool": "${var.service_name}"}
    assert outputs(gcp, kind)["node_selector"]["value"] == node["labels"]


def accelerator_at_default(main: dict, variables: dict) -> str:
    """The accelerator type the node pool attaches when gpu_model keeps its default."""
    ((_, pool),) = main["resource"]["google_container_node_pool"].items()
    expression = pool["node_config"]["guest_accelerator"][0]["type"]
    lookup = re.fullmatch(r"\$\{lookup\(\{(.*)\}, var\.gpu_model\)\}", expression)
    assert lookup, expression
    return dict(re.findall(r'"([^"]+)" = "([^"]+)"', lookup.group(1)))[variables["gpu_model"]["default"]]


def module_accelerator(module: Path) -> str:
    return accelerator_at_default(load(module, "main.tf.json"), load(module, "variables.tf.json")["variable"])


def test_image_uses_t4_and_video_uses_v100_pairs(gcp):
    assert module_accelerator(gcp / "image") == "nvidia-tesla-t4"
    assert module_accelerator(gcp / "video") == "nvidia-tesla-v100"
    assert profile("video")["gpu"]["count"] == 2
    # Compute Engine attaches V100s in 1, 2, 4 or 8; the node holds whole pairs for 2-GPU replicas.
    assert variables(gcp, "video")["node_accelerator_count"]["default"] in (2, 4, 8)


@pytest.mark.parametrize("kind", TYPES)
def test_node_pool_is_hardened_and_autoscaled(gcp, kind):
    from synthdata_infra.config import resolve
    from synthdata_infra.planning import placement_for

    pool = one(gcp, kind, "google_container_node_pool")
    node = pool["node_config"]
    assert pool["management"] == {"auto_repair": True, "auto_upgrade": True}
    assert node["workload_metadata_config"] == {"mode": "GKE_METADATA"}
    assert node["shielded_instance_config"] == {"enable_secure_boot": True, "enable_integrity_monitoring": True}
    assert node["oauth_scopes"] == ["https://www.googleapis.com/auth/cloud-platform"]
    assert node["image_type"] == "COS_CONTAINERD"
    assert node["metadata"] == {"disable-legacy-endpoints": "true"}
    assert node["boot_disk_kms_key"] == KEY_ID
    assert pool["cluster"] == "${var.cluster_name}" and pool["location"] == "${var.cluster_location}"
    assert pool["autoscaling"]["total_min_node_count"] == "${var.node_min_size}"
    assert pool["autoscaling"]["total_max_node_count"] == "${var.node_max_size}"
    assert pool["initial_node_count"] == "${var.node_desired_size}"
    assert pool["lifecycle"]["ignore_changes"] == ["initial_node_count"]
    assert pool["lifecycle"]["precondition"][0] == NODE_SIZES_CHECK

    inputs = variables(gcp, kind)
    scaling = profile(kind)["scaling"]
    per_node = placement_for(resolve(kind, environment=None), "gcp").replicas_per_node
    minimum, desired, maximum = (inputs[f"node_{n}_size"]["default"] for n in ("min", "desired", "max"))
    assert minimum == math.ceil(scaling["min_replicas"] / per_node)
    assert maximum == math.ceil(scaling["max_replicas"] / per_node)
    assert 1 <= minimum <= desired <= maximum


@pytest.mark.parametrize("kind", TYPES)
def test_node_disk_follows_the_profiles_storage_tier(gcp, kind):
    node = one(gcp, kind, "google_container_node_pool")["node_config"]
    inputs = variables(gcp, kind)
    assert node["disk_type"] == "${var.node_disk_type}" and node["disk_size_gb"] == "${var.node_disk_size_gib}"
    tier = gcp_storage(profile(kind)["resources"]["storage_type"])["parameters"].get("type")
    # Persistent disks boot every catalog machine; Hyperdisk tiers fall back to the fastest of them.
    expected = tier if tier in ("pd-balanced", "pd-ssd") else "pd-ssd"
    assert inputs["node_disk_type"]["default"] == expected
    cache = (profile(kind).get("specific") or {}).get("model_cache")
    cache_gib = int(cache["size"].removesuffix("Gi")) if cache and cache["enabled"] else 0
    assert inputs["node_disk_size_gib"]["default"] == 50 + cache_gib


@pytest.mark.parametrize("kind", TYPES)
def test_nodes_run_as_a_dedicated_least_privilege_account(gcp, kind):
    main = load(module(gcp, kind), "main.tf.json")["resource"]
    node = one(gcp, kind, "google_container_node_pool")["node_config"]
    accounts = main["google_service_account"]
    node_account = node["service_account"]
    match = re.fullmatch(r"\$\{google_service_account\.([a-z0-9_]+)\.email\}", node_account)
    assert match and match.group(1) in accounts, node_account
    assert "default" not in json.dumps(node)
    project_grants = main["google_project_iam_member"].values()
    assert {g["role"] for g in project_grants} == NODE_ROLES
    # Project-wide roles go to the node account only, never to the workload.
    assert {g["member"] for g in project_grants} == {f"serviceAccount:{node_account}"}


def _build_in_process(tmp_path: Path, kind: str, overrides: dict) -> dict:
    from synthdata_infra.cdk import App
    from synthdata_infra.config import resolve
    from synthdata_infra.synth import gcp_module

    app = App(outdir=str(tmp_path), skip_validation=True)
    gcp_module.build(app, f"gcp-{kind}", resolve(kind, environment=None, overrides=overrides))
    app.synth()
    return json.loads((tmp_path / "stacks" / f"gcp-{kind}" / "cdk.tf.json").read_text())


def test_a100_override_gives_an_a2_machine_with_a100s(tmp_path):
    stack = _build_in_process(tmp_path, "video", {"gpu": {"type": "nvidia-a100"}})
    machine = stack["variable"]["node_machine_type"]["default"]
    count = stack["variable"]["node_accelerator_count"]["default"]
    assert machine.startswith("a2-")
    assert any(r["name"] == machine and r["gpu"]["model"] == "nvidia-a100" and r["gpu"]["count"] == count for r in catalog_rows() if r["gpu"])
    (pool,) = stack["resource"]["google_container_node_pool"].values()
    assert accelerator_at_default(stack, stack["variable"]) == gke_accelerator("nvidia-a100") == "nvidia-tesla-a100"
    assert pool["node_config"]["labels"]["synthdata.io/accelerator"] == "${var.gpu_model}"


def test_local_nvme_class_attaches_local_ssds(tmp_path):
    stack = _build_in_process(tmp_path, "tabular", {"storage": {"storage_class": "ultra-fast-nvme"}})
    machine = stack["variable"]["node_machine_type"]["default"]
    (pool,) = stack["resource"]["google_container_node_pool"].values()
    count = pool["node_config"]["local_nvme_ssd_block_config"]["local_ssd_count"]
    nvme = [r["local_nvme_gib"] for r in catalog_rows() if r["name"] == machine and r["local_nvme_gib"] and not r["gpu"]]
    assert nvme and count == nvme[0] / 375
    assert stack["output"]["storage_class_name"]["value"] == gcp_storage("ultra-fast-nvme")["storage_class_name"]


# --- bucket, key, secrets -----------------------------------------------------------------


@pytest.mark.parametrize("kind", TYPES)
def test_bucket_is_private_versioned_and_encrypted_with_the_modules_key(gcp, kind):
    bucket = one(gcp, kind, "google_storage_bucket")
    assert bucket["uniform_bucket_level_access"] is True
    assert bucket["public_access_prevention"] == "enforced"
    assert bucket["versioning"] == {"enabled": True}
    assert bucket["encryption"] == {"default_kms_key_name": KEY_ID}
    assert bucket["force_destroy"] == "${var.force_destroy}"
    assert variables(gcp, kind)["force_destroy"]["default"] is False
    assert bucket["location"] == "${local.region}"
    # GCS encrypts through its service agent, which must hold the key first.
    grants = resources(module(gcp, kind), "google_kms_crypto_key_iam_member")
    storage_grants = [n for n, g in grants.items() if "google_storage_project_service_account" in g["member"]]
    assert [f"google_kms_crypto_key_iam_member.{n}" for n in storage_grants] == bucket["depends_on"]
    assert grants[storage_grants[0]]["role"] == "roles/cloudkms.cryptoKeyEncrypterDecrypter"


@pytest.mark.parametrize("kind", TYPES)
def test_bucket_lifecycle(gcp, kind):
    rules = one(gcp, kind, "google_storage_bucket")["lifecycle_rule"]
    assert {"action": {"type": "AbortIncompleteMultipartUpload"}, "condition": {"age": 7}} in rules
    assert {"action": {"type": "Delete"}, "condition": {"days_since_noncurrent_time": 90, "with_state": "ARCHIVED"}} in rules
    transitions = {r["action"]["storage_class"]: r["condition"] for r in rules if r["action"]["type"] == "SetStorageClass"}
    if profile(kind)["storage"]["cdn_enabled"]:
        assert transitions == {}  # CDN cache fills would pay retrieval fees
    else:
        assert transitions["NEARLINE"]["age"] < transitions["COLDLINE"]["age"]
        assert "STANDARD" in transitions["NEARLINE"]["matches_storage_class"]


@pytest.mark.parametrize("kind", TYPES)
def test_key_rotates_within_90_days_and_google_agents_use_it(gcp, kind):
    key = one(gcp, kind, "google_kms_crypto_key")
    seconds = int(key["rotation_period"].removesuffix("s"))
    assert 0 < seconds <= 90 * 86400
    assert one(gcp, kind, "google_kms_key_ring")["location"] == "${local.region}"
    members = {g["member"] for g in resources(module(gcp, kind), "google_kms_crypto_key_iam_member").values()}
    for agent in ("compute-system.iam.gserviceaccount.com", "gcp-sa-secretmanager.iam.gserviceaccount.com"):
        assert f"serviceAccount:service-${{data.google_project.project.number}}@{agent}" in members
    assert "serviceAccount:${data.google_logging_project_cmek_settings.logging_settings.service_account_id}" in members
    assert not any(m.startswith(("allUsers", "allAuthenticatedUsers")) for m in members)


@pytest.mark.parametrize("kind", TYPES)
def test_one_secret_per_profile_secret_and_no_values(gcp, kind):
    main_text = (module(gcp, kind) / "main.tf.json").read_text()
    assert "google_secret_manager_secret_version" not in main_text
    assert "secret_data" not in main_text
    secrets = resources(module(gcp, kind), "google_secret_manager_secret")
    wanted = profile(kind)["security"]["secrets"]
    assert sorted(s["secret_id"].rsplit("}-", 1)[1] for s in secrets.values()) == sorted(wanted)
    for secret in secrets.values():
        (replica,) = secret["replication"]["user_managed"]["replicas"]
        assert replica == {
            "location": "${local.region}",
            "customer_managed_encryption": {"kms_key_name": KEY_ID},
        }
    assert sorted(outputs(gcp, kind)["secret_ids"]["value"]) == sorted(wanted)


# --- workload identity --------------------------------------------------------------------


@pytest.mark.parametrize("kind", TYPES)
def test_workload_identity_binding_and_least_privilege_grants(gcp, kind):
    folder = module(gcp, kind)
    (binding,) = resources(folder, "google_service_account_iam_member").values()
    assert binding["role"] == "roles/iam.workloadIdentityUser"
    assert binding["member"] == "serviceAccount:${var.project_id}.svc.id.goog[${var.namespace}/${var.service_name}]"
    workload = binding["service_account_id"].removesuffix(".name}").removeprefix("${")
    assert workload.startswith("google_service_account.")
    email = f"${{{workload}.email}}"
    member = f"serviceAccount:{email}"
    assert email != one(gcp, kind, "google_container_node_pool")["node_config"]["service_account"]

    bucket_grants = [g for g in resources(folder, "google_storage_bucket_iam_member").values() if g["member"] == member]
    assert bucket_grants == [
        {"bucket": BUCKET_NAME, "role": "roles/storage.objectAdmin", "member": member}
    ]
    secrets = resources(folder, "google_secret_manager_secret")
    accessors = resources(folder, "google_secret_manager_secret_iam_member").values()
    assert sorted(a["secret_id"] for a in accessors) == sorted(f"${{google_secret_manager_secret.{n}.secret_id}}" for n in secrets)
    assert {(a["role"], a["member"]) for a in accessors} <= {("roles/secretmanager.secretAccessor", member)}
    key_users = [g for g in resources(folder, "google_kms_crypto_key_iam_member").values() if g["member"] == member]
    assert [g["role"] for g in key_users] == ["roles/cloudkms.cryptoKeyEncrypterDecrypter"]

    out = outputs(gcp, kind)
    assert out["service_account_annotations"]["value"] == {"iam.gke.io/gcp-service-account": email}
    assert out["service_account_email"]["value"] == email


@pytest.mark.parametrize("kind", TYPES)
def test_service_account_ids_fit_30_characters(gcp, kind):
    main = load(module(gcp, kind), "main.tf.json")
    short = main["locals"]["short_name"]
    prefix = int(re.search(r", 0, (\d+)\)", short).group(1))
    for account in main["resource"]["google_service_account"].values():
        suffix = account["account_id"].removeprefix("${local.short_name}")
        assert prefix + len("-") + 6 + len(suffix) <= 30, account["account_id"]


# --- labels, outputs, audit ---------------------------------------------------------------


@pytest.mark.parametrize("kind", TYPES)
def test_labels_carry_service_environment_and_type(gcp, kind):
    labels = load(module(gcp, kind), "main.tf.json")["locals"]["labels"]
    assert labels.startswith("${merge(var.labels, {")
    for key, value in (
        ("synthdata-service", "var.service_name"),
        ("synthdata-environment", "var.environment"),
        ("synthdata-data-type", f'"{kind}"'),
    ):
        assert GCP_LABEL.fullmatch(key)
        assert f'"{key}" = {value}' in labels
    assert one(gcp, kind, "google_storage_bucket")["labels"] == "${local.labels}"
    assert one(gcp, kind, "google_container_node_pool")["node_config"]["resource_labels"] == "${local.labels}"


@pytest.mark.parametrize("kind", TYPES)
def test_outputs_feed_the_workload_module(gcp, kind):
    out = outputs(gcp, kind)
    assert {
        "service_account_annotations",
        "node_selector",
        "storage_class_name",
        "bucket_name",
        "bucket_url",
        "kms_key_id",
        "service_account_email",
        "secret_ids",
        "node_pool_name",
        "cdn_domain_name",
    } <= set(out)
    assert out["storage_class_name"]["value"] == gcp_storage(profile(kind)["storage"]["storage_class"])["storage_class_name"]
    assert out["bucket_url"]["value"] == f"gs://{BUCKET_NAME}"
    assert out["kms_key_id"]["value"] == KEY_ID
    assert out["node_pool_name"]["value"] == "${google_container_node_pool.nodes_node_pool.name}"


@pytest.mark.parametrize("kind", TYPES)
def test_audit_logs_are_kept_for_the_profiles_retention(gcp, kind):
    log_bucket = one(gcp, kind, "google_logging_project_bucket_config")
    retention = profile(kind)["data_policies"]["audit_logging"]["retention_days"]
    assert log_bucket["retention_days"] == "${var.log_retention_days}"
    assert variables(gcp, kind)["log_retention_days"]["default"] == retention
    assert log_bucket["cmek_settings"] == {"kms_key_name": KEY_ID}
    sink = one(gcp, kind, "google_logging_project_sink")
    assert sink["destination"] == "logging.googleapis.com/${google_logging_project_bucket_config.audit_log_bucket.id}"
    for part in (
        'resource.type="k8s_container"',
        'resource.labels.namespace_name="${var.namespace}"',
        '"k8s-pod/app_kubernetes_io/instance"="${var.service_name}"',
        "cloudaudit.googleapis.com",
        "principalEmail=",
    ):
        assert part in sink["filter"], part


# --- CDN ----------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", TYPES)
def test_cdn_behind_enable_cdn_and_a_domain(gcp, kind):
    main = load(module(gcp, kind), "main.tf.json")["resource"]
    out = outputs(gcp, kind)
    # Every type has the CDN; enable_cdn defaults to the profile's storage.cdn_enabled.
    assert variables(gcp, kind)["enable_cdn"]["default"] is profile(kind)["storage"]["cdn_enabled"] is (kind == "image")
    for resource_type in CDN_RESOURCES:
        (body,) = main[resource_type].values()
        assert body["count"] == "${var.enable_cdn && var.cdn_domain_name != null ? 1 : 0}", resource_type
    backend = one(gcp, kind, "google_compute_backend_bucket")
    assert backend["enable_cdn"] is True
    assert backend["bucket_name"] == BUCKET_NAME
    certificate = one(gcp, kind, "google_compute_managed_ssl_certificate")
    assert certificate["managed"] == {"domains": ["${var.cdn_domain_name}"]}
    rule = one(gcp, kind, "google_compute_global_forwarding_rule")
    assert rule["port_range"] == "443"
    assert rule["target"].startswith("${google_compute_target_https_proxy.")
    assert "google_compute_target_http_proxy" not in main
    assert one(gcp, kind, "google_compute_ssl_policy")["min_tls_version"] == "TLS_1_2"
    assert variables(gcp, kind)["cdn_domain_name"]["default"] is None
    assert out["cdn_domain_name"]["value"] == "${var.enable_cdn ? var.cdn_domain_name : null}"
    # The bucket stays private: no public member anywhere.
    members = [g["member"] for g in main["google_storage_bucket_iam_member"].values()]
    assert not any(m.startswith(("allUsers", "allAuthenticatedUsers")) for m in members)


# --- README and example -------------------------------------------------------------------


@pytest.mark.parametrize("kind", TYPES)
def test_readme_says_how_it_is_tested(gcp, kind):
    """Inputs, outputs and the usage example: tests/synth/test_conformance.py."""
    readme = (module(gcp, kind) / "README.md").read_text()
    assert "not `terraform validate`d" in readme and "checkov" in readme


@pytest.mark.integration
@pytest.mark.parametrize("kind", TYPES)
def test_example_calls_both_modules_with_their_required_inputs(gcp, synthesized, kind):
    example = module(gcp, kind) / "examples" / "complete"
    text = (example / "main.tf").read_text()
    fmt = subprocess.run(["terraform", "fmt", "-check", "-diff", str(example)], capture_output=True, text=True, check=False)
    assert fmt.returncode == 0, fmt.stdout
    workload = synthesized("onprem") / "kubernetes" / kind
    registry = f'"app.terraform.io/<ORG>/synthdata-{kind.replace("_", "-")}/kubernetes"'
    for source, folder in (('"../.."', module(gcp, kind)), (registry, workload)):
        block = re.split(rf"source +=\s*{re.escape(source)}", text, maxsplit=1)[1].split("\n}", 1)[0]
        for name, variable in load(folder, "variables.tf.json")["variable"].items():
            if "default" not in variable:
                assert f"\n  {name} " in block, f"{source} lacks required input {name}"
    assert 'provider "google"' in text and 'provider "kubernetes"' in text
    assert 'data "google_container_cluster"' in text and 'data "google_client_config"' in text
    for name in WORKLOAD_INPUTS:
        assert f"module.cloud.{name}" in text
    if profile(kind)["storage"]["cdn_enabled"]:
        assert "cdn_domain_name  = var.cdn_domain_name" in text


# --- checkov ------------------------------------------------------------------------------

# Findings the GCP modules cannot or should not satisfy; the reasons are in the report of the
# change that introduced them and belong in .checkov.yaml.
# CKV_TF_1 (a commit hash on every module source): the complete examples read the workload module
# from a registry, pinned by version (CKV_TF_2 checks that); .checkov.yaml skips it too.
CHECKOV_SKIPS = ("CKV_GCP_62", "CKV_GCP_82", "CKV_TF_1")


@pytest.mark.integration
@pytest.mark.slow
def test_checkov_passes_with_the_listed_skips(modules_out_checkov):
    """The run's checkov scan of modules_out/ (the project's .checkov.yaml), read for the GCP layer."""
    skipped = {line.strip()[2:].split()[0] for line in (REPO / ".checkov.yaml").read_text().splitlines() if line.strip().startswith("- CKV")}
    assert {check for check in skipped if "GCP" in check or check.startswith("CKV_TF_")} == set(CHECKOV_SKIPS)
    result = findings_under(modules_out_checkov, "gcp")
    failed = [(c["check_id"], c["resource"]) for c in result["failed"]]
    passed = {c["check_id"] for c in result["passed"]}
    assert failed == [] and result["parsing_errors"] == []
    # The node pool and bucket checks really ran.
    assert {"CKV_GCP_68", "CKV_GCP_69", "CKV_GCP_72", "CKV_GCP_9", "CKV_GCP_10", "CKV_GCP_29", "CKV_GCP_114", "CKV_GCP_43"} <= passed
