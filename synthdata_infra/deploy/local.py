"""The local target: moto's AWS API on 127.0.0.1, kept running between commands.

``deploy --local`` starts it in the background (its address and pid in
``.synthdata/local/aws.json``); ``scale``, ``status`` and ``destroy`` of local services reuse it;
``synthdata-infra local stop`` ends it, and everything it held with it.

Liveness is decided by the process, not by a slow answer: the recorded pid must be alive and be
the moto server started on the recorded port (its command line says so), and it must answer
``GET /moto-api/config`` (a few bytes; ``/moto-api/data.json`` serializes moto's whole state,
4.5 MB and seconds once IAM's managed policies are loaded, so it is never used). A dead API
is never silently replaced while local services are recorded: what it held is gone, and a new,
empty API would only make Terraform fail ("couldn't find resource") or lie.
"""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from synthdata_infra.errors import SynthdataError
from synthdata_infra.files import exclusive_lock, write_atomic

STARTUP_SECONDS = 60
ANSWER_SECONDS = 15.0  # one probe's timeout: generous, the probe itself costs milliseconds
PATIENCE_SECONDS = 30.0  # how long a live moto process may take to answer before it counts as hung
STOP_SECONDS = 15.0
TAG = "SYNTHDATA_INFRA_LOCAL_API"  # in the server's environment: the project it serves
_detached: list[subprocess.Popen] = []

# What a probe found.
RUNNING, NONE, DEAD, HUNG = "running", "none", "dead", "hung"

Note = Callable[[str], None]


class LocalApiError(SynthdataError):
    """The local AWS API is not usable (an operational failure: exit status 1)."""

    exit_code = 1


@dataclass(frozen=True)
class Probe:
    """The local AWS API as found: ``state`` is running, none (nothing recorded), dead (the
    recorded process is gone or is not the moto server started for it) or hung (the process
    lives but does not answer)."""

    state: str
    endpoint: str | None = None
    pid: int | None = None
    reason: str = ""

    @property
    def running(self) -> bool:
        return self.state == RUNNING


def state_file(project: Path) -> Path:
    return project / ".synthdata" / "local" / "aws.json"


_state_file = state_file  # the name older callers use


def read_state(project: Path, note: Note | None = None) -> dict | None:
    """What ``aws.json`` records ({endpoint, pid, port}); None when nothing (or nothing readable)
    is recorded: a corrupt file is reported through ``note`` in one line and counts as none."""
    path = state_file(project)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as error:
        _say(note, f"{_rel(project, path)} cannot be read ({error.strerror}): treated as no local AWS API recorded")
        return None
    try:
        data = json.loads(text)
        endpoint, pid = data["endpoint"], int(data["pid"])
        port = int(data.get("port") or endpoint.rsplit(":", 1)[1])
        if not isinstance(endpoint, str) or not endpoint.startswith("http://127.0.0.1:"):
            raise ValueError(endpoint)
    except (ValueError, KeyError, TypeError, AttributeError, IndexError):
        _say(note, f"{_rel(project, path)} is corrupt (not the endpoint and pid a local API writes): treated as no local AWS API recorded")
        return None
    return {"endpoint": endpoint, "pid": pid, "port": port}


def _say(note: Note | None, message: str) -> None:
    if note is not None:
        note(message)


def _rel(project: Path, path: Path) -> str:
    try:
        return str(path.relative_to(project))
    except ValueError:
        return str(path)


def _write_state(project: Path, data: dict) -> None:
    """``aws.json`` through a unique temporary file in its folder, then a rename."""
    write_atomic(state_file(project), json.dumps(data, sort_keys=True) + "\n")


# -- the process ------------------------------------------------------------------------------


def _alive(pid: int) -> bool:
    """True while ``pid`` runs (a zombie, exited but not reaped, does not count)."""
    stat = Path(f"/proc/{pid}/stat")
    if Path("/proc/self/stat").exists():
        try:
            text = stat.read_text()
        except OSError:
            return False
        return text[text.rfind(")") + 2 :][:1] not in ("Z", "X", "x", "")
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _command_line(pid: int) -> list[str] | None:
    """The process's arguments; None where /proc is not available."""
    if not Path("/proc/self/cmdline").exists():
        return None
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    return [part.decode(errors="replace") for part in raw.split(b"\0") if part]


def is_local_api(pid: int, port: int) -> bool:
    """True when ``pid`` is alive and is the moto server listening on ``port`` that this tool starts
    (``... -m moto.server -H 127.0.0.1 -p <port>``), so a reused pid is never taken for it."""
    if pid <= 1 or not _alive(pid):
        return False
    args = _command_line(pid)
    if args is None:  # no /proc: the answer on the port decides
        return True
    return "moto.server" in args and any(a == "-p" and b == str(port) for a, b in zip(args, args[1:]))


def servers_of(project: Path) -> list[int]:
    """Pids of every live local AWS API started for ``project`` (found by the tag in their
    environment), whatever ``aws.json`` says: what a clean-up must end."""
    found = []
    wanted = f"{TAG}={project.resolve()}".encode()
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            if b"moto.server" not in (entry / "cmdline").read_bytes():
                continue
            if wanted in (entry / "environ").read_bytes().split(b"\0") and _alive(int(entry.name)):
                found.append(int(entry.name))
        except (OSError, ValueError):
            continue
    return found


def _answers(endpoint: str, timeout: float = ANSWER_SECONDS) -> bool:
    """One cheap request: moto's config endpoint answers a few bytes without touching its state."""
    import urllib.request

    try:
        with urllib.request.urlopen(f"{endpoint}/moto-api/config", timeout=timeout) as response:
            return response.status in (200, 201) and isinstance(json.loads(response.read() or b"null"), dict)
    except (OSError, ValueError):
        return False


def probe(project: Path, note: Note | None = None, *, patience: float = PATIENCE_SECONDS) -> Probe:
    """The local AWS API as it is now (see :class:`Probe`)."""
    data = read_state(project, note)
    if data is None:
        return Probe(NONE, reason="no local AWS API is recorded")
    endpoint, pid, port = data["endpoint"], data["pid"], data["port"]
    if not is_local_api(pid, port):
        return Probe(DEAD, endpoint, pid, f"the local AWS API (pid {pid}, {endpoint}) is no longer running")
    deadline = time.monotonic() + patience
    while True:
        if _answers(endpoint, timeout=max(1.0, min(ANSWER_SECONDS, deadline - time.monotonic()))):
            return Probe(RUNNING, endpoint, pid)
        if not is_local_api(pid, port):
            return Probe(DEAD, endpoint, pid, f"the local AWS API (pid {pid}, {endpoint}) is no longer running")
        if time.monotonic() >= deadline:
            return Probe(HUNG, endpoint, pid, f"the local AWS API (pid {pid}, {endpoint}) runs but does not answer")
        time.sleep(0.5)


def running_endpoint(project: Path, note: Note | None = None) -> str | None:
    """The local AWS API's address when it is up, else None."""
    found = probe(project, note)
    return found.endpoint if found.running else None


# -- records of local services ----------------------------------------------------------------


def local_records(project: Path) -> list[tuple[str, str]]:
    """(environment, service) of every record of a run against the local AWS API."""
    found = []
    for path in sorted((project / ".synthdata" / "records").glob("*/*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue  # a corrupt record is reported where it is read
        if isinstance(data, dict) and data.get("target") == "local":
            found.append((path.parent.name, path.stem))
    return found


def lost_message(reason: str, services: list[tuple[str, str]]) -> str:
    named = ", ".join(f"{service} ({environment})" for environment, service in services)
    first_environment, first_service = services[0]
    return (
        f"{reason}, and what it held is gone with it; still recorded as local: {named}. "
        f"Forget each with `synthdata-infra destroy --service {first_service} --environment {first_environment}` "
        f"before a new local AWS API can start"
    )


# -- start and stop ---------------------------------------------------------------------------


@contextmanager
def _start_lock(project: Path, timeout: float = STARTUP_SECONDS + 30) -> Iterator[None]:
    """One command at a time decides whether to start the API (two concurrent deploys must not
    start two)."""
    path = state_file(project).parent / "aws.lock"
    held = ExitStack()
    try:
        held.enter_context(exclusive_lock(path, timeout, 0.1))
    except TimeoutError:
        raise LocalApiError(f"--local: another command has been starting the local AWS API for {timeout:g} s (lock {path})") from None
    with held:
        yield


def ensure_running(project: Path, note: Note | None = None) -> str:
    """The local AWS API's address, started when none runs and no local service is recorded.

    Raises :class:`LocalApiError` when the recorded API is dead or hung while local services are
    recorded (they lived in it), and when a hung one holds the place."""
    with _start_lock(project):
        found = probe(project, note)
        if found.running:
            assert found.endpoint is not None
            return found.endpoint
        if found.state == HUNG:
            raise LocalApiError(f"--local: {found.reason}; stop it with `synthdata-infra local stop` (what it holds is lost) or retry")
        recorded = local_records(project)
        if recorded:
            raise LocalApiError(f"--local: {lost_message(found.reason, recorded)}")
        return _start(project, note)


def _start(project: Path, note: Note | None) -> str:
    if importlib.util.find_spec("moto") is None or importlib.util.find_spec("flask") is None:
        raise SynthdataError("--local: moto's server is not installed; pip install 'synthdata-infra[local]' (or 'moto[server]')")
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        port = listener.getsockname()[1]
    folder = state_file(project).parent
    folder.mkdir(parents=True, exist_ok=True)
    stale = sorted(folder.glob("stacks/*/terraform.tfstate"))
    if stale:  # no local service is recorded and no API runs: state of an API that is gone
        for path in stale:
            for file in (path, path.with_name("terraform.tfstate.backup")):
                file.unlink(missing_ok=True)
        _say(note, f"removed the local roots' state of a local AWS API that is gone ({', '.join(p.parent.name for p in stale)})")
    env = {
        **os.environ,
        "MOTO_IAM_LOAD_MANAGED_POLICIES": "true",  # EKS node roles attach AWS managed policies
        TAG: str(project.resolve()),
    }
    with open(folder / "aws.log", "ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            start_new_session=True,  # outlives this command
        )
    _detached.append(process)  # not waited for: it keeps running after this command
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + STARTUP_SECONDS
    while not _answers(endpoint, timeout=5):
        if process.poll() is not None or time.monotonic() > deadline:
            _end(process.pid)
            raise LocalApiError(f"--local: the local AWS API did not start; see {folder / 'aws.log'}")
        time.sleep(0.2)
    _write_state(project, {"endpoint": endpoint, "pid": process.pid, "port": port})
    return endpoint


def _end(pid: int) -> None:
    """SIGTERM, then SIGKILL after ``STOP_SECONDS``; reaps it when this process started it."""
    try:
        os.kill(pid, signal.SIGTERM)
    except OSError:
        return
    deadline = time.monotonic() + STOP_SECONDS
    mine = [p for p in _detached if p.pid == pid]
    while _alive(pid) and time.monotonic() < deadline:
        if mine and mine[0].poll() is not None:
            break
        time.sleep(0.1)
    if _alive(pid):
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    for process in mine:  # started by this process: reap it
        try:
            process.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            pass
        _detached.remove(process)


def stop(project: Path, note: Note | None = None) -> bool:
    """Stop the local AWS API; False when none was running. The recorded pid is signalled only
    when it is the moto server started on the recorded port; the state file goes either way."""
    with _start_lock(project):
        path = state_file(project)
        data = read_state(project, note)
        if data is None:
            path.unlink(missing_ok=True)
            return False
        pid, port = data["pid"], data["port"]
        running = is_local_api(pid, port)
        if running:
            _end(pid)
        elif _alive(pid):
            _say(note, f"pid {pid} named by {_rel(project, path)} is not the local AWS API: not signalled")
        path.unlink(missing_ok=True)
        return running
