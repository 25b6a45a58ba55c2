"""Domain errors. Raised where the bad value is found, printed once at the CLI boundary."""

from __future__ import annotations

from typing import Any


class SynthdataError(Exception):
    """Base class for every error the CLI turns into a message and exit status 2."""


class ConfigError(SynthdataError):
    """A configuration value is not allowed.

    The message always names the key path, the value received and what is allowed, so a
    user can fix the input without reading code.
    """

    def __init__(self, path: str, value: Any, allowed: str) -> None:
        self.path = path
        self.value = value
        self.allowed = allowed
        super().__init__(f"{path}: got {format_value(value)}; {allowed}")


def format_value(value: Any) -> str:
    """Render a received value the way it would be typed on the command line."""
    if isinstance(value, str):
        return repr(value)
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class OperationalError(SynthdataError):
    """The input is fine but the system refused (read-only folder, permission, disk): exit status 1."""

    exit_code = 1


def describe_os_error(exc: OSError) -> str:
    """One line for an OSError: what failed, on which path."""
    what = exc.strerror or type(exc).__name__
    paths = " -> ".join(str(p) for p in (exc.filename, exc.filename2) if p is not None)
    return f"{what}: {paths}" if paths else what
