"""Issue 16, point 4: the machines a cloud module can choose can attach the storage classes the
data type's profile maps to (GCP: Hyperdisk on the N1 machines of T4/V100 cannot attach)."""

from __future__ import annotations

import pytest

from synthdata_infra.catalog import catalog, storage_class_for, storage_classes
from synthdata_infra.catalog.disk_support import candidate_rows, gcp_disk_support, gpu_models_of, machine_series, unattachable
from synthdata_infra.config.loader import data_types, resolve

CLOUDS = ("aws", "gcp", "azure")


def _choices(provider: str, data_type: str) -> list[str | None]:
    """GPU models a module of ``data_type`` can be placed with: any model of the cloud's catalog
    (gpu.type is an override) when the profile has GPUs, none when it is CPU-only."""
    config = resolve(data_type, environment=None)
    return gpu_models_of(provider) if config.gpu else [None]


@pytest.mark.parametrize("provider", CLOUDS)
@pytest.mark.parametrize("data_type", data_types())
def test_every_machine_a_module_can_choose_attaches_its_types_storage_class(provider, data_type):
    storage_class = resolve(data_type, environment=None).storage.storage_class
    problems = [problem for model in _choices(provider, data_type) for problem in unattachable(provider, storage_class, model)]
    assert problems == []


@pytest.mark.parametrize("storage_class", storage_classes())
def test_every_gcp_machine_attaches_every_storage_class_an_override_can_ask_for(storage_class):
    for model in [None, *gpu_models_of("gcp")]:
        assert unattachable("gcp", storage_class, model) == []


def test_the_profiles_own_placements_attach_their_volumes():
    from synthdata_infra.catalog.disk_support import gcp_can_attach
    from synthdata_infra.planning import placement_for

    for data_type in data_types():
        config = resolve(data_type, environment=None)
        mapping = storage_class_for("gcp", config.storage.storage_class)
        if mapping.requires_local_nvme:
            continue
        placement = placement_for(config, "gcp")
        row = next(r for r in catalog("gcp").instance_types if r.name == placement.instance_type)
        assert gcp_can_attach(row, mapping.parameters["type"]), (data_type, placement.instance_type)


def test_the_disk_support_table_covers_every_gcp_machine_series():
    assert {machine_series(row.name) for row in catalog("gcp").instance_types} <= set(gcp_disk_support())


def test_planted_defect_hyperdisk_on_the_t4_and_v100_machines_is_caught():
    """The defect issue 16 names: image and video classes on Hyperdisk Extreme."""

    def planted(provider, name):
        mapping = storage_class_for(provider, name)
        if provider == "gcp" and name in ("ultra-ssd", "ultra-high-performance"):
            return mapping.model_copy(update={"parameters": {"type": "hyperdisk-extreme", "provisioned-iops-on-create": "100000"}})
        return mapping

    image = unattachable("gcp", "ultra-ssd", "nvidia-tesla-t4", mapping_for=planted)
    video = unattachable("gcp", "ultra-high-performance", "nvidia-tesla-v100", mapping_for=planted)
    assert image and all(line.startswith("n1-") for line in image)
    assert {line.split()[0] for line in video} == {row.name for row in candidate_rows("gcp", "nvidia-tesla-v100", False)}
    # Hyperdisk Balanced (the old high-performance class) on the CPU-only N2 machines is caught too.
    balanced = unattachable(
        "gcp", "high-performance", None,
        mapping_for=lambda p, n: storage_class_for(p, n).model_copy(update={"parameters": {"type": "hyperdisk-balanced"}}),
    )
    assert balanced and all(line.startswith("n2-") for line in balanced)
