"""A lock per environment: commands that write ``environments/<env>.yaml`` take it first.

``fcntl.flock`` on ``.synthdata/locks/<env>.lock``: the kernel drops the lock when its holder
exits, however it exits, so a crashed command never leaves a stale lock behind. The holder
writes its pid into the file so a command that gives up can say who holds it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from synthdata_infra.errors import ConfigError, SynthdataError
from synthdata_infra.files import exclusive_lock

TIMEOUT_VARIABLE = "SYNTHDATA_INFRA_LOCK_TIMEOUT"
DEFAULT_TIMEOUT = 60.0
_POLL = 0.05


class LockTimeout(SynthdataError):
    """Another command held the environment's lock for longer than the timeout."""

    exit_code = 1

    def __init__(self, environment: str, timeout: float, holder: int | None, path: Path) -> None:
        who = f"pid {holder}" if holder is not None else "another process"
        super().__init__(
            f"environment {environment} is locked by {who} (another deploy, scale or destroy; lock file {path}); "
            f"gave up after {timeout:g} s: retry when it has finished, or raise {TIMEOUT_VARIABLE}"
        )
        self.environment = environment
        self.holder = holder


def lock_path(project: Path, environment: str) -> Path:
    return project / ".synthdata" / "locks" / f"{environment}.lock"


def lock_timeout() -> float:
    raw = os.environ.get(TIMEOUT_VARIABLE)
    if raw is None or not raw.strip():
        return DEFAULT_TIMEOUT
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not value >= 0 or value == float("inf"):
        raise ConfigError(TIMEOUT_VARIABLE, raw, "expected a number of seconds >= 0")
    return value


@contextmanager
def environment_lock(project: Path, environment: str, timeout: float | None = None) -> Iterator[None]:
    """Hold the lock of ``environment`` for the block; waits up to ``timeout`` seconds
    (default: ``SYNTHDATA_INFRA_LOCK_TIMEOUT`` or 60) and raises :class:`LockTimeout`."""
    wait = lock_timeout() if timeout is None else timeout
    path = lock_path(project, environment)
    held = ExitStack()
    try:
        descriptor = held.enter_context(exclusive_lock(path, wait, _POLL))
    except TimeoutError:
        raise LockTimeout(environment, wait, _holder(path), path) from None
    with held:
        os.ftruncate(descriptor, 0)
        os.pwrite(descriptor, f"{os.getpid()}\n".encode(), 0)
        try:
            yield
        finally:
            os.ftruncate(descriptor, 0)


def _holder(path: Path) -> int | None:
    try:
        text = path.read_text(encoding="ascii", errors="replace").strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None
