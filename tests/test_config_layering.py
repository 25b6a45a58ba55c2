"""Precedence of the layers, one pair per test: base -> type -> environment -> overrides."""

from __future__ import annotations

import pytest

from synthdata_infra.config import deep_merge, parse_override, parse_overrides, resolve
from tests.conftest import edit_yaml


def test_type_profile_wins_over_base(project):
    edit_yaml(project / "profiles/base.yaml", lambda d: d["resources"].update(memory="3Gi"))
    edit_yaml(project / "profiles/text/profile.yaml", lambda d: d["resources"].update(memory="5Gi"))
    assert resolve("text", "dev").resources.memory == "5Gi"


def test_base_applies_where_type_is_silent(project):
    edit_yaml(project / "profiles/base.yaml", lambda d: d["networking"].update(port=8181))
    edit_yaml(project / "profiles/text/profile.yaml", lambda d: d.pop("networking", None))
    assert resolve("text", "dev").networking.port == 8181


def test_environment_wins_over_type_profile(project):
    edit_yaml(project / "profiles/tabular/profile.yaml", lambda d: d["storage"].update(size="100Gi"))
    edit_yaml(project / "environments/staging.yaml", lambda d: d["config"].update(storage={"size": "20Gi"}))
    assert resolve("tabular", "staging").storage.size == "20Gi"


def test_environment_wins_over_base(project):
    edit_yaml(project / "profiles/base.yaml", lambda d: d["monitoring"]["grafana"].update(enabled=True))
    edit_yaml(project / "environments/dev.yaml", lambda d: d["config"]["monitoring"].update(grafana={"enabled": False}))
    assert resolve("tabular", "dev").monitoring.grafana.enabled is False


def test_override_wins_over_environment(project):
    edit_yaml(project / "environments/dev.yaml", lambda d: d["config"].update(replicas=1))
    assert resolve("tabular", "dev", {"replicas": 2}).replicas == 2


def test_override_wins_over_type_profile(project):
    edit_yaml(project / "profiles/image/profile.yaml", lambda d: d["gpu"].update(count=1))
    assert resolve("image", "production", {"gpu": {"count": 3}}).gpu.count == 3


def test_lists_replace_and_mappings_merge(project):
    config = resolve(
        "tabular",
        "production",
        {"monitoring": {"alerts": {"channels": ["slack"]}}, "deployment": {"labels": {"team": "data"}}},
    )
    assert config.monitoring.alerts.channels == ("slack",)
    assert config.deployment.labels == {"app": "inferloop-synthdata", "managed-by": "common-infra-lib", "team": "data"}


def test_null_override_removes_a_section(project):
    assert resolve("image", "production", {"gpu": None, "scaling": {"triggers": []}}).gpu is None


def test_deep_merge_does_not_mutate_its_inputs():
    base = {"a": {"b": 1, "c": [1]}}
    overlay = {"a": {"b": 2}}
    merged = deep_merge(base, overlay)
    merged["a"]["c"].append(2)
    assert base == {"a": {"b": 1, "c": [1]}} and overlay == {"a": {"b": 2}}
    assert merged == {"a": {"b": 2, "c": [1, 2]}}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("gpu.count=2", {"gpu": {"count": 2}}),
        ("resources.memory=32Gi", {"resources": {"memory": "32Gi"}}),
        ("storage.cdn_enabled=true", {"storage": {"cdn_enabled": True}}),
        ("gpu=null", {"gpu": None}),
        ("monitoring.alerts.channels=[email, pagerduty]", {"monitoring": {"alerts": {"channels": ["email", "pagerduty"]}}}),
    ],
)
def test_override_values_are_read_as_yaml_scalars(text, expected):
    assert parse_override(text) == expected


def test_later_overrides_win_and_merge():
    assert parse_overrides(["gpu.count=2", "gpu.type=nvidia-a100", "gpu.count=4"]) == {
        "gpu": {"count": 4, "type": "nvidia-a100"}
    }


def test_resolved_configuration_is_frozen(project):
    config = resolve("tabular", "dev")
    with pytest.raises(Exception):
        config.replicas = 7  # type: ignore[misc]
