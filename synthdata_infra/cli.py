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

from synthdata_infra.config import parse_overrides, resolve
from synthdata_infra.errors import ConfigError, SynthdataError
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

TypeOption = Annotated[str, typer.Option("--type", "-t", help="Data type: tabular, time_series, text, image, audio, video.")]
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
        if provider != "onprem":
            document["placement"] = placement_for(config, provider).to_dict()
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
    out: Annotated[Path, typer.Option(help="Folder the modules are written to.")] = Path("modules_out"),
    jobs: Annotated[Optional[int], typer.Option(min=1, help="Worker processes at once (default: CPU count).")] = None,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Synthesize every module, ignoring the cache.")] = False,
) -> None:
    """Generate the Terraform modules into --out (atomically: a failed run changes nothing)."""
    from synthdata_infra.synth.driver import synth as run_synth
    from synthdata_infra.synth.progress import SynthProgress, TerminalProgress
    from synthdata_infra.synth.registry import modules_for

    progress = SynthProgress()
    if sys.stderr.isatty():
        bindings: dict[str, int] = {}
        for spec in modules_for(provider, data_type):
            bindings[spec.binding] = bindings.get(spec.binding, 0) + 1
        progress = TerminalProgress(bindings)
    report = run_synth(provider, data_type, out, jobs, use_cache=not no_cache, progress=progress)
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
    from synthdata_infra.config import DATA_TYPES
    from synthdata_infra.monitoring.dashboards import to_json, type_dashboard, unified_dashboard

    if dashboard != "unified" and dashboard not in DATA_TYPES:
        raise ConfigError("--dashboard", dashboard, f"expected unified or one of {', '.join(DATA_TYPES)}")
    check_provider(provider, cloud_only=True)
    text = to_json(unified_dashboard(provider) if dashboard == "unified" else type_dashboard(dashboard))
    if out is None:
        typer.echo(text, nl=False)
    else:
        out.write_text(text, encoding="utf-8")
        typer.echo(f"wrote {out}", err=True)


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
