"""Root stacks: what `cdktf deploy <stack>` and `synthdata-infra deploy` apply.

A root configures the providers, looks the environment's cluster up by name (both done by the
service's provider class, see ``synthdata_infra.providers``), calls the
committed modules (copied next to it under ``modules/``, so the folder is what Terraform Cloud
uploads) and passes the cloud module's outputs into the kubernetes module. Its state lives in
Terraform Cloud (``cloud {}``: organization and workspace from the environment) or, when the
environment sets none, in ``.synthdata/state/``.

Roots of the local target (``--local``) point the AWS provider at the local AWS API, skip the
Kubernetes layer (no cluster answers there) and keep their state beside them.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from synthdata_infra import providers
from synthdata_infra.cdk import (
    CloudBackend,
    Construct,
    LocalBackend,
    NamedCloudWorkspace,
    TerraformHclModule,
    TerraformOutput,
    TerraformStack,
    kubernetes,
)
from synthdata_infra.config import Environment
from synthdata_infra.deploy.plan import (
    LOCAL_STACKS,
    MODULES_FOLDER,
    STATE_FOLDER,
    EnvironmentPlan,
    ServicePlan,
    Target,
    monitoring_settings,
    monitoring_stack,
    root_tags,
    workspaces_stack,
)
from synthdata_infra.naming import monitoring_service
from synthdata_infra.providers import KUBERNETES, Binding
from synthdata_infra.synth.module_stack import TERRAFORM_REQUIRED_VERSION
from synthdata_infra.synth.registry import MONITORING

TFE_REQUIREMENT = {"source": "hashicorp/tfe", "version": ">= 0.60.0, < 1.0.0"}


class RootStack(TerraformStack):
    """A root: providers pinned to the modules' tested ranges, a backend, module calls."""

    def __init__(self, scope, name: str, *, environment: Environment, workspace: str | None, target: Target) -> None:
        super().__init__(scope, name)
        self.modules: list[str] = []  # modules_out folders the root calls
        self._outputs = Construct(self, "outputs")  # outputs share names with module calls
        self.add_override("terraform.required_version", TERRAFORM_REQUIRED_VERSION)
        tfc = environment.terraform_cloud
        project = target.read_state_from  # plan-only: the project's states, from a scratch folder
        if target.local:
            LocalBackend(self, path=str(project / LOCAL_STACKS / name / "terraform.tfstate") if project else "terraform.tfstate")
        elif tfc is not None and workspace is not None:
            CloudBackend(
                self,
                organization=tfc.organization,
                workspaces=NamedCloudWorkspace(name=workspace, project=tfc.project),
            )
        else:
            LocalBackend(self, path=str(project / STATE_FOLDER / f"{name}.tfstate") if project else f"../../../{STATE_FOLDER}/{name}.tfstate")

    def require(self, binding: Binding) -> None:
        """The bindings pin one exact provider version; a root takes the modules' tested range."""
        self.add_override(f"terraform.required_providers.{binding.name}", binding.requirement)

    def module(self, label: str, folder: str, inputs: dict[str, Any]) -> str:
        """Call ``modules_out/<folder>`` as ``module.<label>``; returns the reference prefix."""
        call = TerraformHclModule(self, label, source=f"./{MODULES_FOLDER}/{folder}", skip_asset_creation_from_local_modules=True)
        call.override_logical_id(label)
        for key, value in inputs.items():
            call.add_override(key, value)  # as given: the constructor would snake-case map keys
        self.modules.append(folder)
        return f"module.{label}"

    def output(self, name: str, value: Any, description: str, sensitive: bool = False) -> None:
        out = TerraformOutput(self._outputs, name, value="", description=description, sensitive=sensitive)
        out.override_logical_id(name)
        out.add_override("value", value)


def _workspace(environment: Environment, service: str, data_type: str) -> str | None:
    tfc = environment.terraform_cloud
    return tfc.workspace_for(service, environment.name, data_type) if tfc else None


def build_service_root(app, plan: ServicePlan, target: Target) -> RootStack:
    env = plan.environment
    stack = RootStack(app, plan.stack, environment=env, workspace=_workspace(env, plan.name, plan.data_type), target=target)
    provider = providers.get(plan.provider)
    tags = plan.tags()
    inputs = plan.cloud_inputs(target) if plan.cloud_folder else {}
    cloud = provider.service_root(stack, plan, target, tags, inputs)
    if cloud is not None:
        stack.output("cloud", f"${{{cloud}}}", "Everything the cloud module outputs (bucket, keys, node pool, identity).")
    if not target.local:  # no cluster answers on the local target: its roots skip the Kubernetes layer
        workload = plan.workload_inputs()
        if cloud is not None:
            workload.update(
                node_selector=f"${{{cloud}.node_selector}}",
                service_account_annotations=f"${{{cloud}.service_account_annotations}}",
            )
        if provider.scraper_namespace:  # the managed Prometheus's collectors must reach the metrics port
            workload["monitoring_namespace"] = provider.scraper_namespace
        if provider.scrape_kind:
            workload["scrape_kind"] = provider.scrape_kind
        workload.update(provider.workload_inputs(stack, plan, cloud))
        ref = stack.module("workload", plan.workload_folder, workload)
        stack.output("endpoint", f"${{{ref}.endpoint}}", "URL of the service.")
        stack.output("workload", f"${{{ref}}}", "Everything the kubernetes module outputs.")
    return stack


def named(element, name: str):
    """Give a root's element the Terraform name ``name`` (not cdktf's hashed id)."""
    element.override_logical_id(name)
    return element


def kubernetes_provider(stack: RootStack, **options: Any) -> None:
    named(kubernetes.provider.KubernetesProvider(stack, "kubernetes", **options), "kubernetes")
    stack.require(KUBERNETES)


def build_monitoring_root(app, env: Environment, provider_name: str, data_types: tuple[str, ...], target: Target) -> RootStack:
    provider = providers.get(provider_name)
    name = monitoring_stack(provider.name, env.name)
    stack = RootStack(app, name, environment=env, workspace=_workspace(env, monitoring_service(provider.name), "all"), target=target)
    settings = monitoring_settings(env, data_types)
    inputs: dict[str, Any] = {"data_types": list(data_types), **provider.monitoring_root(stack, env, target, root_tags(env), settings)}
    ref = stack.module("monitoring", f"{provider.monitoring.folder}/{MONITORING}", inputs)
    stack.output("monitoring", f"${{{ref}}}", "Everything the monitoring module outputs (endpoints, rule groups).")
    return stack


def build_workspaces_root(app, plan: EnvironmentPlan) -> RootStack:
    """The environment's Terraform Cloud workspaces, tagged with service, data type and environment.

    A ``cloud {}`` block takes a workspace name or tags, not both, so the tags are set here
    with the tfe provider (credentials from TFE_TOKEN); apply it before the other roots."""
    env = plan.environment
    tfc = env.terraform_cloud
    assert tfc is not None
    stack = RootStack(app, workspaces_stack(env.name), environment=env, workspace=_workspace(env, "workspaces", "all"), target=Target())
    stack.add_override("terraform.required_providers.tfe", TFE_REQUIREMENT)
    stack.add_override("provider.tfe", [{"organization": tfc.organization}])
    if tfc.project:
        stack.add_override("data.tfe_project.project", {"name": tfc.project, "organization": tfc.organization})
    rows = [(p.stack, _workspace(env, p.name, p.data_type), p.name, p.data_type) for p in plan.services]
    rows += [
        (monitoring_stack(provider, env.name), _workspace(env, monitoring_service(provider), "all"), monitoring_service(provider), "all")
        for provider in plan.monitoring
    ]
    for root, workspace, service, data_type in rows:
        body: dict[str, Any] = {
            "name": workspace,
            "organization": tfc.organization,
            "description": f"synthdata-infra root {root} ({env.description})",
            "tag_names": [f"service:{service}", f"data-type:{data_type}", f"environment:{env.name}"],
            "lifecycle": {"prevent_destroy": True},
        }
        if tfc.project:
            body["project_id"] = "${data.tfe_project.project.id}"
        stack.add_override(f"resource.tfe_workspace.{root.replace('-', '_')}", body)
    return stack


def copy_modules(stack_dir: Path, folders: list[str], modules_out: Path, extra: dict[str, dict[str, str]] | None = None) -> None:
    """Copy the modules a root calls under ``<stack_dir>/modules/`` (without READMEs and examples).

    ``extra`` adds files to a copied module (folder -> {file name: content})."""
    target = stack_dir / MODULES_FOLDER
    if target.exists():
        shutil.rmtree(target)
    for folder in folders:
        source = modules_out / folder
        if not (source / "main.tf.json").is_file():
            from synthdata_infra.errors import ConfigError

            raise ConfigError("modules_out", str(source), "a generated module: run `synthdata-infra synth` first")
        shutil.copytree(source, target / folder, ignore=shutil.ignore_patterns("examples", "README.md"))
        for name, content in (extra or {}).get(folder, {}).items():
            (target / folder / name).write_text(content, encoding="utf-8")
