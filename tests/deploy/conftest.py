"""A scratch project for deploy tests: profiles and environments copied (the commands edit
them), the committed modules_out linked, and the local AWS API stopped afterwards."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from tests.conftest import REPO


@pytest.fixture
def deploy_project(project: Path):
    (project / "modules_out").symlink_to(REPO / "modules_out", target_is_directory=True)
    yield project
    from synthdata_infra.deploy import local

    local.stop(project)


def snapshot(folder: Path) -> dict[str, str]:
    """Digest of every file under ``folder`` (symlinked modules_out left out)."""
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file() and "modules_out" not in path.relative_to(folder).parts
    }
