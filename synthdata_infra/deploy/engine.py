"""Deploy, scale, destroy and status: environment files in, Terraform runs out.

Every command validates the whole change (the environment as it would be written, each
service's overrides, the placement) before it writes a file or starts Terraform. The
environment file records what should run; ``.synthdata/records/<env>/<service>.json`` records
what the last run did (planned, deployed, failed) and a digest of the inputs it applied, so
``status`` can tell a deployed service from one whose configuration changed since.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable

from synthdata_infra.config import Environment, ServiceEntry, available_environments, load_environment, project_root
from synthdata_infra.config.loader import deep_merge
from synthdata_infra.deploy import local as local_api
from synthdata_infra.deploy.envfile import write_services
from synthdata_infra.deploy.plan import (
    EnvironmentPlan,
    ServicePlan,
    Target,
    local_cluster_stack,
    monitoring_stack,
    plan_environment,
    plan_service,
    workspaces_stack,
)
from synthdata_infra.deploy.terraform import Report, Terraform, TerraformFailure, terraform_env
from synthdata_infra.errors import ConfigError, SynthdataError

DEPLOYED, PLANNED, FAILED, DRIFTED, NOT_DEPLOYED = "deployed", "planned", "failed", "drifted", "not deployed"


@dataclass
class Record:
    """What the last run of a service did."""

    service: str
    environment: str
    data_type: str
    provider: str
    target: str  # "cloud" or "local"
    result: str  # deployed | planned | failed
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
        return self.state / "local" / "stacks" if target.local else self.project / "cdktf.out" / "stacks"

    def record_path(self, environment: str, service: str) -> Path:
        return self.state / "records" / environment / f"{service}.json"

    def read_record(self, environment: str, service: str) -> Record | None:
        path = self.record_path(environment, service)
        return Record(**json.loads(path.read_text())) if path.is_file() else None

    def _write_record(self, record: Record) -> None:
        path = self.record_path(record.environment, record.service)
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(".tmp")
        temporary.write_text(json.dumps(asdict(record), indent=2, sort_keys=True) + "\n")
        os.replace(temporary, path)

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
        if existing is not None and (existing.data_type, existing.provider) != (entry.data_type, entry.provider):
            raise ConfigError(
                "--name",
                entry.name,
                f"{entry.name} is already deployed in {environment} as {existing.data_type.value} on {existing.provider}; "
                f"destroy it first or choose another name",
            )
        if local and entry.provider != "aws":
            raise ConfigError("--provider", entry.provider, "--local runs the AWS layers only: expected aws")
        if existing is not None:
            entry = updated_entry(existing, entry)
        services = tuple(entry if s.name == entry.name else s for s in env.services)
        if existing is None:
            services += (entry,)
        plan, service = self._validated(env, services, entry.name)
        if not local:
            previous = self.read_record(environment, entry.name)
            local = previous is not None and previous.target == "local" and existing is not None
        target = self._target(local=local)  # a local API that cannot start leaves the file as it was
        write_services(self.project, env, services)
        return self._apply(plan, service, plan_only=plan_only, target=target)

    def scale(self, service: str, replicas: int, environment: str | None = None) -> Outcome:
        env = self._environment_of(service, environment)
        entry = env.service(service)
        assert entry is not None
        overrides = dict(entry.overrides)
        low, high = _resolve_bounds(env, entry)
        scaling: dict[str, Any] = {}
        if replicas > high:
            scaling["max_replicas"] = replicas
            self.note(f"{service}: scaling.max_replicas raised from {high} to {replicas}")
        if replicas < low:
            scaling["min_replicas"] = replicas
            self.note(f"{service}: scaling.min_replicas lowered from {low} to {replicas}")
        if scaling:
            overrides = deep_merge(overrides, {"scaling": scaling})
        updated = entry.model_copy(update={"replicas": replicas, "overrides": overrides})
        services = tuple(updated if s.name == service else s for s in env.services)
        plan, planned = self._validated(env, services, service)
        record = self.read_record(env.name, service)
        target = self._target(local=record is not None and record.target == "local")
        write_services(self.project, env, services)
        return self._apply(plan, planned, plan_only=False, target=target)

    def destroy(self, service: str, environment: str | None = None) -> Outcome:
        env = self._environment_of(service, environment)
        entry = env.service(service)
        assert entry is not None
        record = self.read_record(env.name, service)
        remaining = tuple(s for s in env.services if s.name != service)
        plan, planned = self._validated(env, env.services, service)
        after = plan_environment(env.model_copy(update={"services": remaining}))
        outcome = Outcome(plan=planned, result="destroyed", record=None)
        if record is None:
            outcome.notes.append(f"{service} had never been applied: removed from environments/{env.name}.yaml only")
        else:
            target = self._target(local=record.target == "local")
            kind = record.target
            others = [s for s in after.services if s.provider == entry.provider and self._target_of(env.name, s.name) == kind]
            # The provider's monitoring keeps the other services' types, or goes with the last one.
            types = tuple(sorted({s.data_type for s in others})) or (planned.data_type,)
            folders = self._synth(self._builder(plan, planned, target, types), target)
            self._terraform(folders[planned.stack]).apply(destroy=True)
            self._terraform(folders[monitoring_stack(entry.provider, env.name)]).apply(destroy=not others)
            if target.local and not any(self._target_of(env.name, s.name) == "local" for s in after.services):
                self._terraform(folders[local_cluster_stack(env.name)]).apply(destroy=True)
            self.record_path(env.name, service).unlink(missing_ok=True)
        write_services(self.project, env, remaining)
        return outcome

    def status(self, environment: str | None = None) -> list[tuple[ServicePlan, str, Record | None]]:
        names = [environment] if environment else list(available_environments(self.project))
        rows = []
        for name in names:
            env = load_environment(name, self.project)
            plan = plan_environment(env)
            for service in plan.services:
                record = self.read_record(name, service.name)
                rows.append((service, self._status(service, record), record))
        return rows

    # -- internals ---------------------------------------------------------------------------
    def _status(self, service: ServicePlan, record: Record | None) -> str:
        if record is None:
            return NOT_DEPLOYED
        if record.result != DEPLOYED:
            return record.result
        target = Target(local_endpoint="local") if record.target == "local" else Target()
        if record.target == "local" and local_api.running_endpoint(self.project) is None:
            return "stopped"  # the local AWS API was stopped: what it held is gone
        return DEPLOYED if record.digest == self.digest(service, target) else DRIFTED

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

    def _environment_of(self, service: str, environment: str | None) -> Environment:
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
        return Target(local_endpoint=local_api.ensure_running(self.project)) if local else Target()

    def _builder(self, plan: EnvironmentPlan, service: ServicePlan, target: Target, types: tuple[str, ...] | None = None):
        from synthdata_infra.deploy.synth_roots import service_and_monitoring

        return service_and_monitoring(plan, service, target, types)

    def _synth(self, build, target: Target) -> dict[str, Path]:
        from synthdata_infra.deploy.synth_roots import write_roots

        if self.report:
            self.report("synthesizing roots", 0, 0)
        return write_roots(build, target, self.stacks_dir(target), self.project / "modules_out")

    def _terraform(self, folder: Path) -> Terraform:
        terraform = Terraform(folder, terraform_env(self.project), self.report)
        terraform.init()
        return terraform

    def _apply(self, plan: EnvironmentPlan, service: ServicePlan, *, plan_only: bool, target: Target) -> Outcome:
        folders = self._synth(self._builder(plan, service, target), target)
        record = Record(
            service=service.name,
            environment=plan.environment.name,
            data_type=service.data_type,
            provider=service.provider,
            target="local" if target.local else "cloud",
            result=PLANNED if plan_only else DEPLOYED,
            digest=self.digest(service, target),
            at=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        )
        first = []
        if target.local:
            first = [local_cluster_stack(plan.environment.name)]
        elif plan.environment.terraform_cloud is not None:
            first = [workspaces_stack(plan.environment.name)]  # workspaces exist, tagged, before their runs
        order = first + [
            service.stack,
            monitoring_stack(service.provider, plan.environment.name),
        ]
        try:
            for stack in order:
                terraform = self._terraform(folders[stack])
                # The local cluster and the workspaces are what the plan runs against: applied even to plan.
                if plan_only and stack not in first:
                    terraform.plan()
                    continue
                terraform.apply()
                if stack == service.stack:
                    record.outputs = terraform.outputs()
                elif stack.startswith("monitoring-"):
                    record.monitoring = terraform.outputs().get("monitoring") or {}
        except TerraformFailure as failure:
            record.result, record.message = FAILED, str(failure)
            self._write_record(record)
            raise
        self._write_record(record)
        skipped = ["kubernetes"] if target.local else []
        return Outcome(plan=service, result=record.result, record=record, skipped=skipped)


def updated_entry(existing: ServiceEntry, given: ServiceEntry) -> ServiceEntry:
    """A deploy of a recorded service updates it: what is given replaces, the rest stays
    (overrides merge key by key), so a re-deploy never silently drops a scale."""
    return existing.model_copy(
        update={
            "replicas": given.replicas if given.replicas is not None else existing.replicas,
            "image": given.image or existing.image,
            "overrides": deep_merge(existing.overrides, given.overrides),
        }
    )


def _resolve_bounds(env: Environment, entry: ServiceEntry) -> tuple[int, int]:
    """The service's replica bounds as recorded now."""
    from synthdata_infra.config import resolve

    config = resolve(entry.data_type, env.name, entry.config_overrides())
    return config.scaling.min_replicas, config.scaling.max_replicas


__all__ = ["DEPLOYED", "DRIFTED", "Engine", "FAILED", "NOT_DEPLOYED", "Outcome", "PLANNED", "Record", "SynthdataError"]
