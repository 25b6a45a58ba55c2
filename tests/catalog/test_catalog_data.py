"""The packaged catalog data loads, validates and says what the brief and the public specs say."""

from __future__ import annotations

import datetime as dt
import re
from importlib import resources

import pytest
from pydantic import ValidationError

from synthdata_infra.catalog import (
    PROVIDERS_WITH_CATALOG,
    CloudCatalog,
    catalog,
    gpu_models,
    storage_class_for,
    storage_classes,
)

T4, V100, A100, A100_80, L4 = "nvidia-tesla-t4", "nvidia-tesla-v100", "nvidia-a100", "nvidia-a100-80gb", "nvidia-l4"


def rows(provider: str):
    return catalog(provider).instance_types


def test_data_files_live_in_the_package():
    data = resources.files("synthdata_infra.catalog") / "data"
    names = {entry.name for entry in data.iterdir()}
    assert {"gpus.yaml", "aws.yaml", "gcp.yaml", "azure.yaml", "storage_classes.yaml"} <= names


def test_gpu_models_are_the_five_we_know():
    models = gpu_models()
    assert set(models) == {T4, V100, A100, A100_80, L4}
    assert {name: (m.family, m.memory_gib, m.gcp_accelerator) for name, m in models.items()} == {
        T4: ("T4", 16, "nvidia-tesla-t4"),
        V100: ("V100", 16, "nvidia-tesla-v100"),
        A100: ("A100", 40, "nvidia-tesla-a100"),
        A100_80: ("A100", 80, "nvidia-a100-80gb"),
        L4: ("L4", 24, "nvidia-l4"),
    }


def test_gpu_models_returns_a_copy():
    gpu_models().clear()
    assert len(gpu_models()) == 5


@pytest.mark.parametrize(
    ("provider", "region", "host"),
    [("aws", "us-east-1", "aws.amazon.com"), ("gcp", "us-central1", "cloud.google.com"), ("azure", "eastus", "azure.microsoft.com")],
)
def test_pricing_header_is_dated_and_sourced(provider, region, host):
    pricing = catalog(provider).pricing
    assert pricing.currency == "USD"
    assert pricing.region == region
    assert isinstance(pricing.as_of, dt.date)
    assert host in pricing.source
    assert "Linux" in pricing.note


@pytest.mark.parametrize("provider", PROVIDERS_WITH_CATALOG)
def test_catalog_size_and_rows_are_sane(provider):
    assert 15 <= len(rows(provider)) <= 30
    for row in rows(provider):
        assert row.usd_per_hour > 0 and row.vcpu >= 1 and row.memory_gib > 0 and row.network_gbps > 0


@pytest.mark.parametrize("provider", PROVIDERS_WITH_CATALOG)
def test_every_gpu_row_references_a_known_model_with_its_memory(provider):
    models = gpu_models()
    for row in rows(provider):
        if row.gpu is None:
            continue
        assert row.gpu.model in models, row.name
        if row.gpu.model == V100:
            assert row.gpu.memory_gib in (16, 32), row.name
        else:
            assert row.gpu.memory_gib == models[row.gpu.model].memory_gib, row.name


def _family(provider: str, predicate) -> list:
    found = [row for row in rows(provider) if predicate(row)]
    assert found, f"{provider}: family missing"
    return found


def _gpu(row):
    return (row.gpu.model, row.gpu.memory_gib) if row.gpu else None


@pytest.mark.parametrize(
    ("prefix", "gpu"),
    [
        ("m6i.", None),
        ("c6i.", None),
        ("r6i.", None),
        ("g4dn.", (T4, 16)),
        ("p3.", (V100, 16)),
        ("p3dn.", (V100, 32)),
        ("p4d.", (A100, 40)),
        ("p4de.", (A100_80, 80)),
        ("g6.", (L4, 24)),
    ],
)
def test_aws_families(prefix, gpu):
    family = _family("aws", lambda row: row.name.startswith(prefix))
    assert {_gpu(row) for row in family} == {gpu}


@pytest.mark.parametrize("family", ["m6i", "c6i", "r6i"])
def test_aws_cpu_families_span_xlarge_to_8xlarge(family):
    sizes = {row.name.split(".")[1] for row in rows("aws") if row.name.startswith(f"{family}.")}
    assert {"xlarge", "2xlarge", "4xlarge", "8xlarge"} <= sizes


@pytest.mark.parametrize(
    ("pattern", "gpu"),
    [
        (r"n2-standard-\d+", None),
        (r"n2-highmem-\d+", None),
        (r"n2-highcpu-\d+", None),
        (r"a2-highgpu-\dg", (A100, 40)),
        (r"a2-ultragpu-\dg", (A100_80, 80)),
        (r"g2-standard-\d+", (L4, 24)),
    ],
)
def test_gcp_families(pattern, gpu):
    family = _family("gcp", lambda row: re.fullmatch(pattern, row.name))
    assert {_gpu(row) for row in family} == {gpu}


# Compute Engine's limits for N1 machines with attached GPUs: GPU count -> (max vCPU, max GiB).
N1_LIMITS = {
    T4: {1: (48, 312), 2: (48, 312), 4: (96, 624)},
    V100: {1: (12, 78), 2: (24, 156), 4: (48, 312), 8: (96, 624)},
}
GCP_GPU_USD_PER_HOUR = {T4: 0.35, V100: 2.48}


def test_gcp_n1_gpu_rows_cover_the_allowed_counts_and_respect_the_limits():
    n1 = _family("gcp", lambda row: row.name.startswith("n1-"))
    assert all(row.gpu is not None for row in n1), "N1 is listed only with GPUs attached"
    for model, limits in N1_LIMITS.items():
        counts = {row.gpu.count for row in n1 if row.gpu.model == model}
        assert counts == set(limits), model
    for row in n1:
        max_vcpu, max_memory = N1_LIMITS[row.gpu.model][row.gpu.count]
        assert row.vcpu <= max_vcpu and row.memory_gib <= max_memory, row.identity


def test_gcp_attached_rows_price_is_machine_plus_attachments():
    machine_price: dict[str, set[float]] = {}
    for row in rows("gcp"):
        if row.name.startswith("n1-"):
            machine = row.usd_per_hour - row.gpu.count * GCP_GPU_USD_PER_HOUR[row.gpu.model]
            machine_price.setdefault(row.name, set()).add(round(machine, 6))
    assert all(len(prices) == 1 for prices in machine_price.values()), machine_price
    assert any(len([r for r in rows("gcp") if r.name == name]) > 1 for name in machine_price)

    local_ssd_hourly = 375 * 0.08 / 730
    plain = {row.name: row.usd_per_hour for row in rows("gcp") if row.name.startswith("n2-") and row.local_nvme_gib == 0}
    with_ssd = [row for row in rows("gcp") if row.name.startswith("n2-") and row.local_nvme_gib]
    assert with_ssd
    for row in with_ssd:
        disks = row.local_nvme_gib // 375
        assert row.usd_per_hour == pytest.approx(plain[row.name] + disks * local_ssd_hourly, abs=1e-5)


@pytest.mark.parametrize(
    ("pattern", "gpu"),
    [
        (r"Standard_D\d+s_v5", None),
        (r"Standard_E\d+s_v5", None),
        (r"Standard_F\d+s_v2", None),
        (r"Standard_NC\d+as_T4_v3", (T4, 16)),
        (r"Standard_NC\d+s_v3", (V100, 16)),
        (r"Standard_ND40rs_v2", (V100, 32)),
        (r"Standard_NC\d+ads_A100_v4", (A100_80, 80)),
        (r"Standard_ND96asr_v4", (A100, 40)),
    ],
)
def test_azure_families(pattern, gpu):
    family = _family("azure", lambda row: re.fullmatch(pattern, row.name))
    assert {_gpu(row) for row in family} == {gpu}


def test_azure_has_no_l4():
    assert not [row for row in rows("azure") if row.gpu and row.gpu.model == L4]


def test_catalog_rejects_duplicate_rows_and_unknown_keys():
    data = catalog("aws").model_dump()
    with pytest.raises(ValidationError, match="duplicate"):
        CloudCatalog.model_validate({**data, "instance_types": data["instance_types"][:1] * 2})
    bad_row = {**data["instance_types"][0], "spot_price": 0.1}
    with pytest.raises(ValidationError, match="spot_price"):
        CloudCatalog.model_validate({**data, "instance_types": [bad_row]})


def test_storage_classes_are_ordered_slowest_to_fastest():
    assert storage_classes() == (
        "standard",
        "fast-ssd",
        "high-performance",
        "ultra-ssd",
        "ultra-high-performance",
        "ultra-fast-nvme",
    )
    aws_iops = [int(storage_class_for("aws", name).parameters.get("iops", "3000")) for name in storage_classes()[:-1]]
    assert aws_iops == sorted(aws_iops) and len(set(aws_iops)) == len(aws_iops)


CSI = {"aws": "ebs.csi.aws.com", "gcp": "pd.csi.storage.gke.io", "azure": "disk.csi.azure.com"}
DISK_TYPE = {
    "aws": ("type", {"gp3", "io2"}),
    "gcp": ("type", {"pd-balanced", "pd-ssd"}),
    "azure": ("skuName", {"StandardSSD_LRS", "Premium_LRS", "PremiumV2_LRS", "UltraSSD_LRS"}),
}
DNS_1123 = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")


@pytest.mark.parametrize("name", ["standard", "fast-ssd", "high-performance", "ultra-ssd", "ultra-high-performance", "ultra-fast-nvme"])
@pytest.mark.parametrize("provider", ["aws", "gcp", "azure", "onprem"])
def test_every_storage_class_is_mapped_for_every_provider(provider, name):
    mapping = storage_class_for(provider, name)
    assert DNS_1123.fullmatch(mapping.storage_class_name)
    assert all(isinstance(value, str) for value in mapping.parameters.values())
    assert mapping.requires_local_nvme == (name == "ultra-fast-nvme")
    if mapping.requires_local_nvme:
        assert mapping.provisioner == "kubernetes.io/no-provisioner"
    elif provider == "onprem":
        assert mapping.provisioner != "kubernetes.io/no-provisioner"
    else:
        assert mapping.provisioner == CSI[provider]
        key, allowed = DISK_TYPE[provider]
        assert mapping.parameters[key] in allowed
