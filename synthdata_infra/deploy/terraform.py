"""Running Terraform in a root's folder, with its machine-readable output turned into progress."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from synthdata_infra.errors import SynthdataError


class TerraformFailure(SynthdataError):
    """Terraform itself failed (not the input): exit status 1, with Terraform's own message."""

    exit_code = 1


@dataclass
class RunSummary:
    """What one plan or apply did."""

    add: int = 0
    change: int = 0
    remove: int = 0
    done: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def changes(self) -> int:
        return self.add + self.change + self.remove


Report = Callable[[str, int, int], None]  # (message, done, total)


def terraform_env(project: Path, scratch: Path | None = None) -> dict[str, str]:
    """Terraform's environment: no prompts or update checks, a plugin cache under .synthdata/,
    and, when ``TF_PROVIDER_MIRROR`` names a provider mirror folder (and no CLI config file exists),
    providers from that mirror for the ones it holds.

    With ``scratch`` (``deploy --plan-only``) nothing is written under ``project``: the CLI
    configuration goes to ``scratch`` and no plugin cache is set up."""
    env = {**os.environ, "TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1"}
    if scratch is None:
        cache = project / ".synthdata" / "plugin-cache"
        cache.mkdir(parents=True, exist_ok=True)
        env.setdefault("TF_PLUGIN_CACHE_DIR", str(cache))
    mirror = os.environ.get("TF_PROVIDER_MIRROR")
    configured = os.environ.get("TF_CLI_CONFIG_FILE")
    if mirror and not (configured and Path(configured).is_file()):
        held = sorted(
            f"{host.name}/{namespace.name}/{provider.name}"
            for host in Path(mirror).iterdir()
            if host.is_dir()
            for namespace in host.iterdir()
            if namespace.is_dir()
            for provider in namespace.iterdir()
        )
        listed = ", ".join(f'"{name}"' for name in held)
        config = (scratch or project / ".synthdata") / "terraformrc"
        config.write_text(
            "provider_installation {\n"
            f'  filesystem_mirror {{\n    path    = "{mirror}"\n    include = [{listed}]\n  }}\n'
            f"  direct {{\n    exclude = [{listed}]\n  }}\n"
            "}\n",
            encoding="utf-8",
        )
        env["TF_CLI_CONFIG_FILE"] = str(config)
    return env


class Terraform:
    def __init__(self, folder: Path, env: dict[str, str], report: Report | None = None) -> None:
        if shutil.which("terraform", path=env.get("PATH")) is None:
            raise SynthdataError("terraform: not found on PATH; install Terraform >= 1.5 (tested with 1.11)")
        self.folder = folder
        self.env = env
        self.report = report or (lambda message, done, total: None)

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["terraform", *args], cwd=self.folder, env=self.env, capture_output=True, text=True, check=False
        )

    def init(self) -> None:
        self.report(f"{self.folder.name}: terraform init", 0, 0)
        done = self._run("init", "-input=false", "-no-color")
        if done.returncode != 0:
            raise TerraformFailure(f"terraform init failed in {self.folder}:\n{_tail(done.stderr or done.stdout)}")

    def apply(self, *, destroy: bool = False, variables: dict[str, str] | None = None) -> RunSummary:
        """``terraform apply`` (or destroy); ``variables`` are passed as ``-var name=value``."""
        args = ["apply", "-auto-approve", "-input=false", "-json"] + (["-destroy"] if destroy else [])
        args += [f"-var={name}={value}" for name, value in (variables or {}).items()]
        return self._stream(args, "destroy" if destroy else "apply")

    def plan(self, *, lock: bool = True) -> RunSummary:
        """``terraform plan -out=tfplan``; ``lock=False`` leaves the state's folder untouched
        (a local backend's lock file is written beside its state)."""
        return self._stream(["plan", "-input=false", "-json", "-out=tfplan"] + ([] if lock else ["-lock=false"]), "plan")

    def outputs(self) -> dict[str, Any]:
        done = self._run("output", "-json")
        if done.returncode != 0:
            return {}
        return {name: item.get("value") for name, item in json.loads(done.stdout or "{}").items()}

    def state_resources(self) -> list[str]:
        done = self._run("state", "list")
        return done.stdout.split() if done.returncode == 0 else []

    def forget(self, addresses: list[str]) -> list[str]:
        """Remove ``addresses`` (and their instances) from the state without destroying them;
        returns the state entries removed."""
        present = [entry for entry in self.state_resources() if entry.split("[", 1)[0] in set(addresses)]
        if present:
            self.report(f"{self.folder.name}: terraform state rm ({len(present)} kept)", 0, 0)
            done = self._run("state", "rm", *present)
            if done.returncode != 0:
                raise TerraformFailure(f"terraform state rm failed in {self.folder}:\n{_tail(done.stderr or done.stdout)}")
        return present

    def _stream(self, args: list[str], verb: str) -> RunSummary:
        """Run with ``-json`` and report each resource as it completes."""
        summary = RunSummary()
        name = self.folder.name
        self.report(f"{name}: terraform {verb}", 0, 0)
        with subprocess.Popen(
            ["terraform", *args], cwd=self.folder, env=self.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        ) as process:
            assert process.stdout is not None
            plain: list[str] = []  # what is not JSON (Terraform's own failures before it starts)
            for line in process.stdout:
                try:
                    message = json.loads(line)
                except json.JSONDecodeError:
                    plain.append(line)
                    continue
                kind = message.get("type")
                if kind == "change_summary":
                    changes = message.get("changes", {})
                    summary.add, summary.change, summary.remove = (changes.get(k, 0) for k in ("add", "change", "remove"))
                    if changes.get("operation") == "plan":
                        self.report(f"{name}: {summary.add} to add, {summary.change} to change, {summary.remove} to destroy", 0, summary.changes)
                elif kind in ("apply_complete", "apply_errored") and message.get("hook", {}).get("action") != "read":
                    summary.done += 1  # data sources read while planning are not changes
                    address = message.get("hook", {}).get("resource", {}).get("addr", "")
                    self.report(f"{name}: {address}", summary.done, summary.changes)
                elif kind == "diagnostic" and message.get("@level") == "error":
                    diagnostic = message.get("diagnostic", {})
                    summary.errors.append(f"{diagnostic.get('summary', '')}: {diagnostic.get('detail', '')}".strip(": "))
            process.wait()
        if process.returncode != 0:
            detail = "\n".join(summary.errors) or _tail("".join(plain))
            raise TerraformFailure(f"terraform {verb} failed in {self.folder}:\n{detail}")
        return summary


def _tail(text: str, lines: int = 30) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


def first_error(text: str) -> str:
    """The first error Terraform printed in ``text`` (its "Error: " line, box drawing and colours
    stripped), else its first line: the reason in a few words."""
    plain = re.sub(r"\x1b\[[0-9;]*m", "", text)
    lines = [line.strip("│╷╵ ").strip() for line in plain.splitlines()]
    lines = [line for line in lines if line]
    return next((line.split("Error: ", 1)[1] for line in lines if line.startswith("Error: ")), lines[0] if lines else "no message")


# -- reading what Terraform recorded ------------------------------------------------------------

STATE_PULL_SECONDS = 20.0


class StateUnknown(Exception):
    """A root's state could not be read; ``str()`` says why in a few words."""


def managed_resources(state: dict[str, Any]) -> int:
    """Resource instances a state holds (data sources are not things that exist)."""
    return sum(
        len(resource.get("instances") or [])
        for resource in state.get("resources") or []
        if isinstance(resource, dict) and resource.get("mode", "managed") == "managed"
    )


def _parse_state(text: str, where: str) -> int:
    if not text.strip():
        return 0  # a workspace or file with no state yet
    try:
        state = json.loads(text)
    except json.JSONDecodeError:
        raise StateUnknown(f"corrupt state: {where}") from None
    if not isinstance(state, dict):
        raise StateUnknown(f"corrupt state: {where}")
    return managed_resources(state)


def state_file_resources(path: Path, shown: str | None = None) -> int | None:
    """Resources in a local state file; None when there is no such file (``shown``: the path
    as messages name it)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as error:
        raise StateUnknown(f"unreadable state: {shown or path} ({error.strerror})") from None
    return _parse_state(text, shown or str(path))


def pulled_state_resources(folder: Path, project: Path, timeout: float = STATE_PULL_SECONDS) -> int:
    """Resources in a root's remote state (Terraform Cloud), by ``terraform state pull`` in its
    synthesized folder; never initializes it and never waits more than ``timeout`` seconds."""
    if not (folder / ".terraform").is_dir():
        raise StateUnknown(f"{folder.name} is not initialized here (terraform init in {folder})")
    if shutil.which("terraform") is None:
        raise StateUnknown("terraform is not on PATH")
    env = {**os.environ, "TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1", "TF_INPUT": "0"}
    config = project / ".synthdata" / "terraformrc"  # the provider mirror the commands use, if any
    if "TF_CLI_CONFIG_FILE" not in env and config.is_file():
        env["TF_CLI_CONFIG_FILE"] = str(config)
    try:
        done = subprocess.run(
            ["terraform", "state", "pull"], cwd=folder, env=env, capture_output=True, text=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired:
        raise StateUnknown(f"terraform state pull took longer than {timeout:g} s") from None
    except OSError as error:
        raise StateUnknown(f"terraform state pull could not run ({error.strerror})") from None
    if done.returncode != 0:
        raise StateUnknown(f"terraform state pull failed: {first_error(done.stderr or done.stdout)}")
    return _parse_state(done.stdout, f"terraform state pull in {folder}")
