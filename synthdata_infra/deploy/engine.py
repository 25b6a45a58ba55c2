"""Deploy, scale, destroy and status: environment files in, Terraform runs out.

Every command validates the whole change (the environment as it would be written, each
service's overrides, the placement) before it writes a file or starts Terraform. The
environment file records what should run; ``.synthdata/records/<env>/<service>.json`` records
what the last run did (deployed, failed) and a digest of the inputs it applied, so
``status`` can tell a deployed service from one whose configuration changed since.
``deploy --plan-only`` writes neither: it plans in a scratch folder.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
import tempfile
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Callable

from synthdata_infra import providers
from synthdata_infra.config import (
    Environment,
    ServiceEntry,
    available_environments,
    load_environment,
    project_root,
)
from synthdata_infra.config.loader import deep_merge
from synthdata_infra.deploy import local as local_api
from synthdata_infra.deploy.envfile import update_services
from synthdata_infra.deploy.plan import (
    LOCAL_STACKS,
    MODULES_FOLDER,
    STATE_FOLDER,
    EnvironmentPlan,
    ServicePlan,
    Target,
    local_cluster_stack,
    monitoring_stack,
    plan_environment,
    platform_stack,
    plan_service,
    workspaces_stack,
)
from synthdata_infra.deploy.terraform import (
    STATE_PULL_SECONDS,
    Report,
    StateUnknown,
    Terraform,
    TerraformFailure,
    first_error,
    pulled_state_resources,
    state_file_resources,
    terraform_env,
)
from synthdata_infra.errors import ConfigError, SynthdataError
from synthdata_infra.files import write_atomic
from synthdata_infra.synth.registry import PLATFORM

DEPLOYED, PLANNED, FAILED, DRIFTED, NOT_DEPLOYED = "deployed", "planned", "failed", "drifted", "not deployed"
FORGOTTEN = "forgotten"  # destroy of a local service whose API is gone
LOST_API = "lost (local API not running)"
LOST_STATE = "lost (Terraform state is empty)"
STATUS_PULL_BUDGET = 30.0  # seconds `status` may spend pulling Terraform Cloud states


class CorruptRecord(SynthdataError):
    """A record file that cannot be read: an operational failure (exit status 1)."""

    exit_code = 1

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: corrupt record ({reason}); delete it to forget the last run (`synthdata-infra status` then reads Terraform's state)")
        self.path = path


@dataclass
class Record:
    """What the last run of a service did."""

    service: str
    environment: str
    data_type: str
    provider: str
    target: str  # "cloud" or "local"
    result: str  # deployed | failed (or planned, left by versions whose --plan-only recorded)
    digest: str  # of the inputs that run applied
    at: str
    outputs: dict[str, Any] = field(default_factory=dict)
    monitoring: dict[str, Any] = field(default_factory=dict)
    message: str = ""


@dataclass
class Outcome:
    """The result of one command for one service."""

    plan: ServicePlan
    result: str
    record: Record | None
    skipped: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    endpoint: str | None = None  # the service's URL (plan-only: the one it would have)
    unplanned: dict[str, str] = field(default_factory=dict)  # plan-only: root -> why it could not be planned


class Engine:
    def __init__(self, project: Path | None = None, report: Report | None = None, note: Callable[[str], None] | None = None) -> None:
        self.project = project or project_root()
        self.report = report
        self.note = note or (lambda message: None)

    # -- paths -------------------------------------------------------------------------------
    @property
    def state(self) -> Path:
        return self.project / ".synthdata"

    def stacks_dir(self, target: Target) -> Path:
        """Roots of the clouds sit where `cdktf synth` puts them; local ones under .synthdata."""
        return self.project / LOCAL_STACKS if target.local else self.project / "cdktf.out" / "stacks"

    def record_path(self, environment: str, service: str) -> Path:
        return self.state / "records" / environment / f"{service}.json"

    def read_record(self, environment: str, service: str) -> Record | None:
        """The last run's record; None when there is none. A record that cannot be read raises
        :class:`CorruptRecord` (one line, exit status 1)."""
        path = self.record_path(environment, service)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except OSError as error:
            raise CorruptRecord(self._relative(path), error.strerror or "unreadable") from None
        try:
            data = json.loads(text)
            if not isinstance(data, dict):
                raise TypeError("not an object")
            return Record(**data)
        except (ValueError, TypeError) as error:
            reason = "truncated or not JSON" if isinstance(error, ValueError) else "not a record of this tool"
            raise CorruptRecord(self._relative(path), reason) from None

    def _relative(self, path: Path) -> str:
        try:
            return str(path.relative_to(self.project))
        except ValueError:
            return str(path)

    def _write_record(self, record: Record) -> None:
        write_atomic(self.record_path(record.environment, record.service), json.dumps(asdict(record), indent=2, sort_keys=True) + "\n")

    # -- commands ----------------------------------------------------------------------------
    def deploy(
        self,
        environment: str,
        entry: ServiceEntry,
        *,
        plan_only: bool = False,
        local: bool = False,
    ) -> Outcome:
        env = load_environment(environment, self.project)
        existing = env.service(entry.name)
        services = with_deployed(env.services, entry, environment)  # refuses another type or provider
        if local and not providers.get(entry.provider).local_target:
            local_ones = [name for name, provider in providers.REGISTRY.items() if provider.local_target]
            raise ConfigError("--provider", entry.provider, f"--local runs the AWS layers only: expected {' or '.join(local_ones)}")
        plan, service = self._validated(env, services, entry.name)
        if not local:
            previous = self.read_record(environment, entry.name)
            local = previous is not None and previous.target == "local" and existing is not None
        self._check_modules(service)
        self._check_platform(plan, service, local=local)
        if plan_only:
            return self._plan_only(plan, service, local=local)
        target = self._target(local=local)  # a local API that cannot start leaves the file as it was
        # Under the environment's lock, on the file as it is now (another command may have changed it).
        plan, service = self._update(environment, entry.name, lambda current: with_deployed(current, entry, environment))
        return self._apply(plan, service, target=target)

    def scale(self, service: str, replicas: int, environment: str | None = None) -> Outcome:
        env = self.environment_of(service, environment)
        entry = env.service(service)
        assert entry is not None
        updated, _ = scaled_entry(env, entry, replicas)
        services = tuple(updated if s.name == service else s for s in env.services)
        plan, planned = self._validated(env, services, service)
        self._check_modules(planned)
        record = self.read_record(env.name, service)
        target = self._target(local=record is not None and record.target == "local")
        notes: list[str] = []

        def change(current: tuple[ServiceEntry, ...]) -> tuple[ServiceEntry, ...]:
            fresh = next((s for s in current if s.name == service), None)
            if fresh is None:
                raise ConfigError("--service", service, f"expected a service of {env.name}: another command removed it meanwhile")
            rescaled, notes[:] = scaled_entry(env, fresh, replicas)
            return tuple(rescaled if s.name == service else s for s in current)

        # Under the environment's lock, on the file as it is now (another command may have changed it).
        plan, planned = self._update(env.name, service, change)
        for note in notes:
            self.note(note)
        # A replica count reaches the service's own root only: once its deploy went through, the
        # local cluster (or the workspaces) and the monitoring root stay as they are.
        applied = record is not None and record.result == DEPLOYED
        return self._apply(plan, planned, target=target, only_service=applied, previous=record if applied else None)

    def destroy(self, service: str, environment: str | None = None, *, delete_data: bool = False) -> Outcome:
        env = self.environment_of(service, environment)
        entry = env.service(service)
        assert entry is not None
        record = self.read_record(env.name, service)
        remaining = tuple(s for s in env.services if s.name != service)
        plan, planned = self._validated(env, env.services, service)
        after = plan_environment(env.model_copy(update={"services": remaining}))
        outcome = Outcome(plan=planned, result="destroyed", record=None)
        lost = self._local_api() if record is not None and record.target == "local" else None
        if record is None:
            outcome.notes.append(f"{service} had never been applied: removed from environments/{env.name}.yaml only")
        elif lost is not None and not lost.running:
            # The local AWS API that held it is gone, and what it held with it: nothing to destroy.
            outcome.result = FORGOTTEN
            outcome.notes.append(self._forget_local(env.name, planned, lost))
        else:
            target = self._target(local=record.target == "local")
            if delete_data:
                target = replace(target, delete_data=True)
            kind = record.target
            others = [s for s in after.services if s.provider == entry.provider and self._target_of(env.name, s.name) == kind]
            # The provider's monitoring keeps the other services' types, or goes with the last one.
            types = tuple(sorted({s.data_type for s in others})) or (planned.data_type,)
            folders = self._synth(self._builder(plan, planned, target, types), target)
            root = self._terraform(folders[planned.stack])
            if delete_data:
                root.apply()  # the module lets its data go (retention off, buckets emptied) before the destroy
            elif not target.local and planned.cloud_folder:
                kept = root.forget(retained_addresses(folders[planned.stack], planned.cloud_folder))
                if kept:
                    outcome.notes.append(
                        f"{service}: kept its data (bucket, key, audit logs, secrets: {len(kept)} resources, now outside "
                        "Terraform's state); `destroy --delete-data` deletes them instead"
                    )
            root.apply(destroy=True)
            self._terraform(folders[monitoring_stack(entry.provider, env.name)]).apply(destroy=not others)
            if target.local and not any(self._target_of(env.name, s.name) == "local" for s in after.services):
                self._terraform(folders[local_cluster_stack(env.name)]).apply(destroy=True)
            self.record_path(env.name, service).unlink(missing_ok=True)
        update_services(self.project, env.name, lambda current: tuple(s for s in current if s.name != service))
        return outcome

    def status(self, environment: str | None = None) -> list[tuple[ServicePlan, str, Record | None]]:
        """Each service of the environment(s) with its status, from its record (what the last run
        did) checked against what Terraform recorded (the root's state), and the record.

        A local service whose API is gone is ``lost (local API not running)``; a record saying
        deployed whose state is empty is ``lost (Terraform state is empty)``; a service without a
        record whose state holds resources is ``deployed (from state, no record)``; a state that
        cannot be read is ``unknown (<why>)``. States are read from files (the local target's,
        ``.synthdata/state/``); Terraform Cloud's only for a service without a record, by
        ``terraform state pull`` in its initialized root folder, within a time budget."""
        names = [environment] if environment else list(available_environments(self.project))
        rows = []
        seen: dict[str, Any] = {"pull_budget": STATUS_PULL_BUDGET}  # the local API, probed once
        for name in names:
            env = load_environment(name, self.project)
            plan = plan_environment(env)
            for service in plan.services:
                try:
                    record = self.read_record(name, service.name)
                except CorruptRecord as error:
                    rows.append((service, f"unknown (corrupt record: {error.path})", None))
                    continue
                rows.append((service, self._status(service, record, seen), record))
        return rows

    # -- internals ---------------------------------------------------------------------------
    def _update(
        self, environment: str, name: str, change: Callable[[tuple[ServiceEntry, ...]], tuple[ServiceEntry, ...]]
    ) -> tuple[EnvironmentPlan, ServicePlan]:
        """Change the environment file's services under its lock; the whole new environment is
        planned (validated) before it is written, and that plan is returned."""
        planned: list[tuple[EnvironmentPlan, ServicePlan]] = []
        update_services(self.project, environment, change, check=lambda updated: planned.append(self._validated(updated, updated.services, name)))
        return planned[-1]

    def _status(self, service: ServicePlan, record: Record | None, seen: dict[str, Any] | None = None) -> str:
        seen = {"pull_budget": STATUS_PULL_BUDGET} if seen is None else seen
        if record is None:
            return self._status_from_state(service, seen)
        if record.target == "local":
            api = self._probe_once(seen)
            if api.state == local_api.HUNG:
                return f"unknown ({api.reason})"
            if not api.running:
                return LOST_API  # what it held is gone with it
        if record.result != DEPLOYED:
            return record.result
        try:
            held = self._state_resources(service, local=record.target == "local")
        except StateUnknown as error:
            return f"unknown ({error})"
        if held == 0:
            return LOST_STATE
        target = Target(local_endpoint="local") if record.target == "local" else Target()
        return DEPLOYED if record.digest == self.digest(service, target) else DRIFTED

    def _probe_once(self, seen: dict[str, Any]) -> local_api.Probe:
        if "api" not in seen:
            seen["api"] = local_api.probe(self.project, self.note)
        return seen["api"]

    def _state_resources(self, service: ServicePlan, *, local: bool) -> int | None:
        """Resources in the service root's state file: the local target's, or ``.synthdata/state/``
        of an environment without Terraform Cloud (0 when there is no file); None for a
        Terraform Cloud root (not read here: see :meth:`_status_from_state`)."""
        if local:
            path = self.stacks_dir(Target(local_endpoint="local")) / service.stack / "terraform.tfstate"
        elif service.environment.terraform_cloud is None:
            path = self.project / STATE_FOLDER / f"{service.stack}.tfstate"
        else:
            return None
        return state_file_resources(path, self._relative(path)) or 0

    def _status_from_state(self, service: ServicePlan, seen: dict[str, Any]) -> str:
        """No record: what Terraform recorded decides (nothing to read: not deployed)."""
        try:
            if self._state_resources(service, local=True):
                api = self._probe_once(seen)
                if api.state == local_api.HUNG:
                    return f"unknown ({api.reason})"
                return "deployed (from local state, no record)" if api.running else LOST_API
            held = self._state_resources(service, local=False)
            if held is None:  # Terraform Cloud: only a root initialized here can pull its state
                folder = self.project / "cdktf.out" / "stacks" / service.stack
                if not (folder / ".terraform").is_dir():
                    return NOT_DEPLOYED
                if seen["pull_budget"] <= 0:
                    return "unknown (Terraform Cloud state not read: status's time budget is spent)"
                started = time.monotonic()
                try:
                    held = pulled_state_resources(folder, self.project, timeout=min(STATE_PULL_SECONDS, seen["pull_budget"]))
                finally:
                    seen["pull_budget"] -= time.monotonic() - started
        except StateUnknown as error:
            return f"unknown ({error})"
        return "deployed (from state, no record)" if held else NOT_DEPLOYED

    def _local_api(self) -> local_api.Probe:
        """The local AWS API as it is; one that lives but does not answer is an error (it may
        hold what the command is about)."""
        found = local_api.probe(self.project, self.note)
        if found.state == local_api.HUNG:
            raise local_api.LocalApiError(f"{found.reason}: retry, or end it with `synthdata-infra local stop` (what it holds is lost)")
        return found

    def _forget_local(self, environment: str, service: ServicePlan, api: local_api.Probe) -> str:
        """Forget a local service whose API is gone: its record and its local root (state
        included); the environment's local monitoring and cluster roots too when no other local
        service of it is recorded, and the dead API's address when no local service is left.
        The caller removes it from the environment file. Returns the note saying so."""
        stacks = self.stacks_dir(Target(local_endpoint="local"))
        self.record_path(environment, service.name).unlink(missing_ok=True)
        shutil.rmtree(stacks / service.stack, ignore_errors=True)
        forgotten = ["its record", "its local root's state"]
        remaining = local_api.local_records(self.project)
        if not any(name == environment for name, _ in remaining):
            for stack in (monitoring_stack(service.provider, environment), local_cluster_stack(environment)):
                if (stacks / stack).exists():
                    shutil.rmtree(stacks / stack, ignore_errors=True)
                    forgotten.append(f"the local root {stack}")
        if not remaining and api.state == local_api.DEAD:
            local_api.state_file(self.project).unlink(missing_ok=True)
        forgotten.append(f"its entry in environments/{environment}.yaml")
        why = api.reason if api.state == local_api.DEAD else "no local AWS API is running"
        return f"{service.name}: {why}, and what it held went with it: forgot {', '.join(forgotten)} (nothing to destroy)"

    def digest(self, service: ServicePlan, target: Target) -> str:
        """What an apply of ``service`` depends on: its module inputs and the module files."""
        payload: dict[str, Any] = {
            "cloud": service.cloud_inputs(target) if service.cloud_folder else None,
            "workload": service.workload_inputs(),
            "modules": {},
        }
        modules_out = self.project / "modules_out"
        for folder in filter(None, (service.cloud_folder, service.workload_folder)):
            for file in sorted((modules_out / folder).glob("*.tf.json")):
                payload["modules"][f"{folder}/{file.name}"] = hashlib.sha256(file.read_bytes()).hexdigest()
        return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:16]

    def _validated(self, env: Environment, services: tuple[ServiceEntry, ...], name: str) -> tuple[EnvironmentPlan, ServicePlan]:
        updated = env.model_copy(update={"services": services})
        entry = updated.service(name)
        assert entry is not None
        plan_service(updated, entry)  # the service at hand first: its errors name the keys as typed
        plan = plan_environment(updated)
        service = next(s for s in plan.services if s.name == name)
        return plan, service

    def _check_platform(self, plan: EnvironmentPlan, service: ServicePlan, *, local: bool) -> None:
        """The provider's platform root can be built for the environment (its CSI driver, the ACME
        e-mail, ...) and its module exists: bad input, refused before anything is written. The
        local target applies no platform root."""
        from synthdata_infra.deploy.roots import check_platform_inputs

        layer = providers.get(service.provider).platform
        if layer is None or local:
            return
        check_platform_inputs(plan.environment, service.provider, Target())
        self._check_folders([f"{layer.folder}/{PLATFORM}"])

    def _check_modules(self, service: ServicePlan) -> None:
        """The generated modules the service's roots call exist (bad input, before anything is written)."""
        self._check_folders(filter(None, (service.cloud_folder, service.workload_folder)))

    def _check_folders(self, folders) -> None:
        for folder in folders:
            if not (self.project / "modules_out" / folder / "main.tf.json").is_file():
                raise ConfigError("modules_out", f"modules_out/{folder}", "a generated module: run `synthdata-infra synth` first")

    def environment_of(self, service: str, environment: str | None) -> Environment:
        """The environment ``service`` is recorded in (``environment``, or the only one naming it)."""
        if environment is not None:
            env = load_environment(environment, self.project)
            if env.service(service) is None:
                known = ", ".join(s.name for s in env.services) or "none"
                raise ConfigError("--service", service, f"expected a service of {environment} ({known})")
            return env
        found = [load_environment(name, self.project) for name in available_environments(self.project)]
        found = [env for env in found if env.service(service) is not None]
        if not found:
            raise ConfigError("--service", service, "expected a service recorded in environments/*.yaml (see `synthdata-infra status`)")
        if len(found) > 1:  # the one where it was applied, if only one
            applied = [env for env in found if self.read_record(env.name, service) is not None]
            found = applied if len(applied) == 1 else found
        if len(found) > 1:
            raise ConfigError("--service", service, f"it runs in {', '.join(e.name for e in found)}: pass --environment")
        return found[0]

    def _target_of(self, environment: str, service: str) -> str | None:
        record = self.read_record(environment, service)
        return record.target if record else None

    def _target(self, *, local: bool) -> Target:
        return Target(local_endpoint=local_api.ensure_running(self.project, self.note)) if local else Target()

    def _builder(
        self, plan: EnvironmentPlan, service: ServicePlan, target: Target, types: tuple[str, ...] | None = None, *, platform: bool = False
    ):
        from synthdata_infra.deploy.synth_roots import service_and_monitoring

        return service_and_monitoring(plan, service, target, types, platform=platform)

    def _synth(self, build, target: Target) -> dict[str, Path]:
        from synthdata_infra.deploy.synth_roots import write_roots

        if self.report:
            self.report("synthesizing roots", 0, 0)
        return write_roots(build, target, self.stacks_dir(target), self.project / "modules_out")

    def _terraform(self, folder: Path) -> Terraform:
        terraform = Terraform(folder, terraform_env(self.project), self.report)
        terraform.init()
        return terraform

    def _order(self, plan: EnvironmentPlan, service: ServicePlan, *, local: bool) -> list[str]:
        """The roots a deploy of ``service`` applies, in order: first what its plan runs against
        (the local cluster, or the Terraform Cloud workspaces), then its provider's monitoring and
        platform (the cluster's charts, StorageClasses and ClusterIssuer the service relies on; in
        the order the provider needs), then its own (its root looks the monitoring workspace up for
        KEDA's queries).

        The platform root is skipped on the local target: it installs charts into a cluster, and
        no Kubernetes API answers there (the service roots skip their Kubernetes layer too); its
        cloud resources only serve those charts."""
        env = plan.environment.name
        first = []
        if local:
            first = [local_cluster_stack(env)]
        elif plan.environment.terraform_cloud is not None:
            first = [workspaces_stack(env)]  # workspaces exist, tagged, before their runs
        provider = providers.get(service.provider)
        shared = [monitoring_stack(service.provider, env)]
        if provider.platform is not None and not local:
            platform = platform_stack(service.provider, env)
            shared = [*shared, platform] if provider.platform_after_monitoring else [platform, *shared]
        return first + shared + [service.stack]

    def _apply_platform(self, folder: Path) -> None:
        """Apply a platform root. On a cluster it was never applied to, its custom resources (the
        ClusterIssuer) cannot be planned before the charts bring their CRDs: a first apply without
        them, then the full one. Afterwards one apply (a no-op when nothing changed)."""
        terraform = self._terraform(folder)
        if not terraform.state_resources():
            terraform.apply(variables={"enable_crds": "false"})
        terraform.apply()

    def _apply(
        self, plan: EnvironmentPlan, service: ServicePlan, *, target: Target, only_service: bool = False, previous: Record | None = None
    ) -> Outcome:
        """Apply the service's roots. The environment file already holds the change: whatever
        fails from here on (synthesizing the roots, Terraform) is recorded as ``failed`` with its
        message before it is raised, so ``status`` shows it and a re-run or destroy can follow."""
        record = Record(
            service=service.name,
            environment=plan.environment.name,
            data_type=service.data_type,
            provider=service.provider,
            target="local" if target.local else "cloud",
            result=DEPLOYED,
            digest=self.digest(service, target),
            at=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        )
        if previous is not None:
            record.monitoring = previous.monitoring  # its monitoring root is not applied again
        try:
            folders = self._synth(self._builder(plan, service, target, platform=not only_service), target)
            order = [service.stack] if only_service else self._order(plan, service, local=target.local)
            for stack in order:
                if stack == platform_stack(service.provider, plan.environment.name):
                    self._apply_platform(folders[stack])
                    continue
                terraform = self._terraform(folders[stack])
                terraform.apply()
                if stack == service.stack:
                    record.outputs = terraform.outputs()
                elif stack.startswith("monitoring-"):
                    record.monitoring = terraform.outputs().get("monitoring") or {}
        except Exception as failure:
            record.result, record.message = FAILED, str(failure) or type(failure).__name__
            self._write_record(record)
            raise
        self._write_record(record)
        skipped = ["kubernetes"] if target.local else []
        return Outcome(plan=service, result=record.result, record=record, skipped=skipped, endpoint=record.outputs.get("endpoint"))

    def _plan_only(self, plan: EnvironmentPlan, service: ServicePlan, *, local: bool) -> Outcome:
        """``deploy --plan-only``: the roots the deploy would apply, synthesized into a scratch
        folder and planned there (``terraform plan -lock=false``, reading the project's states).
        Nothing of the project is written (environment file, records, roots, states, Terraform's
        settings) and nothing is applied. A root Terraform cannot plan (no credentials, Terraform
        Cloud out of reach, the local cluster not applied yet) is reported with Terraform's reason."""
        from synthdata_infra.deploy.synth_roots import write_roots

        outcome = Outcome(plan=service, result=PLANNED, record=None, skipped=["kubernetes"] if local else [])
        order = self._order(plan, service, local=local)
        if local:
            api = self._local_api()
            if not api.running:  # starting one would write the project's .synthdata/local
                outcome.unplanned = dict.fromkeys(order, "no local AWS API runs (`deploy --local` starts one)")
                return outcome
            target = Target(local_endpoint=api.endpoint, read_state_from=self.project)
        else:
            target = Target(read_state_from=self.project)
            outcome.endpoint = service.endpoint  # the local target skips the Kubernetes layer: no endpoint there
        with tempfile.TemporaryDirectory(prefix="synthdata-plan-") as folder:
            scratch = Path(folder)
            if self.report:
                self.report("synthesizing roots (in a scratch folder)", 0, 0)
            folders = write_roots(self._builder(plan, service, target, platform=not local), target, scratch / "stacks", self.project / "modules_out")
            env = terraform_env(self.project, scratch=scratch)
            for stack in order:
                terraform = Terraform(folders[stack], env, self.report)
                try:
                    terraform.init()
                    terraform.plan(lock=False)
                except TerraformFailure as failure:
                    outcome.unplanned[stack] = first_error(str(failure).split("\n", 1)[-1])
        return outcome

def retained_addresses(root: Path, cloud_folder: str) -> list[str]:
    """What the root's cloud module keeps on destroy (its retention guard and what the guard
    protects), as root addresses; read from the module copied beside the root."""
    main = json.loads((root / MODULES_FOLDER / cloud_folder / "main.tf.json").read_text())
    guard = main.get("resource", {}).get("terraform_data", {}).get("retention_guard")
    if guard is None:
        return []
    return [f"module.cloud.{address}" for address in [*guard["depends_on"], "terraform_data.retention_guard"]]


def with_deployed(services: tuple[ServiceEntry, ...], given: ServiceEntry, environment: str) -> tuple[ServiceEntry, ...]:
    """``services`` after a deploy of ``given``: a recorded name is updated in place (same type
    and provider only), a new one is appended."""
    existing = next((s for s in services if s.name == given.name), None)
    if existing is None:
        return (*services, given)
    if (existing.data_type, existing.provider) != (given.data_type, given.provider):
        raise ConfigError(
            "--name",
            given.name,
            f"{given.name} is already deployed in {environment} as {existing.data_type} on {existing.provider}; "
            f"destroy it first or choose another name",
        )
    entry = updated_entry(existing, given)
    return tuple(entry if s.name == given.name else s for s in services)


def scaled_entry(env: Environment, entry: ServiceEntry, replicas: int) -> tuple[ServiceEntry, list[str]]:
    """``entry`` scaled to ``replicas``; a count outside the bounds moves the bound (and says so)."""
    overrides = dict(entry.overrides)
    low, high = _resolve_bounds(env, entry)
    scaling: dict[str, Any] = {}
    notes = []
    if replicas > high:
        scaling["max_replicas"] = replicas
        notes.append(f"{entry.name}: scaling.max_replicas raised from {high} to {replicas}")
    if replicas < low:
        scaling["min_replicas"] = replicas
        notes.append(f"{entry.name}: scaling.min_replicas lowered from {low} to {replicas}")
    if scaling:
        overrides = deep_merge(overrides, {"scaling": scaling})
    return entry.model_copy(update={"replicas": replicas, "overrides": overrides}), notes


def updated_entry(existing: ServiceEntry, given: ServiceEntry) -> ServiceEntry:
    """A deploy of a recorded service updates it: what is given replaces, the rest stays
    (overrides and metadata merge key by key), so a re-deploy never silently drops a scale. An
    image or a version given replaces both (one picks the other's image)."""
    image, version = (given.image, given.version) if given.image or given.version else (existing.image, existing.version)
    return existing.model_copy(
        update={
            "replicas": given.replicas if given.replicas is not None else existing.replicas,
            "image": image,
            "version": version,
            "overrides": deep_merge(existing.overrides, given.overrides),
            "metadata": {**existing.metadata, **given.metadata},
        }
    )


def _resolve_bounds(env: Environment, entry: ServiceEntry) -> tuple[int, int]:
    """The service's replica bounds as recorded now."""
    from synthdata_infra.config import resolve

    config = resolve(entry.data_type, env.name, entry.config_overrides())
    return config.scaling.min_replicas, config.scaling.max_replicas


__all__ = [
    "CorruptRecord", "DEPLOYED", "DRIFTED", "Engine", "FAILED", "FORGOTTEN", "LOST_API", "LOST_STATE", "NOT_DEPLOYED", "Outcome", "PLANNED",
    "Record", "SynthdataError",
]
