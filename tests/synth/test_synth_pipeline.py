"""The synth pipeline: golden output, partial and atomic writes, bad input, the cdktf CLI.
(Child-module rules, determinism and docs of every module: test_conformance.py.)"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from synthdata_infra.synth.driver import SynthFailure, replace_atomically
from synthdata_infra.synth.registry import modules_for
from tests.conftest import REPO, TYPES, edit_yaml, load, run_cli


def tree_digest(folder: Path) -> dict[str, str]:
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def test_committed_modules_match_a_fresh_synth(fresh_modules):
    """modules_out/ is golden output: regenerate it (make synth) in the commit that changes it.
    It was written by another process than this run's synth (each with its own string-hash seed),
    so this is also the determinism check: a difference with no change to the source means the
    synth's output depends on something other than its inputs."""
    assert tree_digest(REPO / "modules_out") == tree_digest(fresh_modules), "modules_out is stale: run `make synth`"


def test_one_type_replaces_only_its_folder(fresh_modules, tmp_path):
    out = tmp_path / "out"
    assert run_cli("synth", "--provider", "onprem", "--out", str(out)).returncode == 0
    edited = out / "kubernetes" / "audio" / "README.md"  # a generated file someone edited: not synth's to undo here
    edited.write_text("left alone")
    done = run_cli("synth", "--provider", "onprem", "--type", "video", "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert edited.read_text() == "left alone"
    assert tree_digest(out / "kubernetes" / "video") == tree_digest(fresh_modules / "kubernetes" / "video")


def test_failed_build_leaves_output_untouched(fresh_modules, tmp_path):
    out = tmp_path / "modules_out"
    assert run_cli("synth", "--provider", "onprem", "--out", str(out)).returncode == 0
    before = tree_digest(out)

    def build(staging: Path) -> None:
        (staging / "kubernetes" / "tabular").mkdir(parents=True)
        (staging / "kubernetes" / "tabular" / "main.tf.json").write_text("{}")
        raise RuntimeError("worker died half way")

    with pytest.raises(RuntimeError):
        replace_atomically(out, ["kubernetes/tabular", "kubernetes/image"], build)
    assert tree_digest(out) == before
    assert [p.name for p in tmp_path.iterdir()] == ["modules_out"], "staging folder left behind"


def test_missing_module_after_build_leaves_output_untouched(tmp_path):
    out = tmp_path / "modules_out"
    (out / "kubernetes" / "tabular").mkdir(parents=True)
    (out / "kubernetes" / "tabular" / "main.tf.json").write_text('{"old": true}')
    with pytest.raises(SynthFailure):
        replace_atomically(out, ["kubernetes/tabular"], lambda staging: None)
    assert (out / "kubernetes" / "tabular" / "main.tf.json").read_text() == '{"old": true}'


def test_crashing_worker_leaves_output_untouched(fresh_modules, tmp_path):
    """A worker process that dies (here: its binding package cannot be imported)."""
    out = tmp_path / "modules_out"
    assert run_cli("synth", "--provider", "onprem", "--out", str(out)).returncode == 0
    before = tree_digest(out)
    broken = tmp_path / "broken"
    (broken / "cdktf_cdktf_provider_kubernetes").mkdir(parents=True)
    (broken / "cdktf_cdktf_provider_kubernetes" / "__init__.py").write_text("raise ImportError('no bindings')\n")
    done = run_cli("synth", "--provider", "onprem", "--no-cache", "--out", str(out), env={"PYTHONPATH": str(broken)})
    assert done.returncode == 1
    assert "the output folder is unchanged" in done.stderr
    assert tree_digest(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["broken", "modules_out"]


def test_bad_profile_exits_2_and_writes_nothing(project, tmp_path):
    out = tmp_path / "modules_out"
    edit_yaml(project / "profiles/video/profile.yaml", lambda d: d["resources"].update(memory="lots"))
    done = run_cli("synth", "--provider", "onprem", "--out", str(out), env={"SYNTHDATA_INFRA_ROOT": str(project)})
    assert done.returncode == 2
    assert done.stderr.strip() == "error: resources.memory: got 'lots'; expected a Kubernetes memory quantity such as 512Mi, 16Gi or 1Ti"
    assert not out.exists() or not any(out.iterdir())


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--provider", "openstack"], "error: --provider: got 'openstack'; expected one of aws, gcp, azure, onprem, all"),
        (["--type", "pictures"], f"error: --type: got 'pictures'; expected one of {', '.join(TYPES)}, all"),
    ],
)
def test_synth_bad_options_exit_2(args, message, tmp_path, cli):
    done = cli("synth", *args, "--out", str(tmp_path / "out"))
    assert done.exit_code == 2 and done.stderr.strip() == message
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_cdktf_synth_builds_the_same_stacks(fresh_modules, cdktf_out):
    """The real `cdktf synth` (npm cdktf-cli, running main.py): same resources as the modules."""
    for spec in modules_for("all", "all"):
        stack = json.loads((cdktf_out / "stacks" / spec.stack_id / "cdk.tf.json").read_text())
        module = load(fresh_modules / spec.folder, "main.tf.json")
        assert _without_metadata(stack["resource"]) == module["resource"]


def _without_metadata(value):
    if isinstance(value, dict):
        return {k: _without_metadata(v) for k, v in value.items() if k != "//"}
    if isinstance(value, list):
        return [_without_metadata(v) for v in value]
    return value
