"""The environment file's services are edited in place (issue 13): every comment and key other
than the changed entry stays byte for byte; duplicate keys and empty files are refused with one
line; a command that cannot get the environment's lock gives up with one line."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from synthdata_infra.config import ServiceEntry
from synthdata_infra.deploy.envfile import update_services
from synthdata_infra.deploy.lock import environment_lock, lock_path
from synthdata_infra.errors import ConfigError
from tests.conftest import run_cli

HEAD = """\
# Head comment
name: dev
description: "Development; cheap"
regions: {aws: us-east-1, gcp: us-central1, azure: eastus}
terraform_cloud: null
config:
  replicas: 1   # inline
  monitoring:
    alerts:
      channels: [slack]
# Services deployed here.
services:   # services comment
  # between services and the first entry
"""
ALPHA = """\
  - name: alpha   # first one
    data_type: tabular
    provider: aws
    # comment inside alpha
    overrides: {resources: {memory: 32Gi}}
"""
GAP = "\n  # about beta\n"
BETA = "  - {name: beta, data_type: text, provider: gcp}\n"
GAMMA = """\
  - name: gamma
    data_type: audio
    provider: 'aws'
    replicas: 2    # gamma replicas
    overrides:
      storage:
        size: 10Gi   # keep me
"""
TAIL = """\
# Comment before a quoted key
'alert_email': 'ops@example.com'
images:
    registry: "ghcr.io/synthdata"
    tag: '1.4.0'
# trailing
"""


@pytest.fixture
def tricky(project: Path) -> Path:
    path = project / "environments" / "dev.yaml"
    path.write_text(HEAD + ALPHA + GAP + BETA + GAMMA + TAIL)
    return path


def _change(project: Path, change) -> str:
    update_services(project, "dev", change)
    return (project / "environments" / "dev.yaml").read_text()


def _replace(name: str, **update):
    return lambda current: tuple(s.model_copy(update=update) if s.name == name else s for s in current)


def test_nothing_changed_writes_nothing(project: Path, tricky: Path):
    before = tricky.stat().st_mtime_ns
    assert _change(project, lambda current: current) == HEAD + ALPHA + GAP + BETA + GAMMA + TAIL
    assert tricky.stat().st_mtime_ns == before


def test_removing_an_entry_keeps_every_other_byte(project: Path, tricky: Path):
    assert _change(project, lambda c: tuple(s for s in c if s.name != "gamma")) == HEAD + ALPHA + GAP + BETA + TAIL
    assert _change(project, lambda c: tuple(s for s in c if s.name != "alpha")) == HEAD + GAP + BETA + TAIL
    assert _change(project, lambda c: ()) == HEAD.replace("services:   #", "services: []   #") + GAP + TAIL


def test_adding_an_entry_keeps_every_other_byte(project: Path, tricky: Path):
    delta = ServiceEntry(name="delta", data_type="text", provider="aws", replicas=3, overrides={"resources": {"memory": "8Gi"}})
    text = _change(project, lambda current: (*current, delta))
    added = "  - name: delta\n    data_type: text\n    provider: aws\n    replicas: 3\n    overrides:\n      resources:\n        memory: 8Gi\n"
    assert text == HEAD + ALPHA + GAP + BETA + GAMMA + added + TAIL


def test_changing_an_entry_rerenders_only_that_entry_and_keeps_its_comments(project: Path, tricky: Path):
    text = _change(project, _replace("gamma", replicas=4))
    assert text == HEAD + ALPHA + GAP + BETA + GAMMA.replace("replicas: 2 ", "replicas: 4 ") + TAIL
    text = _change(project, _replace("beta", replicas=3))
    beta = "  - {name: beta, data_type: text, provider: gcp, replicas: 3}\n"  # flow style kept
    assert text == HEAD + ALPHA + GAP + beta + GAMMA.replace("replicas: 2 ", "replicas: 4 ") + TAIL
    text = _change(project, _replace("gamma", overrides={"storage": {"size": "20Gi"}, "resources": {"cpu": "4"}}))
    gamma = GAMMA.replace("replicas: 2 ", "replicas: 4 ").replace("size: 10Gi", "size: 20Gi") + "      resources:\n        cpu: '4'\n"
    assert text == HEAD + ALPHA + GAP + beta + gamma + TAIL


def test_an_empty_list_becomes_a_block_list(project: Path):
    path = project / "environments" / "dev.yaml"
    original = path.read_text()
    assert original.endswith("services: []\n")
    text = _change(project, lambda current: (ServiceEntry(name="one", data_type="image", provider="gcp"),))
    assert text == original.replace("services: []\n", "services:\n  - name: one\n    data_type: image\n    provider: gcp\n")
    assert _change(project, lambda current: ()) == original


def test_a_change_that_fails_validation_writes_nothing(project: Path, tricky: Path):
    before = tricky.read_bytes()
    duplicate = ServiceEntry(name="alpha", data_type="tabular", provider="aws")
    with pytest.raises(ConfigError, match=r"services\.3\.name: got 'alpha'"):
        update_services(project, "dev", lambda current: (*current, duplicate))

    def refuse(current):
        raise ConfigError("--service", "x", "no")

    with pytest.raises(ConfigError):
        update_services(project, "dev", refuse)
    assert tricky.read_bytes() == before
    assert sorted(p.name for p in tricky.parent.iterdir()) == ["dev.yaml", "production.yaml", "staging.yaml"]


def _digests(project: Path) -> dict[str, str]:
    return {str(p.relative_to(project)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(project.rglob("*")) if p.is_file()}


def _refused(project: Path, *args: str) -> str:
    before = _digests(project)
    done = run_cli(*args, env={"SYNTHDATA_INFRA_ROOT": str(project)})
    assert done.returncode == 2, done.stdout + done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in done.stderr, done.stderr
    assert _digests(project) == before
    return lines[0]


def test_duplicate_key_in_a_profile(project: Path):
    path = project / "profiles" / "text" / "profile.yaml"
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(lines) + "resources:\n  cpu: '1'\n")
    first = next(i for i, line in enumerate(lines) if line.startswith("resources:")) + 1
    message = _refused(project, "config", "show", "--type", "text")
    assert message.startswith(f"error: profiles/text/profile.yaml:resources: got a duplicate key at line {len(lines) + 1} (first at line {first})")


def test_duplicate_nested_key_in_an_environment(project: Path):
    path = project / "environments" / "dev.yaml"
    text = path.read_text()
    assert "  replicas: 1\n" in text
    path.write_text(text.replace("  replicas: 1\n", "  replicas: 1\n  replicas: 3\n", 1))
    line = text[: text.index("  replicas: 1\n")].count("\n") + 2
    for command in (("config", "show", "--type", "text", "--environment", "dev"), ("status", "--environment", "dev")):
        message = _refused(project, *command)
        assert message.startswith(f"error: environments/dev.yaml:config.replicas: got a duplicate key at line {line} (first at line {line - 1})")


def test_duplicate_key_in_a_service_entry_refuses_destroy(project: Path):
    path = project / "environments" / "dev.yaml"
    path.write_text(path.read_text().replace("services: []\n", "services:\n  - name: a\n    data_type: text\n    provider: aws\n    provider: gcp\n"))
    message = _refused(project, "destroy", "--service", "a", "--environment", "dev")
    assert "environments/dev.yaml:services.0.provider: got a duplicate key" in message


@pytest.mark.parametrize("content", ["", "\n\n", "# only a comment\n# and another\n"])
def test_empty_profile(project: Path, content: str):
    (project / "profiles" / "image" / "profile.yaml").write_text(content)
    message = _refused(project, "config", "show", "--type", "image")
    assert message.startswith("error: profiles/image/profile.yaml: got an empty file")


@pytest.mark.parametrize("content", ["", "# nothing here yet\n"])
def test_empty_environment(project: Path, content: str):
    (project / "environments" / "staging.yaml").write_text(content)
    message = _refused(project, "config", "show", "--type", "text", "--environment", "staging")
    assert message == "error: environments/staging.yaml: got an empty file (nothing but comments or blank lines); expected a mapping of keys to values"
    _refused(project, "deploy", "--type", "text", "--name", "t", "--provider", "aws", "--environment", "staging")


def test_a_held_lock_times_out_with_one_line(project: Path):
    path = project / "environments" / "dev.yaml"
    path.write_text(path.read_text().replace("services: []\n", "services:\n  - name: a\n    data_type: text\n    provider: aws\n"))
    before = path.read_bytes()
    with environment_lock(project, "dev"):
        assert lock_path(project, "dev").read_text().strip() == str(os.getpid())
        done = run_cli("destroy", "--service", "a", "--environment", "dev",
                       env={"SYNTHDATA_INFRA_ROOT": str(project), "SYNTHDATA_INFRA_LOCK_TIMEOUT": "0.3"})
    assert done.returncode == 1, done.stdout + done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr
    assert lines[0].startswith(f"error: environment dev is locked by pid {os.getpid()}")
    assert "SYNTHDATA_INFRA_LOCK_TIMEOUT" in lines[0]
    assert path.read_bytes() == before
    # Released: the same command now goes through.
    done = run_cli("destroy", "--service", "a", "--environment", "dev", env={"SYNTHDATA_INFRA_ROOT": str(project)})
    assert done.returncode == 0, done.stderr


def test_a_bad_lock_timeout_is_a_config_error(project: Path):
    path = project / "environments" / "dev.yaml"
    path.write_text(path.read_text().replace("services: []\n", "services:\n  - name: a\n    data_type: text\n    provider: aws\n"))
    done = run_cli("destroy", "--service", "a", "--environment", "dev",
                   env={"SYNTHDATA_INFRA_ROOT": str(project), "SYNTHDATA_INFRA_LOCK_TIMEOUT": "soon"})
    assert done.returncode == 2
    assert done.stderr.strip() == "error: SYNTHDATA_INFRA_LOCK_TIMEOUT: got 'soon'; expected a number of seconds >= 0"
