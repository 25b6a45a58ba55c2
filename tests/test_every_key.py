"""Every key of the configuration model either has an effect a test can see or is refused.

The walk takes every leaf of every data type's resolved profile. A leaf is refused (``REFUSED``:
setting it exits 2 naming the key), read by the environment's monitoring root
(``MONITORING_INPUTS``: flipping it changes a provider's monitoring module inputs), carried by
the committed rules (``RULES``), or else flipping it in the profile must change a module
``synthdata-infra synth`` builds from it (the workload module, else the AWS cloud module).
A key in none of these, or one whose flip changes nothing, fails the walk.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import pytest

from synthdata_infra import providers
from synthdata_infra.config import data_types, load_environment, resolve
from synthdata_infra.deploy.plan import Target
from synthdata_infra.errors import ConfigError
from tests.conftest import REPO, edit_yaml

# Keys set as a whole (a mapping or a list is one leaf).
MAPPING_LEAVES = {"deployment.labels", "networking.ingress.annotations"}

# Refused: (a value, a phrase of the reason). `false` of a security switch cannot switch it off.
REFUSED: dict[str, tuple[Any, str]] = {
    "data_type": ("image", "choose it with --type"),
    "environment": ("staging", "choose it with --environment"),
    "security.rbac.enabled": (False, "least-privilege Role"),
    "security.network_policies.enabled": (False, "default-deny NetworkPolicy"),
    "security.pod_security.enabled": (False, "Pod Security 'restricted'"),
    "monitoring.prometheus.enabled": (False, "cannot be switched off"),
    "monitoring.prometheus.retention": ("30d", "Amazon Managed Prometheus 150 days"),
}

# Read by the environment's monitoring root: (flipped value, providers whose module inputs change).
MONITORING_INPUTS: dict[str, tuple[Any, tuple[str, ...]]] = {
    "monitoring.grafana.enabled": (False, ("aws", "azure", "onprem")),  # GCP's module creates no Grafana
    "monitoring.alerts.enabled": (False, ("aws", "gcp", "azure", "onprem")),
    "monitoring.alerts.channels": (["email"], ("aws", "gcp", "azure", "onprem")),
}

# A requirement the placement checks: a value the chosen GPU cannot meet is refused (exit 2).
CHECKED = {"gpu.memory": ("64Gi", "gpu memory")}

RULES = {"monitoring.alerts.runbook_base_url": "https://runbooks.example.org/synthdata"}

# Flipped values of the leaves that are neither booleans nor numbers.
FLIPS: dict[str, Any] = {
    "deployment.namespace": "synthgen",
    "deployment.labels": {"team": "ml"},
    "resources.cpu": "3",
    "resources.memory": "12Gi",
    "resources.storage_type": "standard",
    "gpu.type": "nvidia-l4",
    "storage.size": "3Ti",
    "storage.storage_class": "standard",
    "storage.compression": "lz4",
    "storage.mount_path": "/data/other",
    "networking.service_type": "NodePort",
    "networking.bandwidth": "25Gbps",  # a bandwidth the profile's node type lacks: another node type
    "networking.ingress.annotations": {"nginx.ingress.kubernetes.io/proxy-body-size": "50m"},
    "security.secrets": ["other-credentials"],
    "scaling.triggers": [{"metric": "cpu_usage", "threshold": 0.5, "urgency": "high"}],
    "specific.model_cache.size": "150Gi",
    "specific.model_cache.preload_models": ["other-model"],
    "specific.postprocessing.compression": "opus",
}


def _leaves(document: dict, prefix: str = ""):
    for key, value in document.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict) and path not in MAPPING_LEAVES:
            yield from _leaves(value, f"{path}.")
        else:
            yield path, value


def model_leaves() -> dict[str, tuple[str, Any]]:
    """Every leaf key -> (a data type whose profile sets it, its value there)."""
    found: dict[str, tuple[str, Any]] = {}
    for kind in data_types():
        for path, value in _leaves(resolve(kind, None).model_dump(mode="json")):
            if path not in found or (found[path][1] is None and value is not None):
                found[path] = (kind, value)
    # A section that is null in one profile (gpu, a type-specific block) is walked through its keys.
    return {path: each for path, each in found.items() if not any(other.startswith(f"{path}.") for other in found)}


def nested(path: str, value: Any) -> dict:
    for part in reversed(path.split(".")):
        value = {part: value}
    return value


def flipped(path: str, kind: str, value: Any) -> dict:
    """An override that changes ``path`` and still resolves for ``kind``."""
    if path in FLIPS:
        candidates = [FLIPS[path]]
    elif isinstance(value, bool):
        candidates = [not value]
    elif isinstance(value, (int, float)):
        candidates = [value + 1, value - 1]
    else:
        pytest.fail(f"{path}: no flipped value in FLIPS (or refuse the key, or remove it from the model)")
    for candidate in candidates:
        if candidate == value:
            continue
        override = nested(path, candidate)
        try:
            resolve(kind, None, override)
        except ConfigError:
            continue
        return override
    pytest.fail(f"{path}: no flipped value resolves for {kind}")


def module_digests(entries: list[dict]) -> dict[str, str]:
    done = subprocess.run(
        [sys.executable, "-m", "tests.key_effects"],
        input=json.dumps(entries),
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        check=False,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


def test_every_key_is_classified():
    leaves = set(model_leaves())
    classified = set(REFUSED) | set(MONITORING_INPUTS) | set(RULES) | set(CHECKED)
    assert classified <= leaves, "a table names a key the model does not have"
    unclassified = leaves - classified
    without_flip = [p for p in unclassified if p not in FLIPS and not isinstance(model_leaves()[p][1], (bool, int, float))]
    assert not without_flip, f"keys with no flip and no refusal: {without_flip}"


def test_every_other_key_changes_a_synthesized_module():
    """Flip each key in its profile: the workload module, else the AWS cloud module, must change."""
    tables = (REFUSED, MONITORING_INPUTS, RULES, CHECKED)
    leaves = {p: each for p, each in model_leaves().items() if not any(p in table for table in tables)}
    kinds = sorted({kind for kind, _ in leaves.values()})
    unchanged = dict(leaves)
    for layer in ("kubernetes", "aws"):
        entries = [{"id": f"base:{kind}", "layer": layer, "data_type": kind, "overrides": {}} for kind in kinds]
        entries += [{"id": f"again:{kinds[0]}", "layer": layer, "data_type": kinds[0], "overrides": {}}]
        entries += [
            {"id": path, "layer": layer, "data_type": kind, "overrides": flipped(path, kind, value)} for path, (kind, value) in unchanged.items()
        ]
        digests = module_digests(entries)
        assert digests[f"again:{kinds[0]}"] == digests[f"base:{kinds[0]}"], "two builds of one profile differ"
        unchanged = {path: (kind, value) for path, (kind, value) in unchanged.items() if digests[path] == digests[f"base:{kind}"]}
    assert not unchanged, f"keys whose flip changes no synthesized module (give them an effect, or refuse or remove them): {sorted(unchanged)}"


@pytest.mark.parametrize("path", sorted(REFUSED))
def test_a_refused_key_exits_2_naming_it(cli, path):
    value, reason = REFUSED[path]
    kind = model_leaves()[path][0]
    result = cli("config", "show", "--type", kind, "--set", f"{path}={json.dumps(value)}")
    assert result.exit_code == 2
    assert path in result.stderr and reason in result.stderr, result.stderr
    assert "Traceback" not in result.stderr + result.stdout


@pytest.mark.parametrize("path", sorted(CHECKED))
def test_a_checked_requirement_refuses_what_the_placement_cannot_meet(cli, path):
    value, reason = CHECKED[path]
    kind, current = model_leaves()[path]
    for provider in providers.with_catalog():
        assert cli("config", "show", "--type", kind, "--provider", provider, "--set", f"{path}={current}").exit_code == 0
        refused = cli("config", "show", "--type", kind, "--provider", provider, "--set", f"{path}={value}")
        # The placement names the whole request (key `resources`) and which part is too big.
        assert refused.exit_code == 2 and f"{path.replace('.', '_')}={value}" in refused.stderr and reason in refused.stderr, refused.stderr


@pytest.mark.parametrize("path", sorted(MONITORING_INPUTS))
def test_a_monitoring_key_changes_the_monitoring_inputs(path):
    value, affected = MONITORING_INPUTS[path]
    environment = load_environment("staging")
    settings = resolve("image", "staging").monitoring
    changed = resolve("image", "staging", nested(path, value)).monitoring
    assert changed != settings
    for provider in map(providers.get, providers.names()):
        before = provider.monitoring_inputs(environment, Target(), {}, settings)
        after = provider.monitoring_inputs(environment, Target(), {}, changed)
        assert (before != after) == (provider.name in affected), (provider.name, before, after)


def test_the_runbook_base_url_reaches_the_rules(project):
    from synthdata_infra.monitoring.rules import rule_groups

    path = "monitoring.alerts.runbook_base_url"
    before = json.dumps(rule_groups())
    edit_yaml(project / "profiles" / "base.yaml", lambda d: d["monitoring"]["alerts"].update(runbook_base_url=RULES[path]))
    after = json.dumps(rule_groups())
    assert before != after and RULES[path] in after
