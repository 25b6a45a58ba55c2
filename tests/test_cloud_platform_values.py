"""The chart values the GKE and AKS platform modules add to the core's are keys of the pinned
charts' own values files (recorded in tests/data/cloud_platform_value_keys.yaml with the version
and where they were read): a key a chart does not know is silently ignored by helm."""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml

from synthdata_infra.components.platform.charts import CHARTS
from synthdata_infra.components.platform.scrape import KEDA_OPERATOR_SERVICE_ACCOUNT
from tests.conftest import REPO, resources

RECORDED = yaml.safe_load((REPO / "tests" / "data" / "cloud_platform_value_keys.yaml").read_text())
# Top-level value keys the cloud parts set (the rest is the core's, checked with the core).
CLOUD_KEYS = {
    ("gcp", "keda"): {"podIdentity"},
    ("azure", "keda"): {"podIdentity"},
    ("gcp", "dcgm-exporter"): {"extraHostVolumes", "extraVolumeMounts", "extraEnv", "securityContext"},
}


def paths(values: dict[str, Any], free_form: set[str], prefix: str = "") -> set[str]:
    """Dotted keys of ``values`` down to its leaves, lists, and free-form mappings."""
    found = set()
    for key, value in values.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict) and value and path not in free_form:
            found |= paths(value, free_form, f"{path}.")
        else:
            found.add(path)
    return found


def release_values(module, component: str) -> dict[str, Any]:
    release = resources(module, "helm_release")[f"platform_{component.replace('-', '_')}"]
    assert release["version"] == CHARTS[component].version
    return json.loads(release["values"][0])


@pytest.mark.parametrize("component", sorted(RECORDED))
def test_recorded_keys_are_for_the_pinned_version(component):
    assert RECORDED[component]["version"] == CHARTS[component].version, f"re-read {component}'s values.yaml at {CHARTS[component].version}"


@pytest.mark.parametrize(("provider", "component"), sorted(CLOUD_KEYS), ids=lambda x: x)
def test_every_value_key_the_cloud_sets_is_a_chart_key(synthesized, provider, component):
    values = release_values(synthesized(provider) / provider / "platform", component)
    mine = {key: value for key, value in values.items() if key in CLOUD_KEYS[provider, component]}
    assert set(mine) == CLOUD_KEYS[provider, component]  # the module really sets them
    record = RECORDED[component]
    assert paths(mine, set(record["free_form"])) <= set(record["keys"])


def test_the_keda_identity_is_bound_to_the_charts_operator_service_account():
    assert "serviceAccount.operator.name" in RECORDED["keda"]["keys"]
    assert KEDA_OPERATOR_SERVICE_ACCOUNT == "keda-operator"  # the chart's default, which no module changes


def test_a_key_the_chart_does_not_have_is_caught():
    planted = {"podIdentity": {"gcp": {"enabled": True, "serviceAccount": "keda@p.iam.gserviceaccount.com"}}}
    assert paths(planted, set()) - set(RECORDED["keda"]["keys"]) == {"podIdentity.gcp.serviceAccount"}
