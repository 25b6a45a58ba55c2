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
    TerraformVariable,
    helm,
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
from synthdata_infra.errors import ConfigError
from synthdata_infra.naming import monitoring_service, platform_service, platform_stack
from synthdata_infra.providers import HELM, KUBERNETES, Binding
from synthdata_infra.synth.module_stack import TERRAFORM_REQUIRED_VERSION
from synthdata_infra.synth.registry import MONITORING, PLATFORM

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
                # What the cloud module created (GCP's CDN also needs a domain), not what was asked for.
                cdn_enabled=f"${{{cloud}.cdn_domain_name != null}}",
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


def helm_provider(stack: RootStack, **options: Any) -> None:
    """The helm provider (3.x: ``kubernetes`` is an attribute), reaching the cluster as ``kubernetes_provider`` does."""
    h = helm.provider
    named(h.HelmProvider(stack, "helm", kubernetes=h.HelmProviderKubernetes(**options)), "helm")
    stack.require(HELM)


class MonitoringOutputs:
    """The outputs of the environment's monitoring root for one provider, read by a platform root
    through ``terraform_remote_state`` (the monitoring root is applied first). The data source is
    added on first use only: a platform that reads nothing of it does not depend on its state."""

    def __init__(self, stack: RootStack, environment: Environment, provider: str, target: Target) -> None:
        self._stack, self._environment, self._provider, self._target = stack, environment, provider, target
        self._added = False

    def ref(self, output: str) -> str:
        """``${...}`` reading the monitoring module's output ``output``."""
        if not self._added:
            backend, config = remote_state(self._environment, monitoring_stack(self._provider, self._environment.name), self._target,
                                           workspace=_workspace(self._environment, monitoring_service(self._provider), "all"))
            self._stack.add_override("data.terraform_remote_state.monitoring", {"backend": backend, "config": config})
            self._added = True
        return f"${{data.terraform_remote_state.monitoring.outputs.monitoring.{output}}}"


def remote_state(environment: Environment, root: str, target: Target, workspace: str | None) -> tuple[str, dict[str, Any]]:
    """Where the root ``root`` keeps its state, as a ``terraform_remote_state`` backend and config
    (read from a sibling root's folder: the same places ``RootStack`` chooses)."""
    tfc = environment.terraform_cloud
    project = target.read_state_from
    if target.local:
        return "local", {"path": str(project / LOCAL_STACKS / root / "terraform.tfstate") if project else f"../{root}/terraform.tfstate"}
    if tfc is not None and workspace is not None:
        return "remote", {"organization": tfc.organization, "workspaces": {"name": workspace}}
    return "local", {"path": str(project / STATE_FOLDER / f"{root}.tfstate") if project else f"../../../{STATE_FOLDER}/{root}.tfstate"}


def acme_email(environment: Environment) -> str:
    """The ACME account e-mail of the environment's ClusterIssuer: acme_email, else alert_email."""
    email = environment.acme_email or environment.alert_email
    if email is None:
        raise ConfigError(
            f"environments/{environment.name}.yaml:acme_email",
            None,
            "an e-mail address for the ACME account of the platform's letsencrypt ClusterIssuer (or set alert_email)",
        )
    return email


class _Unread:
    """Monitoring outputs for checking a platform root's inputs without building it."""

    def ref(self, output: str) -> str:
        return f"${{monitoring.{output}}}"


def check_platform_inputs(env: Environment, provider_name: str, target: Target) -> None:
    """Refuse (ConfigError) an environment the provider's platform root cannot be built for, before
    anything is written; nothing to check without a platform or on the local target (no root)."""
    provider = providers.get(provider_name)
    if provider.platform is None or target.local:
        return
    acme_email(env)
    provider.platform_inputs(env, target, root_tags(env), _Unread())


def build_platform_root(app, env: Environment, provider_name: str, target: Target) -> RootStack:
    """The root that applies ``modules_out/<provider>/platform`` to the environment's cluster.

    ``enable_crds`` is a variable of the root (default true): the first apply on a new cluster
    passes false (the ClusterIssuer's CRD comes with cert-manager's chart in that same apply)."""
    provider = providers.get(provider_name)
    assert provider.platform is not None, provider_name
    name = platform_stack(provider.name, env.name)
    stack = RootStack(app, name, environment=env, workspace=_workspace(env, platform_service(provider.name), "all"), target=target)
    variable = TerraformVariable(stack, "enable_crds", type="bool", default=True, description="Create the platform's custom resources (false on a cluster without their CRDs yet).")
    variable.override_logical_id("enable_crds")
    monitoring = MonitoringOutputs(stack, env, provider.name, target)
    inputs: dict[str, Any] = {
        "acme_email": acme_email(env),
        "enable_crds": "${var.enable_crds}",
        **provider.platform_root(stack, env, target, root_tags(env), monitoring),
    }
    ref = stack.module("platform", f"{provider.platform.folder}/{PLATFORM}", inputs)
    stack.output("platform", f"${{{ref}}}", "Everything the platform module outputs (StorageClasses, ClusterIssuer, charts).")
    return stack


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
    rows += [
        (platform_stack(provider, env.name), _workspace(env, platform_service(provider), "all"), platform_service(provider), "all")
        for provider in plan.platforms
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
    # A platform root reads its provider's monitoring outputs (terraform_remote_state): the monitoring
    # workspace shares its state with exactly that workspace, not the whole organization.
    for provider in plan.platforms:
        if provider not in plan.monitoring:
            continue
        monitoring, platform = (name(provider, env.name).replace("-", "_") for name in (monitoring_stack, platform_stack))
        stack.add_override(
            f"resource.tfe_workspace_settings.{monitoring}",
            {
                "workspace_id": f"${{tfe_workspace.{monitoring}.id}}",
                "global_remote_state": False,
                "remote_state_consumer_ids": [f"${{tfe_workspace.{platform}.id}}"],
            },
        )
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
