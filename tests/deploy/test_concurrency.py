"""Commands on one environment at once, as separate processes: the environment's lock keeps
every command's change (issue 13: two deploys used to lose one service, or crash on a shared
temporary file)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from tests.conftest import REPO, run_cli

ROUNDS = 3
DESTROYS = 4  # `destroy` of a recorded, never-applied service: the real CLI, no Terraform
DEPLOYS = 4  # the write path of `deploy` (Engine._update with with_deployed), one process each

# Waits for the start file, then runs one command through the console entry point (exit code,
# error boundary and all), so every process reaches the environment file at the same moment.
CLI_WORKER = """
import os, sys, time
go = sys.argv[1]
while not os.path.exists(go):
    time.sleep(0.002)
sys.argv = ["synthdata-infra", *sys.argv[2:]]
from synthdata_infra.cli import main
main()
"""

DEPLOY_WORKER = """
import os, sys, time
from pathlib import Path
from synthdata_infra.config import ServiceEntry
from synthdata_infra.deploy.engine import Engine, with_deployed
go, project, name = sys.argv[1:4]
engine = Engine(Path(project))
entry = ServiceEntry(name=name, data_type="text", provider="aws", replicas=2, overrides={"resources": {"memory": "8Gi"}})
while not os.path.exists(go):
    time.sleep(0.002)
engine._update("dev", name, lambda current: with_deployed(current, entry, "dev"))
"""


def _seed(project: Path, original: str, names: list[str]) -> None:
    entries = "".join(f"  - name: {name}\n    data_type: tabular\n    provider: aws\n" for name in names)
    assert "services: []\n" in original
    (project / "environments" / "dev.yaml").write_text(original.replace("services: []\n", "services:\n" + entries) + "# the end\n")


def _start(worker: str, *args: str, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-c", worker, *args], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.mark.slow
def test_concurrent_destroys_and_deploys_keep_every_change(project: Path, tmp_path: Path):
    env = {**os.environ, "SYNTHDATA_INFRA_ROOT": str(project), "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20"}
    path = project / "environments" / "dev.yaml"
    original = path.read_text()
    for round_ in range(ROUNDS):
        doomed = [f"old-{round_}-{i}" for i in range(DESTROYS)]
        keep = f"keep-{round_}"
        born = [f"new-{round_}-{i}" for i in range(DEPLOYS)]
        _seed(project, original, [doomed[0], keep, *doomed[1:]])
        go = tmp_path / f"go-{round_}"
        processes = {name: _start(CLI_WORKER, str(go), "destroy", "--service", name, "--environment", "dev", env=env) for name in doomed}
        processes |= {name: _start(DEPLOY_WORKER, str(go), str(project), name, env=env) for name in born}
        time.sleep(1.5)  # every process started and waiting for the start file
        go.touch()
        for name, process in processes.items():
            _out, err = process.communicate(timeout=60)
            assert "Traceback" not in err, f"round {round_}, {name}: {err}"
            assert process.returncode == 0, f"round {round_}, {name}: exit {process.returncode}: {err}"
        text = path.read_text()
        services = yaml.safe_load(text)["services"]
        assert sorted(entry["name"] for entry in services) == sorted([keep, *born]), f"round {round_}: {text}"
        assert all(entry["replicas"] == 2 and entry["overrides"] == {"resources": {"memory": "8Gi"}}
                   for entry in services if entry["name"] in born)
        # Every other line as written; no temporary file left behind.
        assert text.startswith(original.split("services: []")[0]) and text.endswith("# the end\n")
        assert sorted(p.name for p in path.parent.iterdir()) == ["dev.yaml", "production.yaml", "staging.yaml"]
        done = run_cli("status", "--environment", "dev", "--format", "json", env={"SYNTHDATA_INFRA_ROOT": str(project)})
        assert done.returncode == 0, done.stderr  # the file as left validates
