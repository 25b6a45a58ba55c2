"""Content-addressed cache of synthesized modules.

A module's key hashes everything its output depends on: the resolved configuration of its data
type (every type for a monitoring module), the project's own source and data files (builders,
components, catalog, metric catalog), and the versions of the packages that generate it. Equal
keys mean equal bytes, so a hit is copied instead of starting a worker and importing a provider
binding. The cache lives outside the output folder (``.cache/synth/`` in the project, or
``SYNTHDATA_INFRA_CACHE``); entries are written once, atomically, and never modified.

An entry cannot lie. Its layout::

    <root>/<key[:2]>/<key>/
        module/          the module's files, exactly as synth wrote them
        manifest.json    {"format": 1, "key": <key>, "files": {<relative path>: <sha256 hex>}}

The entry is assembled in a unique temporary folder beside it (``.<key[:8]>-<random>``), the
manifest is written last, and the folder is then renamed to ``<key>``: a reader sees a complete
entry or none. Every read checks the files against the manifest (same set of paths, same
sha256); a missing or unreadable manifest, a missing, extra or changed file makes the entry
corrupt: it is discarded and the module synthesized again. The driver checks the copy it puts
into the output against the manifest once more, so a corrupt entry is never written out.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import synthdata_infra
from synthdata_infra.config import data_types, project_root, resolve, type_folder
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
    kinds = (spec.name,) if spec.name in data_types() else data_types()
    for kind in kinds:
        digest.update(resolve(kind, environment=None).model_dump_json().encode())
        # The type's metrics, alerts and their tests feed the monitoring modules.
        folder = type_folder(kind)
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            digest.update(path.relative_to(folder).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


MANIFEST = "manifest.json"
MODULE = "module"
MANIFEST_FORMAT = 1


def file_digests(folder: Path) -> dict[str, str]:
    """Relative POSIX path -> sha256 of every file under ``folder`` (symlinks count as files)."""
    digests: dict[str, str] = {}
    for directory, subdirectories, files in os.walk(folder):
        subdirectories.sort()
        for name in sorted(files):
            path = Path(directory) / name
            digests[path.relative_to(folder).as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()
    return digests


def tree_problem(folder: Path, expected: dict[str, str]) -> str | None:
    """Why ``folder`` does not hold exactly the files ``expected`` (path -> sha256); None when it does."""
    if not folder.is_dir():
        return "module folder missing"
    try:
        actual = file_digests(folder)
    except OSError as exc:
        return f"unreadable ({exc.strerror or exc})"
    for path in sorted(expected.keys() - actual.keys()):
        return f"{path}: missing"
    for path in sorted(actual.keys() - expected.keys()):
        return f"{path}: not in the manifest"
    for path in sorted(expected):
        if actual[path] != expected[path]:
            return f"{path}: sha256 differs from the manifest"
    return None


@dataclass(frozen=True)
class CacheEntry:
    key: str
    folder: Path  # the module's files
    files: dict[str, str]  # relative path -> sha256, from the manifest

    def problem(self, folder: Path | None = None) -> str | None:
        """Why ``folder`` (default: this entry's own files) differs from the manifest; None when equal."""
        return tree_problem(self.folder if folder is None else folder, self.files)


class SynthCache:
    def __init__(self, root: Path) -> None:
        self.root = root

    def _entry(self, key: str) -> Path:
        return self.root / key[:2] / key

    def lookup(self, key: str) -> tuple[CacheEntry | None, str | None]:
        """``(entry, None)`` for a sound entry, ``(None, None)`` for a miss, and ``(None, why)`` for a
        corrupt entry, which is discarded on the way."""
        entry = self._entry(key)
        if not entry.is_dir():
            return None, None
        problem = None
        try:
            manifest = json.loads((entry / MANIFEST).read_text(encoding="utf-8"))
            files = manifest["files"]
            if manifest.get("format") != MANIFEST_FORMAT or manifest.get("key") != key or not isinstance(files, dict):
                problem = f"{MANIFEST}: not a manifest of this entry"
        except FileNotFoundError:
            problem = f"{MANIFEST}: missing"
        except (OSError, ValueError, KeyError, TypeError) as exc:
            problem = f"{MANIFEST}: unreadable ({type(exc).__name__})"
        if problem is None:
            found = CacheEntry(key, entry / MODULE, files)
            problem = found.problem()
            if problem is None:
                return found, None
        self.discard(key)
        return None, problem

    def get(self, key: str) -> CacheEntry | None:
        return self.lookup(key)[0]

    def discard(self, key: str) -> None:
        """Remove an entry: renamed out of the way first, so no reader sees it half deleted."""
        entry = self._entry(key)
        try:
            trash = Path(tempfile.mkdtemp(prefix=f".{key[:8]}-discarded-", dir=entry.parent))
            entry.rename(trash / "entry")
        except OSError:
            shutil.rmtree(entry, ignore_errors=True)
            return
        shutil.rmtree(trash, ignore_errors=True)

    def put(self, key: str, folder: Path) -> None:
        """Store ``folder`` as the entry of ``key`` (unless a sound one exists): assembled in a unique
        temporary folder, manifest last, then renamed into place."""
        entry = self._entry(key)
        if entry.exists():
            return
        entry.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{key[:8]}-", dir=entry.parent))
        try:
            shutil.copytree(folder, staging / MODULE)
            manifest = {"format": MANIFEST_FORMAT, "key": key, "files": file_digests(staging / MODULE)}
            (staging / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
            try:
                staging.rename(entry)
            except OSError:
                if not entry.exists():  # another synth may have stored the same key meanwhile
                    raise
        finally:
            shutil.rmtree(staging, ignore_errors=True)
