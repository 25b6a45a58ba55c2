"""Content-addressed cache of synthesized modules.

A module's key hashes everything its output depends on: the resolved configuration of its data
type (every type for a monitoring module), the project's own source and data files (builders,
components, catalog, metric catalog), and the versions of the packages that generate it. Equal
keys mean equal bytes, so a hit is copied instead of starting a worker and importing a provider
binding. The cache lives outside the output folder (``.cache/synth/`` in the project, or
``SYNTHDATA_INFRA_CACHE``); entries are written once, atomically, and never modified.
"""

from __future__ import annotations

import functools
import hashlib
import os
import shutil
import tempfile
from importlib import metadata
from pathlib import Path

import synthdata_infra
from synthdata_infra.config import DATA_TYPES, project_root, resolve
from synthdata_infra.synth.registry import ModuleSpec

CACHE_ENV = "SYNTHDATA_INFRA_CACHE"
GENERATOR_PACKAGES = (
    "cdktf",
    "constructs",
    "jsii",
    "cdktf-cdktf-provider-aws",
    "cdktf-cdktf-provider-google",
    "cdktf-cdktf-provider-azurerm",
    "cdktf-cdktf-provider-kubernetes",
    "grafana-foundation-sdk",
    "pydantic",
    "PyYAML",
)
SOURCE_SUFFIXES = (".py", ".yaml", ".yml", ".json")


def cache_root() -> Path:
    explicit = os.environ.get(CACHE_ENV)
    return Path(explicit) if explicit else project_root() / ".cache" / "synth"


@functools.cache
def generator_digest() -> str:
    """The project's source and data files plus the generating packages' versions."""
    digest = hashlib.sha256()
    package = Path(synthdata_infra.__file__).parent
    for path in sorted(p for p in package.rglob("*") if p.suffix in SOURCE_SUFFIXES and "__pycache__" not in p.parts):
        digest.update(str(path.relative_to(package)).encode())
        digest.update(path.read_bytes())
    for name in GENERATOR_PACKAGES:
        try:
            digest.update(f"{name}=={metadata.version(name)}".encode())
        except metadata.PackageNotFoundError:
            digest.update(f"{name}: absent".encode())
    return digest.hexdigest()


def module_key(spec: ModuleSpec) -> str:
    digest = hashlib.sha256(generator_digest().encode())
    digest.update(f"{spec.layer}/{spec.name}:{spec.binding}:{spec.builder}".encode())
    kinds = (spec.name,) if spec.name in DATA_TYPES else DATA_TYPES
    for kind in kinds:
        digest.update(resolve(kind, environment=None).model_dump_json().encode())
    return digest.hexdigest()


def tree_digest(folder: Path) -> str | None:
    """One hash over a folder's relative paths and bytes; None when it does not exist."""
    if not folder.is_dir():
        return None
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(folder)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


class SynthCache:
    def __init__(self, root: Path) -> None:
        self.root = root

    def get(self, key: str) -> Path | None:
        entry = self.root / key[:2] / key
        return entry if entry.is_dir() else None

    def put(self, key: str, folder: Path) -> None:
        entry = self.root / key[:2] / key
        if entry.exists():
            return
        entry.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{key[:8]}-", dir=entry.parent))
        try:
            shutil.copytree(folder, staging / "module")
            try:
                (staging / "module").rename(entry)
            except OSError:
                if not entry.exists():  # another synth may have stored the same key meanwhile
                    raise
        finally:
            shutil.rmtree(staging, ignore_errors=True)
