"""The local target: moto's AWS API on 127.0.0.1, kept running between commands.

``deploy --local`` starts it in the background (its address in ``.synthdata/local/aws.json``);
``scale``, ``status`` and ``destroy`` of local services reuse it; ``synthdata-infra local stop``
ends it, and everything it held with it.
"""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from synthdata_infra.errors import SynthdataError

STARTUP_SECONDS = 60
_detached: list[subprocess.Popen] = []


def _state_file(project: Path) -> Path:
    return project / ".synthdata" / "local" / "aws.json"


def _answers(endpoint: str) -> bool:
    import urllib.request

    try:
        with urllib.request.urlopen(f"{endpoint}/moto-api/data.json", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def running_endpoint(project: Path) -> str | None:
    """The local AWS API's address when it is up, else None."""
    state = _state_file(project)
    if not state.is_file():
        return None
    endpoint = json.loads(state.read_text()).get("endpoint")
    return endpoint if endpoint and _answers(endpoint) else None


def ensure_running(project: Path) -> str:
    """Start the local AWS API unless it runs already; returns its address."""
    endpoint = running_endpoint(project)
    if endpoint:
        return endpoint
    if importlib.util.find_spec("moto") is None or importlib.util.find_spec("flask") is None:
        raise SynthdataError("--local: moto's server is not installed; pip install 'synthdata-infra[local]' (or 'moto[server]')")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    folder = _state_file(project).parent
    folder.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "MOTO_IAM_LOAD_MANAGED_POLICIES": "true"}  # EKS node roles attach AWS managed policies
    with open(folder / "aws.log", "ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            start_new_session=True,  # outlives this command
        )
    _detached.append(process)  # not waited for: it keeps running after this command
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + STARTUP_SECONDS
    while not _answers(endpoint):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise SynthdataError(f"--local: the local AWS API did not start; see {folder / 'aws.log'}")
        time.sleep(0.2)
    _state_file(project).write_text(json.dumps({"endpoint": endpoint, "pid": process.pid}) + "\n")
    return endpoint


def stop(project: Path) -> bool:
    """Stop the local AWS API; False when none was running."""
    state = _state_file(project)
    if not state.is_file():
        return False
    data = json.loads(state.read_text())
    state.unlink()
    try:
        pid = int(data["pid"])
        os.kill(pid, signal.SIGTERM)
    except (OSError, KeyError, ValueError):
        return False
    for process in [p for p in _detached if p.pid == pid]:  # started by this process: reap it
        process.wait(timeout=30)
        _detached.remove(process)
    return True
