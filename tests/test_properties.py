"""Property-based tests (hypothesis) over the configuration: random overrides and random
profile mutations either work, or end in exit status 2 with one message naming the key path;
never a traceback, never a partial write."""

from __future__ import annotations

import contextlib
import io
import json
import shutil
import sys
import tempfile
from pathlib import Path
from unittest import mock

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from synthdata_infra.cli import main
from synthdata_infra.config import ServiceConfig
from synthdata_infra.validate import validate
from tests.conftest import REPO, TYPES, run_cli

Leaf = tuple[str, ...]


def leaf_paths(model: type[BaseModel], prefix: Leaf = ()) -> list[Leaf]:
    """Every key path of the configuration model, nested models expanded."""
    paths: list[Leaf] = []
    for name, field in model.model_fields.items():
        if name in ("data_type", "environment"):
            continue
        nested = [a for a in getattr(field.annotation, "__args__", (field.annotation,)) if isinstance(a, type) and issubclass(a, BaseModel)]
        if nested:
            paths += leaf_paths(nested[0], (*prefix, name))
        paths.append((*prefix, name))
    return paths


PATHS = leaf_paths(ServiceConfig)
scalars = st.one_of(
    st.integers(-5, 5000),
    st.floats(-2, 100, allow_nan=False),
    st.booleans(),
    st.none(),
    st.sampled_from(["16Gi", "500m", "lots", "10Gbps", "nvidia-a100", "nvidia-tesla-t4", "fast-ssd", "30d", "", "-1"]),
    st.text(alphabet="abcxyz-_.019", max_size=8),
)
paths = st.one_of(st.sampled_from(PATHS), st.lists(st.sampled_from(["gpu", "cuont", "resources", "sise", "x"]), min_size=1, max_size=3).map(tuple))


def run_main(*args: str) -> tuple[int, str, str]:
    stdout, stderr = io.StringIO(), io.StringIO()
    with mock.patch.object(sys, "argv", ["synthdata-infra", *args]), contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        try:
            main()
            code = 0
        except SystemExit as exited:
            code = exited.code if isinstance(exited.code, int) else 1
    return code, stdout.getvalue(), stderr.getvalue()


@pytest.mark.slow
@settings(max_examples=200, deadline=None)
@given(kind=st.sampled_from(TYPES), overrides=st.lists(st.tuples(paths, scalars), min_size=1, max_size=3))
def test_random_overrides_never_break_the_cli(kind, overrides):
    args = ["config", "show", "--type", kind, "--provider", "aws", "--format", "json"]
    for path, value in overrides:
        args += ["--set", f"{'.'.join(path)}={json.dumps(value)}"]
    code, out, err = run_main(*args)
    assert "Traceback" not in out + err
    if code == 0:
        shown = json.loads(out)
        assert shown["placement"]["nodes"] >= 1
    else:
        assert code == 2, err
        assert len(err.strip().splitlines()) == 1 and err.startswith("error: ") and ": got " in err, err


@pytest.mark.slow
@settings(max_examples=200, deadline=None)
@given(kind=st.sampled_from(TYPES), path=st.sampled_from(PATHS), value=scalars)
def test_random_override_errors_name_the_key_path(kind, path, value):
    code, _, err = run_main("config", "show", "--type", kind, "--set", f"{'.'.join(path)}={json.dumps(value)}")
    assert code in (0, 2)
    if code == 2:
        named = err.removeprefix("error: ").split(": got ", 1)[0]
        # the message names the key that was set, a key of the section it sits in (a section the
        # override created lacks its other required keys), or a cross-key bound it broke
        sections = [".".join(path[:i]) for i in range(1, len(path) + 1)]
        bounds = {"replicas", "scaling.min_replicas", "gpu.type", "--set"}
        assert named in bounds or any(named == s or named.startswith(s + ".") for s in sections) or named.startswith("scaling.triggers"), (path, err)


def _mutate(profile: dict, path: tuple[str, ...], value) -> None:
    node = profile
    for key in path[:-1]:
        node = node.setdefault(key, {}) if isinstance(node.get(key), dict) or key not in node else node[key]
        if not isinstance(node, dict):
            return
    node[path[-1]] = value


@pytest.mark.integration
@pytest.mark.slow
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(kind=st.sampled_from(TYPES), path=st.sampled_from(PATHS), value=scalars)
def test_random_profile_mutation_synthesizes_a_valid_module_or_exits_2(kind, path, value):
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        for folder in ("profiles", "environments"):
            shutil.copytree(REPO / folder, root / folder)
        profile_file = root / "profiles" / kind / "profile.yaml"
        profile = yaml.safe_load(profile_file.read_text())
        _mutate(profile, path, value)
        profile_file.write_text(yaml.safe_dump(profile))
        out = root / "out"
        env = {"SYNTHDATA_INFRA_ROOT": str(root), "SYNTHDATA_INFRA_CACHE": str(root / "cache")}
        done = run_cli("synth", "--provider", "onprem", "--type", kind, "--out", str(out), env=env)
        assert "Traceback" not in done.stderr
        if done.returncode == 0:
            findings = [f for f in validate(out, {"terraform", "promtool"}) if f.result == "fail"]
            assert findings == [], findings
        else:
            assert done.returncode == 2, done.stderr
            assert len(done.stderr.strip().splitlines()) == 1 and ": got " in done.stderr
            assert not out.exists() or not any(out.rglob("*")), "partial write"
            assert not any(p.name.startswith(".out.staging") for p in root.iterdir())
