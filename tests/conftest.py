"""Shared fixtures: a copy of the project's profiles/environments, and a CLI runner that goes
through the real console entry point (error boundary included)."""

from __future__ import annotations

import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A scratch copy of profiles/ and environments/ the test may edit; SYNTHDATA_INFRA_ROOT points at it."""
    for folder in ("profiles", "environments"):
        shutil.copytree(REPO / folder, tmp_path / folder)
    monkeypatch.setenv("SYNTHDATA_INFRA_ROOT", str(tmp_path))
    return tmp_path


def edit_yaml(path: Path, edit) -> None:
    data = yaml.safe_load(path.read_text()) or {}
    edit(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False))


@dataclass
class Result:
    exit_code: int
    stdout: str
    stderr: str


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch):
    """Run ``synthdata-infra ARGS`` in-process through ``synthdata_infra.cli.main``."""
    from synthdata_infra.cli import main

    def run(*args: str) -> Result:
        monkeypatch.setattr(sys, "argv", ["synthdata-infra", *args])
        capsys.readouterr()
        with pytest.raises(SystemExit) as exited:
            main()
        out = capsys.readouterr()
        code = exited.value.code
        return Result(code if isinstance(code, int) else 1, out.out, out.err)

    return run
