"""Writing an environment's ``services:`` list back into ``environments/<env>.yaml``.

Only the ``services:`` block is rewritten; comments and every other key stay as written. The
new file is validated as a whole before it replaces the old one (atomically).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import yaml

from synthdata_infra.config import Environment, ServiceEntry
from synthdata_infra.config.loader import validate

_SERVICES = re.compile(r"^services:.*?(?=^[A-Za-z_][\w-]*:|\Z)", re.MULTILINE | re.DOTALL)


def environment_file(project: Path, environment: str) -> Path:
    return project / "environments" / f"{environment}.yaml"


def _entry(entry: ServiceEntry) -> dict:
    data: dict = {"name": entry.name, "data_type": entry.data_type.value, "provider": entry.provider}
    if entry.replicas is not None:
        data["replicas"] = entry.replicas
    if entry.image is not None:
        data["image"] = entry.image
    if entry.overrides:
        data["overrides"] = entry.overrides
    return data


def render_services(services: tuple[ServiceEntry, ...]) -> str:
    if not services:
        return "services: []\n"
    body = yaml.safe_dump([_entry(s) for s in services], sort_keys=False, default_flow_style=False, indent=2)
    return "services:\n" + "".join(f"  {line}\n" for line in body.splitlines())


def with_services(text: str, services: tuple[ServiceEntry, ...]) -> str:
    block = render_services(services)
    if _SERVICES.search(text):
        return _SERVICES.sub(lambda _: block, text, count=1)
    return text.rstrip("\n") + "\n" + block


def write_services(project: Path, environment: Environment, services: tuple[ServiceEntry, ...]) -> Environment:
    """Replace the environment's services; returns the environment as now written."""
    path = environment_file(project, environment.name)
    text = with_services(path.read_text(encoding="utf-8"), services)
    updated = validate(Environment, yaml.safe_load(text), prefix=f"environments/{environment.name}.yaml:")
    temporary = path.with_suffix(".yaml.tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)
    return updated
