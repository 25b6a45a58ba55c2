"""synth under faults: a corrupt cache entry is caught, a SIGKILL at any moment leaves the old
or the new output tree (and no worker, and nothing the next run does not remove), and a bad or
unwritable ``--out`` is one line on stderr, never a traceback."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path

import pytest

from synthdata_infra.synth.output import MARKER, write_marker
from synthdata_infra.synth.registry import modules_for
from tests.conftest import REPO, once_per_run, run_cli

MODULE = "kubernetes/tabular"
SYNTH = ("synth", "--provider", "onprem", "--type", "tabular")


def files(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (the marker included) -> its bytes."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def helpers(out: Path) -> list[str]:
    """synth's helper folders beside ``out`` (staging, next, previous, trash)."""
    return sorted(p.name for p in out.parent.iterdir() if p.name.startswith(f".{out.name}.synthdata-"))


ONPREM = ("synth", "--provider", "onprem")


@pytest.fixture(scope="module")
def onprem_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Once per test run (all workers): a fresh synth of the on-prem modules (``fresh``), a cache
    filled by a second synth (``pristine``: a copy of it before anything spoils it), then a
    run from that cache with one corruption planted in each of six entries (``corrupt.json``:
    what it printed) and one more run from the repaired cache (``again.json``)."""

    def produce(folder: Path) -> None:
        fresh, cache = folder / "fresh", folder / "cache"
        done = run_cli(*ONPREM, "--no-cache", "--out", str(fresh))
        assert done.returncode == 0, done.stderr
        done = run_cli(*ONPREM, "--out", str(folder / "filler"), env={"SYNTHDATA_INFRA_CACHE": str(cache)})
        assert done.returncode == 0, done.stderr
        assert files(folder / "filler") == files(fresh)
        shutil.copytree(cache, folder / "pristine")
        for module, (name, corrupt, _) in CORRUPTED.items():
            corrupt(entry_of(cache, module) / name)
        for run in ("corrupt", "again"):
            done = run_cli(*ONPREM, "--out", str(folder / run), env={"SYNTHDATA_INFRA_CACHE": str(cache)})
            (folder / f"{run}.json").write_text(json.dumps({"returncode": done.returncode, "stdout": done.stdout, "stderr": done.stderr}))

    return once_per_run(tmp_path_factory, "synth-robustness-onprem", produce)


@pytest.fixture(scope="module")
def reference(onprem_run: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(what a synth of kubernetes/tabular alone writes into an empty folder, a cache holding
    its one sound entry), cut from the shared on-prem run."""
    root = tmp_path_factory.mktemp("reference")
    out, cache = root / "out", root / "cache"
    shutil.copytree(onprem_run / "fresh" / MODULE, out / MODULE)
    write_marker(out)
    entry = entry_of(onprem_run / "pristine", MODULE)
    shutil.copytree(entry, cache / entry.parent.name / entry.name)
    return out, cache


def entry_of(cache: Path, folder: str) -> Path:
    """The cache entry of module ``folder`` (its key hashes the project's source as it is now)."""
    from synthdata_infra.synth.cache import generator_digest, module_key
    from synthdata_infra.synth.registry import modules_for

    generator_digest.cache_clear()
    (spec,) = [s for s in modules_for("onprem", "all") if s.folder == folder]
    key = module_key(spec)
    return cache / key[:2] / key


@pytest.fixture
def old_tree(reference, tmp_path: Path) -> Path:
    """An output folder synth owns whose content differs from what synth writes now: an edited
    kubernetes/tabular plus a second module (kubernetes/audio) that a tabular run keeps."""
    out = tmp_path / f"out-{uuid.uuid4().hex[:8]}"
    shutil.copytree(reference[0], out)
    main = out / MODULE / "main.tf.json"
    main.write_text(main.read_text().replace('"ALL"', '"OLD"'))
    shutil.copytree(out / MODULE, out / "kubernetes" / "audio")
    write_marker(out)
    return out


def new_tree_of(old: Path, reference: Path, root: Path) -> dict[str, bytes]:
    """What a tabular run makes of ``old``: its tabular module replaced, the rest kept."""
    new = root / "expected-new"
    shutil.copytree(old, new)
    shutil.rmtree(new / MODULE)
    shutil.copytree(reference / MODULE, new / MODULE)
    write_marker(new)
    return files(new)


# --------------------------------------------------------------------------- corrupt cache


def cache_copy(pristine: Path, target: Path) -> Path:
    """A copy of the one-entry cache ``pristine`` filed under the key of the project's source as
    it is now (others may edit the checkout while the tests run; the key hashes the source);
    returns the entry folder."""
    [entry] = [p for p in pristine.glob("*/*") if p.is_dir() and not p.name.startswith(".")]
    copy = entry_of(target, MODULE)
    shutil.copytree(entry, copy)
    manifest = json.loads((entry / "manifest.json").read_text())
    (copy / "manifest.json").write_text(json.dumps({**manifest, "key": copy.name}))
    return copy


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: len(path.read_bytes()) // 2])


def _all_to_alm(path: Path) -> None:
    text = path.read_text()
    assert '"ALL"' in text
    path.write_text(text.replace('"ALL"', '"ALM"', 1))


CORRUPTIONS = {
    "truncated main.tf.json": ("module/main.tf.json", _truncate, "main.tf.json: sha256 differs"),
    "ALL changed to ALM": ("module/main.tf.json", _all_to_alm, "main.tf.json: sha256 differs"),
    "deleted README.md": ("module/README.md", Path.unlink, "README.md: missing"),
    "extra file": ("module/extra.tf.json", lambda p: p.write_text("{}"), "extra.tf.json: not in the manifest"),
    "deleted manifest": ("manifest.json", Path.unlink, "manifest.json: missing"),
    "truncated manifest": ("manifest.json", _truncate, "manifest.json: unreadable"),
}


# Each corruption spoils the entry of another on-prem module (kubernetes/tabular, the module the
# other tests here synthesize, stays sound).
CORRUPTED = dict(zip([s.folder for s in modules_for("onprem", "all") if s.folder != MODULE], CORRUPTIONS.values(), strict=False))
assert len(CORRUPTED) == len(CORRUPTIONS), "fewer on-prem modules than corruptions"


def test_every_corrupt_entry_is_synthesized_again_and_the_rest_copied(onprem_run):
    done = json.loads((onprem_run / "corrupt.json").read_text())
    assert done["returncode"] == 0, done["stderr"]
    out, total = onprem_run / "corrupt", len(modules_for("onprem", "all"))
    assert done["stdout"].strip() == f"{out}: {total} module(s) written ({len(CORRUPTED)} synthesized, {total - len(CORRUPTED)} from cache), 0 unchanged"
    assert len(done["stderr"].strip().splitlines()) == len(CORRUPTED)  # one line per corrupt entry, nothing else
    assert files(out) == files(onprem_run / "fresh")
    # The entries were replaced by sound ones: the next run copies every module without a word.
    again = json.loads((onprem_run / "again.json").read_text())
    assert again["returncode"] == 0 and again["stderr"] == "", again["stderr"]
    assert f"(0 synthesized, {total} from cache)" in again["stdout"]
    assert files(onprem_run / "again") == files(onprem_run / "fresh")


@pytest.mark.parametrize("corruption", list(CORRUPTIONS))
def test_a_corrupt_cache_entry_is_reported_by_module_and_reason(corruption, onprem_run):
    [module] = [folder for folder, planted in CORRUPTED.items() if planted == CORRUPTIONS[corruption]]
    reason = CORRUPTIONS[corruption][2]
    stderr = json.loads((onprem_run / "corrupt.json").read_text())["stderr"]
    [line] = [line for line in stderr.splitlines() if f" {module} " in line]
    assert reason in line and "corrupt" in line and "synthesizing it again" in line


def test_a_corrupt_entry_is_not_reported_unchanged(reference, tmp_path):
    """The output already holds the correct module; the entry is still checked, not trusted."""
    fresh, pristine = reference
    cache = tmp_path / "cache"
    _all_to_alm(cache_copy(pristine, cache) / "module" / "main.tf.json")
    out = tmp_path / "out"
    shutil.copytree(fresh, out)
    done = run_cli(*SYNTH, "--out", str(out), env={"SYNTHDATA_INFRA_CACHE": str(cache)})
    assert done.returncode == 0, done.stderr
    assert "corrupt" in done.stderr and MODULE in done.stderr
    assert files(out) == files(fresh)


# --------------------------------------------------------------------------- killed runs

_CRASH = textwrap.dedent(
    """
    import json, os, sys
    from pathlib import Path
    from synthdata_infra.synth import output
    from synthdata_infra.synth.driver import replace_atomically

    out, replacement, crash_at, exchange = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3]), sys.argv[4] == "1"
    steps = 0

    def step():
        global steps
        steps += 1
        if steps == crash_at:
            os._exit(137)  # as abrupt as SIGKILL: no finally, no cleanup

    rename = Path.rename
    def crashing_rename(self, target):
        step()
        return rename(self, target)
    Path.rename = crashing_rename
    exchange_paths = output._exchange
    def crashing_exchange(first, second):
        step()
        return exchange_paths(first, second) if exchange else False
    output._exchange = crashing_exchange

    import shutil
    def build(staging):
        shutil.copytree(replacement, staging / "kubernetes" / "tabular")
    replace_atomically(out, ["kubernetes/tabular"], build)
    print(steps)
    """
)


@pytest.mark.slow
@pytest.mark.parametrize("exchange", [True, False], ids=["rename-exchange", "two-renames"])
def test_a_kill_at_every_step_of_the_swap_leaves_the_old_or_the_new_tree(exchange, reference, old_tree, tmp_path):
    """Kill the swap before each of its renames (and the exchange) in turn."""
    from synthdata_infra.synth.output import output_lock, recover

    old = files(old_tree)
    new = new_tree_of(old_tree, reference[0], tmp_path)
    pristine = tmp_path / "pristine"
    shutil.copytree(old_tree, pristine)
    crash_at = 1
    while True:
        shutil.rmtree(old_tree)
        shutil.copytree(pristine, old_tree)
        done = subprocess.run(
            [sys.executable, "-c", _CRASH, str(old_tree), str(reference[0] / MODULE), str(crash_at), "1" if exchange else "0"],
            cwd=REPO, capture_output=True, text=True, check=False,
        )
        if done.returncode == 0:  # ran to the end without reaching step crash_at
            assert files(old_tree) == new and helpers(old_tree) == []
            break
        assert done.returncode == 137, done.stderr
        if exchange:  # the output is complete at every instant
            assert files(old_tree) in (old, new), f"killed before step {crash_at}: a mixed tree"
        with output_lock(old_tree):
            recover(old_tree)  # what the next run does first
        assert files(old_tree) in (old, new), f"killed before step {crash_at}: a mixed tree after recovery"
        assert helpers(old_tree) == [], crash_at
        crash_at += 1
    assert crash_at >= (3 if exchange else 4)


def _process_table() -> dict[int, tuple[int, str, str]]:
    """pid -> (parent pid, state, command line)."""
    table = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            state, ppid = stat.rsplit(")", 1)[1].split()[:2]
            table[int(entry.name)] = (int(ppid), state, cmdline)
    return table


def _descendants(pid: int) -> set[int]:
    table = _process_table()
    found, frontier = set(), {pid}
    while frontier:
        frontier = {child for child, (parent, _, _) in table.items() if parent in frontier} - found
        found |= frontier
    return found


def _alive(pids: set[int], out: Path) -> list[str]:
    """Which of ``pids`` still run (zombies are dead), plus any process naming the run's output."""
    table = _process_table()
    return [
        f"{pid} {cmdline[:100]}"
        for pid, (_, state, cmdline) in table.items()
        if state != "Z" and (pid in pids or f".{out.name}.synthdata-" in cmdline)
    ]


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads the process table from /proc")
def test_sigkill_at_any_moment_leaves_the_old_or_the_new_tree_and_no_worker(reference, old_tree, tmp_path):
    old = files(old_tree)
    new = new_tree_of(old_tree, reference[0], tmp_path)
    pristine = tmp_path / "pristine"
    shutil.copytree(old_tree, pristine)
    script = Path(sys.executable).with_name("synthdata-infra")
    env = {**os.environ, "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20"}
    outcomes = []
    for moment in (0.3, 1.0, 2.0, "staging tree written"):
        process = subprocess.Popen(
            [str(script), *SYNTH, "--no-cache", "--out", str(old_tree)], cwd=REPO, env=env,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        if moment == "staging tree written":
            deadline = time.monotonic() + 40
            while not list(tmp_path.glob(f".{old_tree.name}.synthdata-staging-*/{MODULE}/README.md")):
                assert process.poll() is None and time.monotonic() < deadline, "the staging tree never appeared"
                time.sleep(0.01)
        else:
            time.sleep(moment)
        family = _descendants(process.pid)
        process.send_signal(signal.SIGKILL)
        process.wait()
        deadline = time.monotonic() + 5
        while (alive := _alive(family, old_tree)) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert alive == [], f"killed at {moment}: processes outlived synth: {alive}"
        tree = files(old_tree)
        assert tree in (old, new), f"killed at {moment}: {old_tree} is neither the old nor the new tree"
        outcomes.append("old" if tree == old else "new")
        if tree == new:  # start the next kill from the old tree again
            shutil.rmtree(old_tree)
            shutil.copytree(pristine, old_tree)
    assert "old" in outcomes, outcomes  # at least one kill really interrupted a run
    done = run_cli(*SYNTH, "--no-cache", "--out", str(old_tree))
    assert done.returncode == 0, done.stderr
    assert files(old_tree) == new
    assert helpers(old_tree) == [], "the next run left helper folders behind"


def test_helper_folders_are_ignored_by_git_and_the_marker_is_not():
    ignored = subprocess.run(
        ["git", "check-ignore", "--no-index", ".modules_out.synthdata-staging-x1y2", ".modules_out.synthdata-next", f"modules_out/{MARKER}"],
        cwd=REPO, capture_output=True, text=True, check=False,
    )
    assert ignored.stdout.split() == [".modules_out.synthdata-staging-x1y2", ".modules_out.synthdata-next"]


def test_the_committed_modules_carry_the_marker():
    marker = json.loads((REPO / "modules_out" / MARKER).read_text())
    assert marker["generator"] == "synthdata-infra"
    listed = sorted(p.relative_to(REPO / "modules_out").as_posix() for p in (REPO / "modules_out").rglob("*") if p.is_file() and p.name != MARKER)
    assert marker["files"] == listed


# --------------------------------------------------------------------------- bad --out


def _single_error_line(done: subprocess.CompletedProcess[str]) -> str:
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    return lines[0]


def test_out_root_is_refused():
    before = sorted(os.listdir("/"))
    done = run_cli(*SYNTH, "--out", "/")
    assert done.returncode == 2
    line = _single_error_line(done)
    assert line.startswith("error: --out: got '/';") and "expected" in line
    assert sorted(os.listdir("/")) == before


def test_out_file_is_refused(tmp_path):
    target = tmp_path / "modules.txt"
    target.write_text("mine")
    done = run_cli(*SYNTH, "--out", str(target))
    assert done.returncode == 2
    assert _single_error_line(done).startswith(f"error: --out: got '{target}'; it is a file")
    assert target.read_text() == "mine" and sorted(p.name for p in tmp_path.iterdir()) == ["modules.txt"]


def test_out_folder_with_foreign_files_is_refused(tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.md").write_text("mine")
    done = run_cli(*SYNTH, "--out", str(out))
    assert done.returncode == 2
    line = _single_error_line(done)
    assert line.startswith(f"error: --out: got '{out}'; it holds files synth did not write") and MARKER in line
    assert files(out) == {"notes.md": b"mine"} and sorted(p.name for p in tmp_path.iterdir()) == ["mine"]


def test_a_foreign_file_in_a_module_folder_is_refused(old_tree, tmp_path):
    """Replacing kubernetes/tabular would delete a file synth did not write."""
    (old_tree / MODULE / "override.tf.json").write_text("{}")
    before = files(old_tree)
    done = run_cli(*SYNTH, "--out", str(old_tree))
    assert done.returncode == 2
    assert f"it holds {MODULE}/override.tf.json, which synth did not write" in _single_error_line(done)
    assert files(old_tree) == before and helpers(old_tree) == []


def _immutable(path: Path) -> bool:
    return shutil.which("chattr") is not None and subprocess.run(["chattr", "+i", str(path)], capture_output=True, check=False).returncode == 0


def test_an_unwritable_out_folder_exits_1_with_one_line(old_tree, reference, tmp_path):
    """An immutable folder (chattr +i: root cannot rename it either): the swap fails for real."""
    before = files(old_tree)
    if not _immutable(old_tree):
        pytest.skip("chattr +i is not available here")
    try:
        done = run_cli(*SYNTH, "--out", str(old_tree), env={"SYNTHDATA_INFRA_CACHE": str(tmp_path / "cache")})
    finally:
        subprocess.run(["chattr", "-i", str(old_tree)], check=True)
    assert done.returncode == 1
    line = _single_error_line(done)
    assert line.startswith(f"error: synth could not write --out {old_tree}; it is unchanged") and "Operation not permitted" in line
    assert files(old_tree) == before and helpers(old_tree) == []


def test_an_out_folder_in_an_unwritable_parent_exits_1_with_one_line(tmp_path):
    parent = tmp_path / "locked"
    parent.mkdir()
    if not _immutable(parent):
        pytest.skip("chattr +i is not available here")
    try:
        done = run_cli(*SYNTH, "--out", str(parent / "modules_out"))
    finally:
        subprocess.run(["chattr", "-i", str(parent)], check=True)
    assert done.returncode == 1
    assert "Operation not permitted" in _single_error_line(done)
    assert list(parent.iterdir()) == []


def test_an_out_folder_under_proc_exits_1_with_one_line():
    done = run_cli(*SYNTH, "--out", "/proc/synthdata-modules")
    assert done.returncode == 1
    assert _single_error_line(done).startswith("error: synth could not write --out /proc/synthdata-modules")


# --------------------------------------------------------------------------- monitor --out


@pytest.mark.parametrize(
    ("target", "message"),
    [
        (lambda tmp: tmp, "expected a file to write, not a folder"),
        (lambda tmp: tmp / "missing" / "unified.json", "expected a file in an existing folder; {tmp}/missing does not exist"),
        (lambda tmp: tmp / "file.txt" / "unified.json", "expected a file in an existing folder; {tmp}/file.txt is not a folder"),
    ],
    ids=["folder", "missing parent", "parent is a file"],
)
def test_monitor_out_bad_path_exits_2_with_one_line(cli, tmp_path, target, message):
    (tmp_path / "file.txt").write_text("mine")
    path = target(tmp_path)
    result = cli("monitor", "--out", str(path))
    assert result.exit_code == 2
    assert result.stderr.strip() == f"error: --out: got '{path}'; {message.format(tmp=tmp_path)}"
    assert (tmp_path / "file.txt").read_text() == "mine" and sorted(p.name for p in tmp_path.iterdir()) == ["file.txt"]


def test_monitor_out_unwritable_folder_exits_1_with_one_line(cli, tmp_path):
    folder = tmp_path / "dashboards"
    folder.mkdir()
    if not _immutable(folder):
        pytest.skip("chattr +i is not available here")
    try:
        result = cli("monitor", "--out", str(folder / "unified.json"))
    finally:
        subprocess.run(["chattr", "-i", str(folder)], check=True)
    assert result.exit_code == 1
    [line] = result.stderr.strip().splitlines()
    assert line.startswith(f"error: could not write --out {folder / 'unified.json'}") and "Operation not permitted" in line
    assert list(folder.iterdir()) == []


def test_monitor_out_replaces_a_file_atomically(cli, tmp_path):
    target = tmp_path / "unified.json"
    target.write_text("old")
    result = cli("monitor", "--out", str(target))
    assert result.exit_code == 0
    assert json.loads(target.read_text())["title"] and sorted(p.name for p in tmp_path.iterdir()) == ["unified.json"]
