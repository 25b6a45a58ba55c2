"""A provider is one class in one registry (synthdata_infra/providers): everything else asks the
registry, an unknown provider is an error, and no code outside the provider package compares
with a provider's name or lists the data types."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

from synthdata_infra import providers
from synthdata_infra.config import ServiceEntry
from synthdata_infra.config.loader import data_types, validate
from synthdata_infra.errors import ConfigError
from synthdata_infra.providers.onprem import Onprem
from synthdata_infra.synth.registry import modules_for
from tests.conftest import REPO

PACKAGE = REPO / "synthdata_infra"


@pytest.mark.parametrize("name", providers.names())
def test_each_provider_declares_what_it_owns(name):
    provider = providers.get(name)
    assert provider.name == name
    assert provider.binding.source.startswith("hashicorp/")
    assert provider.binding.version.startswith(">= ") and ", < " in provider.binding.version
    assert provider.binding.example_block.startswith(f'provider "{provider.binding.name}" {{')
    for layer in (*provider.modules, provider.monitoring):
        module, _, function = layer.builder.partition(":")
        assert callable(getattr(importlib.import_module(module), function)), layer
        assert layer.binding in providers.bindings()
    assert provider.cost_catalog in providers.with_catalog()
    # A provider with a cloud layer sizes node pools from its own catalog.
    assert provider.cloud == provider.has_catalog


def test_the_registry_is_what_the_synth_produces():
    folders = {spec.folder for spec in modules_for("all", "all")}
    expected = {f"{layer.folder}/{kind}" for p in providers.REGISTRY.values() for layer in p.modules for kind in data_types()}
    expected |= {f"{p.monitoring.folder}/monitoring" for p in providers.REGISTRY.values()}
    expected |= {f"{p.platform.folder}/platform" for p in providers.REGISTRY.values() if p.platform is not None}
    assert folders == expected
    assert (REPO / "modules_out").is_dir() and {f"{p.parent.name}/{p.name}" for p in (REPO / "modules_out").glob("*/*")} == expected


@pytest.mark.parametrize(
    "call",
    [
        lambda: providers.get("openstack"),
        lambda: modules_for("openstack", "all"),
        lambda: validate(ServiceEntry, {"name": "svc", "data_type": data_types()[0], "provider": "openstack"}),
    ],
    ids=["registry", "synth registry", "environment file"],
)
def test_an_unknown_provider_is_an_error_naming_the_choices(call):
    with pytest.raises(ConfigError) as raised:
        call()
    assert raised.value.value == "openstack"
    assert ", ".join(providers.names()) in raised.value.allowed


def test_the_cli_refuses_an_unknown_provider(cli):
    done = cli("config", "show", "--type", data_types()[0], "--provider", "openstack")
    assert done.exit_code == 2
    assert "openstack" in done.stderr and ", ".join(providers.names()) in done.stderr
    assert "Traceback" not in done.stderr


def test_cost_refuses_a_provider_without_a_catalog(cli):
    no_catalog = [name for name in providers.names() if name not in providers.with_catalog()]
    assert no_catalog, "onprem has no instance catalog"
    done = cli("cost", "--type", data_types()[0], "--provider", no_catalog[0])
    assert done.exit_code == 2 and "a cloud catalog is needed" in done.stderr


class Kind(Onprem):
    """A fifth provider as a team would add one: a local kind cluster with its own monitoring folder."""

    name = "kind"


def test_a_registered_provider_is_known_everywhere(monkeypatch):
    monkeypatch.setitem(providers.REGISTRY, "kind", Kind())
    assert "kind" in providers.names()
    entry = validate(ServiceEntry, {"name": "svc", "data_type": data_types()[0], "provider": "kind"})
    assert entry.provider == "kind"
    specs = modules_for("kind", "all")
    assert [spec.folder for spec in specs] == [*(f"kubernetes/{kind}" for kind in data_types()), "onprem/monitoring", "onprem/platform"]
    with pytest.raises(ConfigError, match="a cloud catalog is needed"):
        providers.get("kind", catalog=True)


def _sources() -> list[tuple[Path, ast.AST]]:
    return [(path, ast.parse(path.read_text(), str(path))) for path in sorted(PACKAGE.rglob("*.py"))]


def _strings(node: ast.AST) -> list[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        return [value for element in node.elts for value in _strings(element)]
    return []


def test_no_provider_name_comparison_outside_the_provider_package():
    names = set(providers.names())
    found = []
    for path, tree in _sources():
        if PACKAGE / "providers" in path.parents:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Compare) and names & set(_strings(node.left) + [s for c in node.comparators for s in _strings(c)]):
                found.append(f"{path.relative_to(REPO)}:{node.lineno}")
    assert not found, f"provider names compared outside synthdata_infra/providers: {found}"


def test_no_literal_list_of_data_types_in_the_package():
    """The types are the folders of profiles/: no tuple, list, set or dict keys name two of them."""
    types = set(data_types())
    found = []
    for path, tree in _sources():
        for node in ast.walk(tree):
            listed = _strings(node) if isinstance(node, (ast.Tuple, ast.List, ast.Set)) else []
            if isinstance(node, ast.Dict):
                listed = [s for key in node.keys if key is not None for s in _strings(key)]
            if len(types & set(listed)) >= 2:
                found.append(f"{path.relative_to(REPO)}:{node.lineno}")
    assert not found, f"data types listed in Python: {found}"
