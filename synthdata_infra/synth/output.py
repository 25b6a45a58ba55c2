"""The output folder of ``synth``: which folders synth may write, and how a new tree replaces
the old one so that a run killed at any moment leaves the old tree or the new one, never a mix.

Ownership
---------
synth writes only into a folder it owns: a missing folder, an empty folder, or a folder holding
the marker file ``.synthdata-modules`` and nothing but the files that marker lists. The marker is
JSON, written last into every tree synth builds::

    {"files": [<every file synth wrote, relative POSIX paths, sorted>],
     "generator": "synthdata-infra", "note": ...}

``/``, a file, a folder without the marker that holds anything, or an owned folder holding a
file the marker does not list (a file someone added to a module folder) are refused with exit
status 2 before anything is written.

Swap protocol
-------------
For an output folder ``<parent>/<name>`` every helper lives beside it in ``<parent>`` (same file
system, so renames are atomic) and is named ``.<name>.synthdata-<role>``; ``.gitignore`` ignores
``.*.synthdata-*``.

1. Lock: ``flock`` on ``<parent>`` (one synth per parent folder at a time).
2. Recover from an interrupted run (below).
3. Build the complete new tree in ``.<name>.synthdata-staging-<random>``: the modules this run
   does not replace are hard-linked from the old tree, the others are copied from the cache or
   written by the workers, and the marker is written last.
4. Rename the staging folder to ``.<name>.synthdata-next``: from here the new tree is complete.
5. If ``<name>`` exists, exchange it with ``next`` in one step (``renameat2(RENAME_EXCHANGE)``,
   Linux): ``<name>`` is at every instant the complete old or the complete new tree. Where the
   kernel or file system cannot exchange: rename ``<name>`` to ``.<name>.synthdata-previous``,
   then ``next`` to ``<name>``. If ``<name>`` does not exist: rename ``next`` to ``<name>``.
6. Rename what is left over (``next`` holding the old tree after an exchange, or ``previous``)
   to ``.<name>.synthdata-trash-<random>`` and delete it.

Recovery, at the start of every run, under the lock:

- ``staging-*`` and ``trash-*``: deleted (an incomplete new tree, or an old one on its way out);
  so are ``.<name>.staging-*`` folders left by synth before this protocol.
- ``next`` while ``<name>`` exists: deleted (a new tree never swapped in, or the old tree swapped
  out by an exchange); ``<name>`` is complete either way.
- ``next`` while ``<name>`` is missing: renamed to ``<name>`` (the fallback was killed between its
  two renames, or the first synth into ``<name>`` between steps 4 and 5: roll forward).
- ``previous`` while ``<name>`` exists: deleted; while ``<name>`` is missing: renamed back.

So after a SIGKILL at any moment ``<name>`` holds the complete old or the complete new tree (with
the exchange), or the next run's recovery makes it so (fallback), and the next run leaves no
helper folder behind. The protocol protects against a killed process, not against power loss
(files are not fsync'ed).
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from synthdata_infra.errors import ConfigError

MARKER = ".synthdata-modules"
GENERATOR = "synthdata-infra"
ALLOWED = f"expected a missing or empty folder, or one synthdata-infra synth wrote (marked by {MARKER})"


# --------------------------------------------------------------------------- ownership


def check_out(out: Path) -> Path:
    """The absolute path synth will write for ``--out``; refuses ``/`` and files (ConfigError)."""
    resolved = Path(os.path.abspath(out))
    if resolved.is_symlink() or resolved.exists():
        resolved = resolved.resolve()
    if resolved == Path(resolved.anchor) or not resolved.name:
        raise ConfigError("--out", str(out), f"the file system root cannot be the output; {ALLOWED} below it")
    if resolved.exists() and not resolved.is_dir():
        raise ConfigError("--out", str(out), f"it is a file, not a folder; {ALLOWED}")
    ancestor = resolved.parent
    while not ancestor.exists():
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise ConfigError("--out", str(out), f"{ancestor} is a file, not a folder; {ALLOWED}")
    return resolved


def owned_files(out: Path, shown: str | None = None) -> list[str]:
    """The files synth wrote in ``out`` (relative POSIX paths): ``[]`` for a missing or empty folder.

    Raises ConfigError (naming ``--out`` as ``shown``) when ``out`` holds anything synth did not write.
    """
    shown = str(out) if shown is None else shown
    if not out.exists():
        return []
    if not out.is_dir():
        raise ConfigError("--out", shown, f"it is a file, not a folder; {ALLOWED}")
    if not any(out.iterdir()):
        return []
    marker = out / MARKER
    if not marker.is_file():
        raise ConfigError("--out", shown, f"it holds files synth did not write (no {MARKER}); {ALLOWED}")
    try:
        document = json.loads(marker.read_text(encoding="utf-8"))
        files = document["files"]
        if document.get("generator") != GENERATOR or not all(isinstance(f, str) for f in files):
            raise ValueError
    except (OSError, ValueError, KeyError, TypeError):
        raise ConfigError("--out", shown, f"its {MARKER} is not one synthdata-infra wrote; {ALLOWED}") from None
    listed = set(files)
    folders = {parent.as_posix() for f in listed for parent in Path(f).parents}
    for directory, subdirectories, names in os.walk(out):
        base = Path(directory).relative_to(out)
        for name in sorted(subdirectories):
            rel = (base / name).as_posix()
            if rel not in folders or Path(directory, name).is_symlink():
                raise ConfigError("--out", shown, f"it holds {rel}/, which synth did not write; {ALLOWED}")
        for name in sorted(names):
            rel = (base / name).as_posix()
            if rel != MARKER and (rel not in listed or Path(directory, name).is_symlink()):
                raise ConfigError("--out", shown, f"it holds {rel}, which synth did not write; {ALLOWED}")
    return sorted(listed)


def write_marker(tree: Path) -> None:
    files = sorted(
        (Path(directory) / name).relative_to(tree).as_posix()
        for directory, _, names in os.walk(tree)
        for name in names
        if Path(directory, name) != tree / MARKER
    )
    document = {
        "files": files,
        "generator": GENERATOR,
        "note": "written by `synthdata-infra synth`; synth refuses to write into a folder holding files not listed here",
    }
    (tree / MARKER).write_text(json.dumps(document, indent=2, sort_keys=True) + "\n", encoding="utf-8")


# --------------------------------------------------------------------------- swap protocol


def helper(out: Path, role: str) -> Path:
    return out.parent / f".{out.name}.synthdata-{role}"


@contextmanager
def output_lock(out: Path) -> Iterator[None]:
    """Exclusive lock on the output's parent folder (no lock file is left behind)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(out.parent, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock


def discard(out: Path, folder: Path) -> None:
    """Delete ``folder`` (a helper of ``out``): renamed to a ``trash-*`` name first, so that a kill
    half way through the deletion leaves a name recovery deletes, not a half tree under a name
    recovery would keep."""
    trash = Path(tempfile.mkdtemp(prefix=helper(out, "trash-").name, dir=out.parent))
    try:
        folder.rename(trash / "tree")
    finally:
        shutil.rmtree(trash, ignore_errors=True)


def recover(out: Path) -> None:
    """Finish or roll back the swap of a run that was killed (see the module docstring)."""
    parent = out.parent
    if not parent.is_dir():
        return
    leftovers = [f"{helper(out, prefix).name}*" for prefix in ("staging-", "trash-")]
    leftovers.append(f".{out.name}.staging-*")  # the staging folders of synth before this protocol
    for pattern in leftovers:
        for leftover in parent.glob(pattern):
            shutil.rmtree(leftover, ignore_errors=True)
    for role in ("next", "previous"):
        folder = helper(out, role)
        if folder.is_dir():
            if out.exists():
                discard(out, folder)
            else:
                folder.rename(out)


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(first: Path, second: Path) -> bool:
    """Atomically exchange two paths (Linux renameat2); False where the system cannot."""
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError):
        return False
    renameat2.argtypes = (ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint)
    if renameat2(_AT_FDCWD, os.fsencode(first), _AT_FDCWD, os.fsencode(second), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP, errno.ENOTSUP):
        return False
    raise OSError(code, os.strerror(code), str(first), None, str(second))


def publish(staging: Path, out: Path) -> None:
    """Steps 4 to 6: make the complete tree ``staging`` the output ``out``."""
    nxt = helper(out, "next")
    staging.rename(nxt)
    if not out.exists():
        nxt.rename(out)
        return
    try:
        exchanged = _exchange(nxt, out)
    except OSError:
        _clean_up(out, nxt)
        raise
    if exchanged:
        discard(out, nxt)  # now the old tree
        return
    previous = helper(out, "previous")
    try:
        out.rename(previous)
    except OSError:
        _clean_up(out, nxt)
        raise
    try:
        nxt.rename(out)
    except OSError:
        try:
            previous.rename(out)
        except OSError:
            pass  # the next run's recovery puts it back
        _clean_up(out, nxt)
        raise
    discard(out, previous)


def _clean_up(out: Path, folder: Path) -> None:
    """Best effort after a failure (the original error is the one to report)."""
    try:
        discard(out, folder)
    except OSError:
        shutil.rmtree(folder, ignore_errors=True)


def link_tree(source: Path, target: Path, skip: Iterable[str]) -> None:
    """Hard-link (or copy, where linking fails) every file of ``source`` into ``target``, except
    those under the folders ``skip`` and the marker."""
    skipped = tuple(skip)
    for directory, subdirectories, names in os.walk(source):
        base = Path(directory).relative_to(source)
        subdirectories[:] = [d for d in subdirectories if (base / d).as_posix() not in skipped]
        for name in names:
            rel = base / name
            if rel.as_posix() == MARKER or any(rel.as_posix().startswith(f"{s}/") for s in skipped):
                continue
            (target / rel).parent.mkdir(parents=True, exist_ok=True)
            try:
                os.link(source / rel, target / rel, follow_symlinks=False)
            except OSError:
                shutil.copy2(source / rel, target / rel, follow_symlinks=False)


def build_and_swap(out: Path, folders: Iterable[str], build: Callable[[Path], None], check: Callable[[Path], None] | None = None) -> None:
    """Steps 3 to 6 (the caller holds the lock and has recovered): the new tree is the old one
    with ``folders`` replaced by what ``build(staging)`` writes."""
    folders = list(folders)
    staging = Path(tempfile.mkdtemp(prefix=helper(out, "staging-").name, dir=out.parent))
    try:
        os.chmod(staging, _folder_mode(out))  # mkdtemp's 0700 would become the output's mode
        if out.is_dir():
            link_tree(out, staging, folders)
        build(staging)
        if check is not None:
            check(staging)
        write_marker(staging)
        publish(staging, out)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _folder_mode(out: Path) -> int:
    """The mode ``out`` has, or the one ``mkdir`` would give it."""
    try:
        return out.stat().st_mode & 0o7777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o777 & ~umask
