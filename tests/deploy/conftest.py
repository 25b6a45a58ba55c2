"""A scratch project for deploy tests: profiles and environments copied (the commands edit
them), the committed modules_out linked, and the local AWS API stopped afterwards."""

from __future__ import annotations

import hashlib
import os
import signal
import time
from pathlib import Path

import pytest

from tests.conftest import REPO


@pytest.fixture
def deploy_project(project: Path):
    (project / "modules_out").symlink_to(REPO / "modules_out", target_is_directory=True)
    yield project
    stop_local_apis(project)


def stop_local_apis(project: Path) -> None:
    """``local stop``, then SIGKILL whatever local AWS API was started for ``project`` and still
    runs (found by the tag in its environment, whatever aws.json says): no test leaves one behind."""
    from synthdata_infra.deploy import local

    try:
        local.stop(project)
    finally:
        for pid in local.servers_of(project):
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        deadline = time.monotonic() + 10
        while local.servers_of(project) and time.monotonic() < deadline:
            time.sleep(0.1)


def snapshot(folder: Path) -> dict[str, str]:
    """Digest of every file under ``folder`` (symlinked modules_out left out)."""
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file() and "modules_out" not in path.relative_to(folder).parts
    }
