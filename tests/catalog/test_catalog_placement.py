"""Placement picks what a brute-force search over the catalog, written here from the rules, picks."""

from __future__ import annotations

import datetime as dt
import json
import math
import random

import pytest
from pydantic import ValidationError

from synthdata_infra.catalog import (
    PROVIDERS_WITH_CATALOG,
    CloudCatalog,
    allocatable_cpu,
    allocatable_memory_gib,
    catalog,
    place,
    storage_class_for,
)
from synthdata_infra.catalog import placement as placement_module
from synthdata_infra.errors import ConfigError

# GKE reservations as (upper bound of the bracket, fraction of it reserved).
CPU_BRACKETS = [(1, 0.06), (2, 0.01), (4, 0.005), (math.inf, 0.0025)]
MEMORY_BRACKETS = [(4, 0.25), (8, 0.20), (16, 0.10), (128, 0.06), (math.inf, 0.02)]
EVICTION_GIB = 100 / 1024


def reserved(amount: float, brackets) -> float:
    total, lower = 0.0, 0.0
    for upper, fraction in brackets:
        if amount > lower:
            total += (min(amount, upper) - lower) * fraction
        lower = upper
    return total


def free_cpu(vcpu: float) -> float:
    return vcpu - reserved(vcpu, CPU_BRACKETS)


def free_memory(gib: float) -> float:
    return gib - reserved(gib, MEMORY_BRACKETS) - EVICTION_GIB


def request(**overrides):
    base = dict(cpu=2, memory_gib=8, gpu_model=None, gpu_count=0, gpu_memory_gib=0, bandwidth_gbps=1, replicas=3)
    return {**base, **overrides}


def brute_force(provider: str, req: dict) -> list[tuple[float, int, str, object]]:
    """Every (cost, nodes, name, row) that can run the request, cheapest first."""
    out = []
    for row in catalog(provider).instance_types:
        if (row.gpu.model if row.gpu else None) != req["gpu_model"]:
            continue
        if row.network_gbps < req["bandwidth_gbps"] or (req.get("needs_local_nvme") and not row.local_nvme_gib):
            continue
        per_node = min(int(free_cpu(row.vcpu) // req["cpu"]), int(free_memory(row.memory_gib) // req["memory_gib"]))
        if row.gpu:
            if req["gpu_count"] * row.gpu.memory_gib < req["gpu_memory_gib"]:
                continue
            per_node = min(per_node, row.gpu.count // req["gpu_count"])
        if per_node >= 1:
            nodes = math.ceil(req["replicas"] / per_node)
            out.append((nodes * row.usd_per_hour, nodes, row.name, row))
    return sorted(out, key=lambda c: (round(c[0], 6), c[1], c[2]))


def assert_matches_brute_force(provider: str, req: dict):
    chosen = place(provider, **req)
    options = brute_force(provider, req)
    assert options, "the scenario must have a feasible row"
    cost, nodes, name, row = options[0]
    assert (chosen.instance_type, chosen.nodes) == (name, nodes)
    assert chosen.usd_per_hour == pytest.approx(cost)
    assert chosen.gpu == row.gpu
    assert chosen.nodes * chosen.replicas_per_node >= req["replicas"]
    return chosen


def test_allocatable_follows_the_gke_schedule():
    assert allocatable_cpu(1) == pytest.approx(0.94)
    assert allocatable_cpu(4) == pytest.approx(3.92)
    assert allocatable_cpu(16) == pytest.approx(15.89)
    assert allocatable_memory_gib(16) == pytest.approx(16 - 1 - 0.8 - 0.8 - EVICTION_GIB)
    # GKE's documentation example: a 150 GiB node keeps 140.1423 GiB allocatable.
    assert allocatable_memory_gib(150) == pytest.approx(140.1423, abs=1e-4)
    for provider in PROVIDERS_WITH_CATALOG:
        for row in catalog(provider).instance_types:
            assert allocatable_cpu(row.vcpu) == pytest.approx(free_cpu(row.vcpu))
            assert allocatable_memory_gib(row.memory_gib) == pytest.approx(free_memory(row.memory_gib))


def test_aws_image_workload_lands_on_g4dn():
    chosen = assert_matches_brute_force(
        "aws", request(cpu=8, memory_gib=32, gpu_model="nvidia-tesla-t4", gpu_count=1, gpu_memory_gib=16, bandwidth_gbps=1, replicas=3)
    )
    assert chosen.instance_type.startswith("g4dn.")


def test_gcp_video_workload_lands_on_v100s():
    chosen = assert_matches_brute_force(
        "gcp", request(cpu=16, memory_gib=64, gpu_model="nvidia-tesla-v100", gpu_count=2, gpu_memory_gib=32, bandwidth_gbps=10, replicas=3)
    )
    assert chosen.gpu is not None and chosen.gpu.model == "nvidia-tesla-v100" and chosen.gpu.count >= 2


def test_azure_a100_workload_lands_on_an_a100_size():
    chosen = assert_matches_brute_force(
        "azure", request(cpu=16, memory_gib=64, gpu_model="nvidia-a100", gpu_count=4, gpu_memory_gib=32, replicas=3)
    )
    assert chosen.gpu is not None and chosen.gpu.model == "nvidia-a100"


def test_gpu_memory_is_per_replica_across_its_gpus():
    # One V100 with 32 GiB: only the 32 GiB variant (p3dn) qualifies, not p3's 16 GiB cards.
    chosen = assert_matches_brute_force("aws", request(cpu=4, memory_gib=16, gpu_model="nvidia-tesla-v100", gpu_count=1, gpu_memory_gib=32))
    assert chosen.gpu.memory_gib == 32
    # Two 16 GiB V100s give the same 32 GiB, so the cheaper p3 family qualifies again.
    chosen = assert_matches_brute_force("aws", request(cpu=4, memory_gib=16, gpu_model="nvidia-tesla-v100", gpu_count=2, gpu_memory_gib=32))
    assert chosen.gpu.memory_gib == 16


@pytest.mark.parametrize("provider", PROVIDERS_WITH_CATALOG)
def test_cpu_only_workload_needs_allocatable_room_and_no_gpu(provider):
    four_by_sixteen = [r for r in catalog(provider).instance_types if (r.vcpu, r.memory_gib, r.gpu) == (4, 16, None)]
    assert four_by_sixteen, "the catalog has a 4-vCPU/16-GiB type that must be rejected"
    for replicas in (1, 3, 7):
        chosen = assert_matches_brute_force(provider, request(cpu=4, memory_gib=16, replicas=replicas))
        assert chosen.gpu is None
        assert (chosen.vcpu, chosen.memory_gib) != (4, 16)
        assert free_cpu(chosen.vcpu) >= 4 * chosen.replicas_per_node
        assert free_memory(chosen.memory_gib) >= 16 * chosen.replicas_per_node


@pytest.mark.parametrize("provider", PROVIDERS_WITH_CATALOG)
def test_cpu_only_workload_never_falls_back_to_a_gpu_type(provider):
    cpu_rows = [r for r in catalog(provider).instance_types if r.gpu is None]
    too_big_for_cpu_rows = max(free_cpu(r.vcpu) for r in cpu_rows) + 1
    assert any(free_cpu(r.vcpu) >= too_big_for_cpu_rows for r in catalog(provider).instance_types if r.gpu)
    with pytest.raises(ConfigError, match="CPU-only"):
        place(provider, **request(cpu=too_big_for_cpu_rows, memory_gib=8))


@pytest.mark.parametrize("provider", PROVIDERS_WITH_CATALOG)
def test_bandwidth_excludes_slower_rows(provider):
    chosen = assert_matches_brute_force(provider, request(cpu=2, memory_gib=4, bandwidth_gbps=10, replicas=1))
    assert chosen.to_dict()["instance_type"] in {r.name for r in catalog(provider).instance_types if r.network_gbps >= 10}
    assert all(r.network_gbps >= 10 for r in catalog(provider).instance_types if r.name == chosen.instance_type)


def test_bandwidth_changes_the_choice_when_the_cheapest_row_is_slow():
    slow = place("azure", **request(cpu=2, memory_gib=4, bandwidth_gbps=0, replicas=1))
    fast = place("azure", **request(cpu=2, memory_gib=4, bandwidth_gbps=10, replicas=1))
    slow_row = brute_force("azure", request(cpu=2, memory_gib=4, bandwidth_gbps=0, replicas=1))[0][3]
    assert slow_row.network_gbps < 10 and slow.instance_type == slow_row.name
    assert fast.instance_type != slow.instance_type and fast.usd_per_hour > slow.usd_per_hour


@pytest.mark.parametrize(
    ("provider", "req"),
    [
        ("aws", request(cpu=2, memory_gib=8)),
        ("gcp", request(cpu=8, memory_gib=32, gpu_model="nvidia-tesla-t4", gpu_count=1, gpu_memory_gib=16)),
        ("azure", request(cpu=3, memory_gib=12, bandwidth_gbps=10)),
    ],
)
def test_more_replicas_means_more_or_bigger_nodes_and_cost_scales(provider, req):
    placements = [place(provider, **{**req, "replicas": n}) for n in range(1, 17)]
    single = placements[0]
    for n, chosen in enumerate(placements, start=1):
        assert chosen.nodes * chosen.replicas_per_node >= n
        # n nodes of the single-replica choice always work, so the optimum costs no more than that.
        assert chosen.usd_per_hour <= n * single.usd_per_hour + 1e-9
        assert_matches_brute_force(provider, {**req, "replicas": n})
    costs = [p.usd_per_hour for p in placements]
    assert costs == sorted(costs)
    last = placements[-1]
    assert last.nodes > single.nodes or last.vcpu > single.vcpu
    assert last.usd_per_hour > single.usd_per_hour


def test_equal_cost_goes_to_fewer_nodes_on_real_data():
    req = request(cpu=3, memory_gib=8, replicas=2)
    options = brute_force("aws", req)
    cheapest = [o for o in options if round(o[0], 6) == round(options[0][0], 6)]
    assert len({o[1] for o in cheapest}) > 1, "scenario must contain a cost tie with different node counts"
    chosen = place("aws", **req)
    assert chosen.nodes == min(o[1] for o in cheapest)


def _synthetic(rows):
    base = catalog("aws").model_dump()
    return CloudCatalog.model_validate({**base, "instance_types": rows})


def _row(name, vcpu, memory_gib, usd_per_hour):
    return dict(name=name, vcpu=vcpu, memory_gib=memory_gib, network_gbps=10, gpu=None, local_nvme_gib=0, usd_per_hour=usd_per_hour)


def test_ties_break_on_nodes_then_name_whatever_the_row_order(monkeypatch):
    rows = [_row("beta", 8, 32, 1.0), _row("alpha", 8, 32, 1.0), _row("big", 16, 64, 2.0)]
    for seed in range(5):
        random.Random(seed).shuffle(rows)
        monkeypatch.setattr(placement_module, "catalog", lambda provider, rows=list(rows): _synthetic(rows))
        # 3 CPU per replica: 8 vCPU nodes hold 2, 16 vCPU nodes hold 5.
        assert place("aws", **request(cpu=3, memory_gib=4, replicas=2)).instance_type == "alpha"
        # 4 replicas: 2 x alpha/beta or 1 x big, all 2.00 USD/h; fewer nodes wins.
        chosen = place("aws", **request(cpu=3, memory_gib=4, replicas=4))
        assert (chosen.instance_type, chosen.nodes) == ("big", 1)


def test_same_request_same_placement():
    req = request(cpu=8, memory_gib=32, gpu_model="nvidia-tesla-t4", gpu_count=1, gpu_memory_gib=16)
    assert place("gcp", **req) == place("gcp", **req)


@pytest.mark.parametrize("provider", PROVIDERS_WITH_CATALOG)
def test_local_nvme_requirement_only_picks_rows_with_nvme(provider):
    assert storage_class_for(provider, "ultra-fast-nvme").requires_local_nvme
    chosen = assert_matches_brute_force(provider, {**request(cpu=4, memory_gib=16), "needs_local_nvme": True})
    assert chosen.local_nvme_gib > 0 and chosen.gpu is None


def test_placement_is_frozen_and_serialises_to_plain_json():
    chosen = place("aws", **request(cpu=8, memory_gib=32, gpu_model="nvidia-tesla-t4", gpu_count=1, gpu_memory_gib=16))
    with pytest.raises(ValidationError):
        chosen.nodes = 99
    data = json.loads(json.dumps(chosen.to_dict()))
    assert data["provider"] == "aws" and data["instance_type"] == chosen.instance_type
    assert data["gpu"] == {"model": "nvidia-tesla-t4", "count": chosen.gpu.count, "memory_gib": 16}
    assert data["pricing_region"] == "us-east-1"
    assert dt.date.fromisoformat(data["pricing_as_of"]) == catalog("aws").pricing.as_of
    assert data["usd_per_hour"] == pytest.approx(data["nodes"] * data["usd_per_hour_per_node"])
    assert data["usd_per_month"] == round(data["usd_per_hour"] * 730, 2)
    assert set(data) >= {"vcpu", "memory_gib", "replicas", "replicas_per_node", "nodes"}


def _error(fn, *args, **kwargs) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        fn(*args, **kwargs)
    return info.value


def test_unknown_provider():
    for err in (_error(place, "oci", **request()), _error(catalog, "oci")):
        assert (err.path, err.value) == ("provider", "oci")
        assert str(err) == "provider: got 'oci'; expected one of aws, gcp, azure"
    err = _error(storage_class_for, "oci", "standard")
    assert str(err) == "provider: got 'oci'; expected one of aws, gcp, azure, onprem"


def test_unknown_gpu_model():
    err = _error(place, "aws", **request(gpu_model="nvidia-h100", gpu_count=1, gpu_memory_gib=80))
    assert str(err) == (
        "gpu.type: got 'nvidia-h100'; expected one of "
        "nvidia-a100, nvidia-a100-80gb, nvidia-l4, nvidia-tesla-t4, nvidia-tesla-v100"
    )


def test_gpu_model_the_cloud_does_not_sell():
    err = _error(place, "azure", **request(gpu_model="nvidia-l4", gpu_count=1, gpu_memory_gib=24))
    assert (err.path, err.value) == ("gpu.type", "nvidia-l4")
    assert "azure has no nvidia-l4" in str(err) and "nvidia-tesla-t4" in str(err)


def test_unknown_storage_class():
    err = _error(storage_class_for, "aws", "turbo")
    assert str(err) == (
        "storage.storage_class: got 'turbo'; expected one of "
        "standard, fast-ssd, high-performance, ultra-ssd, ultra-high-performance, ultra-fast-nvme"
    )


def test_no_row_fits_names_the_figure_that_is_too_big():
    err = _error(place, "aws", **request(cpu=1000, memory_gib=16))
    assert err.path == "resources"
    assert "cpu=1000 memory=16Gi gpu=none bandwidth=1Gbps" in str(err)
    largest = max(free_cpu(r.vcpu) for r in catalog("aws").instance_types if r.gpu is None)
    assert f"no aws instance type fits one replica; the largest CPU-only types offer cpu={largest:.2f}" in str(err)
    assert "too big: cpu)" in str(err) and str(err).endswith("lower the request")

    err = _error(place, "aws", **request(cpu=4, memory_gib=16, gpu_model="nvidia-tesla-t4", gpu_count=16, gpu_memory_gib=16))
    assert "gpu=16xnvidia-tesla-t4" in str(err) and "largest nvidia-tesla-t4 types" in str(err)
    assert "gpu=4x16Gi" in str(err) and "too big: gpu count" in str(err)
    assert str(err).endswith("lower the request or choose another GPU model")

    err = _error(place, "gcp", **request(gpu_model="nvidia-l4", gpu_count=1, gpu_memory_gib=48, bandwidth_gbps=400))
    assert "too big: gpu memory, bandwidth" in str(err)


def test_no_row_fits_when_figures_fit_only_separately(monkeypatch):
    rows = [_row("wide", 64, 16, 1.0), _row("deep", 4, 256, 1.0)]
    monkeypatch.setattr(placement_module, "catalog", lambda provider: _synthetic(rows))
    err = _error(place, "aws", **request(cpu=32, memory_gib=128))
    assert "no type fits all at once" in str(err)


def test_local_nvme_the_cloud_cannot_offer():
    err = _error(place, "gcp", **request(gpu_model="nvidia-l4", gpu_count=1, gpu_memory_gib=24, needs_local_nvme=True))
    assert err.path == "resources" and "local_nvme=required" in str(err)
    assert "no gcp nvidia-l4 instance type has local NVMe" in str(err)


@pytest.mark.parametrize(
    ("overrides", "path", "value"),
    [
        (dict(replicas=0), "replicas", 0),
        (dict(replicas=-2), "replicas", -2),
        (dict(cpu=-1), "resources.cpu", -1),
        (dict(memory_gib=0), "resources.memory", 0),
        (dict(bandwidth_gbps=-5), "networking.bandwidth", -5),
        (dict(gpu_model="nvidia-tesla-t4", gpu_count=-1), "gpu.count", -1),
        (dict(gpu_model="nvidia-tesla-t4", gpu_count=0), "gpu.count", 0),
        (dict(gpu_model="nvidia-tesla-t4", gpu_count=1, gpu_memory_gib=-16), "gpu.memory", -16),
        (dict(gpu_count=2), "gpu.type", None),
    ],
)
def test_invalid_counts_and_quantities(overrides, path, value):
    err = _error(place, "aws", **request(**overrides))
    assert (err.path, err.value) == (path, value)
    assert str(err).startswith(f"{path}: got ") and "expected" in str(err)
