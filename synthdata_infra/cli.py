"""The ``synthdata-infra`` command line. Commands are thin: parse, call the library, print.

Domain errors are raised in the library and turned into one line on stderr plus exit
status 2 here, at the boundary.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
import yaml

from synthdata_infra import providers
from synthdata_infra.config import data_types, deep_merge, parse_overrides, resolve
from synthdata_infra.errors import ConfigError, OperationalError, SynthdataError, describe_os_error
from synthdata_infra.planning import check_provider, placement_for

app = typer.Typer(
    name="synthdata-infra",
    help="Deploy and monitor synthetic-data services: profiles in, Terraform modules out.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
config_app = typer.Typer(help="Inspect the layered configuration.", no_args_is_help=True)
app.add_typer(config_app, name="config")



def _types_help() -> str:
    """The --type help: the types the project's profiles/ folder defines right now."""
    try:
        return f"Data type: {', '.join(data_types())} (a folder under profiles/)."
    except SynthdataError:
        return "Data type: a folder under profiles/."


TypeOption = Annotated[str, typer.Option("--type", "-t", help=_types_help())]
EnvironmentOption = Annotated[str, typer.Option("--environment", "-e", help="Environment file under environments/.")]
SetOption = Annotated[
    Optional[list[str]],
    typer.Option("--set", help="Override a key, e.g. --set gpu.count=2 (repeatable; applied last)."),
]


def _overrides(sets: list[str] | None, replicas: int | None = None) -> dict[str, Any]:
    overrides = parse_overrides(sets or [])
    if replicas is not None:
        overrides["replicas"] = replicas
    return overrides


@config_app.command("show")
def config_show(
    data_type: TypeOption,
    environment: EnvironmentOption = "production",
    provider: Annotated[Optional[str], typer.Option(help="aws, gcp, azure or onprem: adds the node placement.")] = None,
    sets: SetOption = None,
    output_format: Annotated[str, typer.Option("--format", help="yaml or json.")] = "yaml",
) -> None:
    """Print the effective configuration of a data type (base -> type -> environment -> --set)."""
    if output_format not in ("yaml", "json"):
        raise ConfigError("--format", output_format, "expected one of yaml, json")
    config = resolve(data_type, environment, _overrides(sets))
    document: dict[str, Any] = config.model_dump(mode="json")
    if provider is not None:
        check_provider(provider)
        document["provider"] = provider
        # What the provider's monitoring backend fixes (monitoring.prometheus.retention is refused for that reason).
        document["monitoring_backend"] = providers.get(provider).monitoring_notes()
        placement = providers.get(provider).placement(config)
        if placement is not None:
            document["placement"] = placement.to_dict()
    if output_format == "json":
        typer.echo(json.dumps(document, indent=2))
    else:
        typer.echo(yaml.safe_dump(document, sort_keys=False), nl=False)


@app.command()
def cost(
    data_type: TypeOption,
    provider: Annotated[str, typer.Option(help="aws, gcp or azure.")],
    environment: EnvironmentOption = "production",
    replicas: Annotated[Optional[int], typer.Option(help="Replicas to price (default: the configuration's).")] = None,
    sets: SetOption = None,
) -> None:
    """Print the node type, node count and on-demand cost of running a data type."""
    check_provider(provider, cloud_only=True)
    config = resolve(data_type, environment, _overrides(sets, replicas))
    placement = placement_for(config, provider)
    gpu = f"{placement.gpu.count} x {placement.gpu.model}" if placement.gpu else "none"
    rows = (
        ("instance type", placement.instance_type),
        ("gpu per node", gpu),
        ("replicas", f"{placement.replicas} ({placement.replicas_per_node} per node)"),
        ("nodes", str(placement.nodes)),
        ("usd/hour", f"{placement.usd_per_hour:.2f}"),
        ("usd/month", f"{placement.usd_per_month:.2f}"),
        ("prices", f"on-demand, {placement.pricing_region}, as of {placement.pricing_as_of}"),
    )
    width = max(len(label) for label, _ in rows)
    for label, value in rows:
        typer.echo(f"{label:<{width}}  {value}")


@app.command()
def synth(
    provider: Annotated[str, typer.Option(help="aws, gcp, azure, onprem or all.")] = "all",
    data_type: Annotated[str, typer.Option("--type", "-t", help="A data type, or all (all includes monitoring).")] = "all",
    out: Annotated[
        Path, typer.Option(help="Folder the modules are written to: missing, empty, or one synth wrote (it holds .synthdata-modules).")
    ] = Path("modules_out"),
    jobs: Annotated[Optional[int], typer.Option(min=1, help="Worker processes at once (default: CPU count).")] = None,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Synthesize every module, ignoring the cache.")] = False,
) -> None:
    """Generate the Terraform modules into --out (atomically: a failed or killed run changes nothing)."""
    import signal

    from synthdata_infra.synth.driver import synth as run_synth
    from synthdata_infra.synth.progress import SynthProgress, TerminalProgress
    from synthdata_infra.synth.registry import modules_for

    progress = SynthProgress()
    if sys.stderr.isatty():
        bindings: dict[str, int] = {}
        for spec in modules_for(provider, data_type):
            bindings[spec.binding] = bindings.get(spec.binding, 0) + 1
        progress = TerminalProgress(bindings)
    # SIGTERM unwinds like Ctrl-C: workers are stopped and the staging folder removed.
    previous_handler = signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    try:
        report = run_synth(provider, data_type, out, jobs, use_cache=not no_cache, progress=progress)
    except OSError as exc:
        raise OperationalError(f"synth could not write --out {out}; it is unchanged ({describe_os_error(exc)})") from exc
    finally:
        signal.signal(signal.SIGTERM, previous_handler)
    typer.echo(
        f"{out}: {len(report.written)} module(s) written ({len(report.synthesized)} synthesized, "
        f"{len(report.cached)} from cache), {len(report.unchanged)} unchanged"
    )


@app.command()
def monitor(
    dashboard: Annotated[str, typer.Option(help="unified, or a data type.")] = "unified",
    out: Annotated[Optional[Path], typer.Option(help="File to write (default: stdout).")] = None,
    provider: Annotated[str, typer.Option(help="Catalog for the unified view's cost estimate: aws, gcp or azure.")] = "aws",
) -> None:
    """Write a Grafana dashboard (JSON, Grafana 11) for import or provisioning."""
    from synthdata_infra.monitoring.dashboards import to_json, type_dashboard, unified_dashboard

    if dashboard != "unified" and dashboard not in data_types():
        raise ConfigError("--dashboard", dashboard, f"expected unified or one of {', '.join(data_types())}")
    check_provider(provider, cloud_only=True)
    text = to_json(unified_dashboard(provider) if dashboard == "unified" else type_dashboard(dashboard))
    if out is None:
        typer.echo(text, nl=False)
    else:
        _write_file_option("--out", out, text)
        typer.echo(f"wrote {out}", err=True)


def _write_file_option(option: str, path: Path, text: str) -> None:
    """Write ``text`` to the file named by ``option``: atomically (a unique temporary file beside
    it, then a rename) unless it is a device or pipe. A folder or a missing parent folder is bad
    input (exit 2); a refusal of the system is an operational error (exit 1). One line either way."""
    import os
    import tempfile

    if path.is_dir():
        raise ConfigError(option, str(path), "expected a file to write, not a folder")
    target = path.resolve() if path.is_symlink() else path
    parent = target.parent
    if not parent.is_dir():
        state = "is not a folder" if parent.exists() else "does not exist"
        raise ConfigError(option, str(path), f"expected a file in an existing folder; {parent} {state}")
    try:
        if target.exists() and not target.is_file():  # /dev/stdout, a named pipe: write in place
            with open(target, "w", encoding="utf-8") as stream:
                stream.write(text)
            return
        if target.exists():
            mode = target.stat().st_mode & 0o7777
        else:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
        handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=parent)
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                stream.write(text)
            os.chmod(temporary, mode)
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise OperationalError(f"could not write {option} {path} ({describe_os_error(exc)})") from exc


@app.command()
def validate(
    out: Annotated[Path, typer.Option(help="Folder of generated modules.")] = Path("modules_out"),
    skip: Annotated[Optional[str], typer.Option(help="Checks to skip: conventions,terraform,checkov,promtool.")] = None,
) -> None:
    """Check generated modules: conventions, terraform validate, checkov, promtool. Exit 1 on any failure."""
    from rich.console import Console
    from rich.table import Table

    from synthdata_infra.validate import module_folders, parse_skip
    from synthdata_infra.validate import validate as run_validate

    skipped = parse_skip(skip)
    module_folders(out)  # bad --out fails before any tool runs
    findings = run_validate(out, skipped)
    table = Table(title=f"synthdata-infra validate {out}")
    for column in ("module", "check", "result", "detail"):
        table.add_column(column, overflow="fold")
    for finding in findings:
        style = {"fail": "red", "skipped": "yellow"}.get(finding.result, "green")
        table.add_row(finding.module, finding.check, f"[{style}]{finding.result}[/{style}]", finding.detail)
    Console(width=160).print(table)
    failures = [f for f in findings if f.result == "fail"]
    typer.echo(f"{len(findings)} checks: {len(failures)} failed, {sum(f.result == 'skipped' for f in findings)} skipped")
    if failures:
        raise typer.Exit(1)


class _Progress:
    """Terraform progress on stderr: a live bar on a terminal, one line per step otherwise."""

    def __init__(self) -> None:
        from rich.console import Console

        self.console = Console(stderr=True)
        self.bar = None
        if self.console.is_terminal:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

            self.bar = Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=self.console, transient=True)
            self.task = self.bar.add_task("starting", total=None)

    def __call__(self, message: str, done: int, total: int) -> None:
        if self.bar is not None:
            if not total:  # a new step: no count yet
                self.bar.remove_task(self.task)
                self.task = self.bar.add_task(message, total=None)
            else:
                self.bar.update(self.task, description=message, completed=done, total=total)
        elif not done or done == total:
            self.console.print(message, highlight=False, soft_wrap=True)

    def __enter__(self) -> "_Progress":
        if self.bar is not None:
            self.bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()


def _infrastructure(provider: str | None, progress: _Progress, local: bool = False):
    """The API object; ``provider=None`` for scale and destroy (the environment file names it)."""
    from synthdata_infra.api import SyntheticDataInfrastructure

    return SyntheticDataInfrastructure(provider=provider, local=local, report=progress)


def _metadata(pairs: list[str] | None) -> dict[str, str]:
    """``--metadata KEY=VALUE`` options as a mapping (a key given twice is an error)."""
    found: dict[str, str] = {}
    for pair in pairs or []:
        key, equals, value = pair.partition("=")
        if not equals or not key:
            raise ConfigError("--metadata", pair, "expected KEY=VALUE, e.g. --metadata team=data-platform")
        if key in found:
            raise ConfigError(f"metadata.{key}", value, f"one value per key (already given {found[key]!r})")
        found[key] = value
    return found


def _print_result(result) -> None:
    if not result.success:
        typer.echo(f"error: {result.message}", err=True)
        raise typer.Exit(1)
    for note in filter(None, result.message.split("; ")):
        typer.echo(f"note: {note}", err=True)
    typer.echo(f"{result.service_name} ({result.data_type} on {result.provider}, {result.environment}): {result.status}")
    if result.skipped:
        typer.echo(f"  skipped: {', '.join(result.skipped)} layer (no cluster answers on the local target)")
    if result.endpoint:
        typer.echo(f"  endpoint: {result.endpoint}")
    for root, reason in result.unplanned.items():
        typer.echo(f"  not planned: {root}: {reason}")
    if result.monitoring_url:
        typer.echo(f"  monitoring: {result.monitoring_url}")


@app.command()
def deploy(
    data_type: TypeOption,
    name: Annotated[str, typer.Option("--name", "-n", help="Service name (lower-case DNS label).")],
    provider: Annotated[str, typer.Option(help="aws, gcp, azure or onprem.")],
    environment: EnvironmentOption = "production",
    replicas: Annotated[Optional[int], typer.Option(help="Replicas that always run (the autoscaler's floor).")] = None,
    gpu_type: Annotated[Optional[str], typer.Option(help="GPU model, e.g. nvidia-tesla-v100.")] = None,
    gpu_count: Annotated[Optional[int], typer.Option(help="GPUs per replica.")] = None,
    version: Annotated[
        Optional[str], typer.Option("--version", help="Tag of the environment's image to run, e.g. 1.2.0 (never latest; not with --image).")
    ] = None,
    image: Annotated[Optional[str], typer.Option(help="Generator image with a tag or digest (default from the environment).")] = None,
    metadata: Annotated[
        Optional[list[str]],
        typer.Option("--metadata", help="KEY=VALUE label on the service's Kubernetes objects and tag on its cloud resources (repeatable)."),
    ] = None,
    sets: SetOption = None,
    plan_only: Annotated[
        bool, typer.Option("--plan-only", help="Synthesize into a scratch folder and run terraform plan: writes nothing, applies nothing.")
    ] = False,
    local: Annotated[bool, typer.Option("--local", help="Apply to a local AWS API on 127.0.0.1 (no cloud credentials).")] = False,
) -> None:
    """Record a service in the environment, synthesize its root and apply it (or plan it)."""
    overrides = parse_overrides(sets or [])
    gpu = {key: value for key, value in (("type", gpu_type), ("count", gpu_count)) if value is not None}
    if gpu:
        overrides = deep_merge(overrides, {"gpu": gpu})
    labels = _metadata(metadata)
    check_provider(provider)
    with _Progress() as progress:
        result = _infrastructure(provider, progress, local).deploy_service(
            data_type,
            name,
            environment,
            version=version,
            replicas=replicas,
            config_overrides=overrides,
            metadata=labels,
            image=image,
            plan_only=plan_only,
        )
    _print_result(result)


@app.command()
def scale(
    service: Annotated[str, typer.Option("--service", "-s", help="Service name.")],
    replicas: Annotated[int, typer.Option(help="Replicas that always run; bounds move to include it.")],
    environment: Annotated[Optional[str], typer.Option("--environment", "-e", help="Needed when the name runs in several.")] = None,
) -> None:
    """Change a service's replica count and re-apply it."""
    with _Progress() as progress:
        result = _infrastructure(None, progress).scale_service(service, replicas, environment)
    _print_result(result)


@app.command()
def destroy(
    service: Annotated[str, typer.Option("--service", "-s", help="Service name.")],
    environment: Annotated[Optional[str], typer.Option("--environment", "-e", help="Needed when the name runs in several.")] = None,
    delete_data: Annotated[
        bool, typer.Option("--delete-data", help="Also delete the data bucket (with its objects), its key, audit logs and secrets.")
    ] = False,
) -> None:
    """Destroy a service's resources and remove it from its environment; its data is kept unless --delete-data."""
    with _Progress() as progress:
        result = _infrastructure(None, progress).destroy_service(service, environment, delete_data=delete_data)
    _print_result(result)


@app.command()
def status(
    environment: Annotated[Optional[str], typer.Option("--environment", "-e", help="One environment (default: all).")] = None,
    prometheus_url: Annotated[
        Optional[str],
        typer.Option(help="Prometheus to read health, throughput and use from (default: the query endpoint the environment's monitoring recorded)."),
    ] = None,
    output: Annotated[str, typer.Option("--format", help="table or json.")] = "table",
) -> None:
    """Every recorded service: type, deployment status, health, throughput and resource use."""
    from synthdata_infra.deploy import health, metrics
    from synthdata_infra.deploy.engine import Engine

    if output not in ("table", "json"):
        raise ConfigError("--format", output, "expected table or json")
    url = metrics.check_url(prometheus_url) if prometheus_url else None
    found = Engine(note=_note).status(environment)
    rows = [
        {
            "service": plan.name,
            "environment": plan.environment.name,
            "type": plan.data_type,
            "provider": plan.provider,
            "status": state,
            "target": record.target if record else None,
            **seen.as_dict(),
        }
        for (plan, state, record), seen in zip(found, health.health_of(found, url))
    ]
    if output == "json":
        typer.echo(json.dumps(rows, indent=2))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title="Service Status")
    for column in ("Service", "Environment", "Type", "Provider", "Status", "Health", "Throughput", "Resources"):
        table.add_column(column)
    for row in rows:
        table.add_row(
            row["service"],
            row["environment"],
            row["type"],
            row["provider"],
            row["status"] + (" (local)" if row["target"] == "local" else ""),
            row["health"] + (f" ({row['health_reason']})" if row["health_reason"] else ""),
            metrics.per_hour(row["throughput_per_hour"]),
            metrics.percent(row["usage"], row["usage_resource"]),
        )
    Console(width=160).print(table)


local_app = typer.Typer(help="The local AWS API that `deploy --local` starts.", no_args_is_help=True)
app.add_typer(local_app, name="local")


def _note(message: str) -> None:
    typer.echo(f"note: {message}", err=True)


@local_app.command("stop")
def local_stop() -> None:
    """Stop the local AWS API (what it held is gone: local services become `lost`; `destroy` forgets them)."""
    from synthdata_infra.config import project_root
    from synthdata_infra.deploy import local as local_api

    project = project_root()
    typer.echo("local AWS API stopped" if local_api.stop(project, _note) else "no local AWS API was running")
    recorded = local_api.local_records(project)
    if recorded:
        named = ", ".join(f"{service} ({environment})" for environment, service in recorded)
        _note(f"local services still recorded, now lost: {named}; `synthdata-infra destroy --service NAME` forgets each")


def main() -> None:
    """Console entry point: domain errors become one message and exit status 2.

    Usage errors, ``--help`` and exit codes are left to typer's standalone mode.
    """
    try:
        app()
    except SynthdataError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(getattr(exc, "exit_code", 2))


if __name__ == "__main__":
    main()
