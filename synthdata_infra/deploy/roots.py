"""Root stacks: what `cdktf deploy <stack>` and `synthdata-infra deploy` apply.

A root configures the providers, looks the environment's cluster up by name, calls the
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

from synthdata_infra.cdk import (
    CloudBackend,
    Construct,
    LocalBackend,
    NamedCloudWorkspace,
    TerraformHclModule,
    TerraformOutput,
    TerraformStack,
    aws,
    azurerm,
    google,
    kubernetes,
)
from synthdata_infra.config import Environment
from synthdata_infra.deploy.plan import (
    MODULES_FOLDER,
    STATE_FOLDER,
    EnvironmentPlan,
    ServicePlan,
    Target,
    local_cluster_stack,
    monitoring_stack,
    workspaces_stack,
)
from synthdata_infra.synth.module_stack import PROVIDER_REQUIREMENTS, TERRAFORM_REQUIRED_VERSION

# Services the local AWS API stands in for (what the AWS modules call).
LOCAL_AWS_SERVICES = ("amp", "backup", "cloudfront", "ec2", "eks", "grafana", "iam", "kms", "logs", "s3", "secretsmanager", "sns", "sts")
TFE_REQUIREMENT = {"source": "hashicorp/tfe", "version": ">= 0.60.0, < 1.0.0"}
# Where a provider's managed Prometheus runs its scrapers (AKS's metrics add-on: ama-metrics).
SCRAPER_NAMESPACES = {"azure": "kube-system"}  # from the project root; roots sit three levels below it


class RootStack(TerraformStack):
    """A root: providers pinned to the modules' tested ranges, a backend, module calls."""

    def __init__(self, scope, name: str, *, environment: Environment, workspace: str | None, target: Target) -> None:
        super().__init__(scope, name)
        self.modules: list[str] = []  # modules_out folders the root calls
        self._outputs = Construct(self, "outputs")  # outputs share names with module calls
        self.add_override("terraform.required_version", TERRAFORM_REQUIRED_VERSION)
        tfc = environment.terraform_cloud
        if target.local:
            LocalBackend(self, path="terraform.tfstate")
        elif tfc is not None and workspace is not None:
            CloudBackend(
                self,
                organization=tfc.organization,
                workspaces=NamedCloudWorkspace(name=workspace, project=tfc.project),
            )
        else:
            LocalBackend(self, path=f"../../../{STATE_FOLDER}/{name}.tfstate")

    def require(self, *providers: str) -> None:
        """The bindings pin one exact provider version; a root takes the modules' tested range."""
        for name in providers:
            source, version = PROVIDER_REQUIREMENTS[name]
            self.add_override(f"terraform.required_providers.{name}", {"source": source, "version": version})

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


def _named(element, name: str):
    element.override_logical_id(name)
    return element


def _aws_provider(stack: RootStack, region: str, target: Target, tags: dict[str, str]) -> None:
    p = aws.provider
    options: dict[str, Any] = {"region": region, "default_tags": [p.AwsProviderDefaultTags(tags=tags)]}
    if target.local:
        options.update(
            access_key="local",
            secret_key="local",
            skip_credentials_validation=True,
            skip_requesting_account_id=True,
            skip_metadata_api_check="true",
            s3_use_path_style=True,
            max_retries=2,  # the local API answers some calls with errors the provider would retry for minutes
        )
    provider = _named(p.AwsProvider(stack, "aws", **options), "aws")
    if target.local:
        provider.add_override("endpoints", [{service: target.local_endpoint for service in LOCAL_AWS_SERVICES}])
    stack.require("aws")


def _tags(environment: Environment, **extra: str) -> dict[str, str]:
    return {"synthdata:environment": environment.name, "synthdata:managed-by": "synthdata-infra", **extra}


def _workspace(environment: Environment, service: str, data_type: str) -> str | None:
    tfc = environment.terraform_cloud
    return tfc.workspace_for(service, environment.name, data_type) if tfc else None


def build_service_root(app, plan: ServicePlan, target: Target) -> RootStack:
    env = plan.environment
    stack = RootStack(app, plan.stack, environment=env, workspace=_workspace(env, plan.name, plan.data_type), target=target)
    cloud: str | None = None
    kube = not target.local
    tags = _tags(env, **{"synthdata:service": plan.name, "synthdata:data-type": plan.data_type})
    inputs = plan.cloud_inputs(target) if plan.cloud_folder else {}
    if plan.provider == "aws":
        cluster = env.clusters.aws
        assert cluster is not None
        _aws_provider(stack, env.regions.aws, target, tags)
        _named(aws.data_aws_eks_cluster.DataAwsEksCluster(stack, "cluster", name=cluster.name), "cluster")
        _named(
            aws.data_aws_iam_openid_connect_provider.DataAwsIamOpenidConnectProvider(
                stack, "cluster_oidc", url="${data.aws_eks_cluster.cluster.identity[0].oidc[0].issuer}"
            ),
            "cluster_oidc",
        )
        inputs.update(
            cluster_name=cluster.name,
            subnet_ids=list(cluster.subnet_ids) if cluster.subnet_ids else "${data.aws_eks_cluster.cluster.vpc_config[0].subnet_ids}",
            oidc_provider_arn="${data.aws_iam_openid_connect_provider.cluster_oidc.arn}",
        )
        cloud = stack.module("cloud", plan.cloud_folder, inputs)
        if kube:
            _named(aws.data_aws_eks_cluster_auth.DataAwsEksClusterAuth(stack, "cluster_auth", name=cluster.name), "cluster_auth")
            _kubernetes_provider(
                stack,
                host="${data.aws_eks_cluster.cluster.endpoint}",
                cluster_ca_certificate="${base64decode(data.aws_eks_cluster.cluster.certificate_authority[0].data)}",
                token="${data.aws_eks_cluster_auth.cluster_auth.token}",
            )
    elif plan.provider == "gcp":
        cluster = _google_provider(stack, env)
        _named(
            google.data_google_container_cluster.DataGoogleContainerCluster(
                stack, "cluster", name=cluster.name, location=cluster.location, project=cluster.project
            ),
            "cluster",
        )
        _named(google.data_google_client_config.DataGoogleClientConfig(stack, "client"), "client")
        inputs.update(project_id=cluster.project, cluster_name=cluster.name, cluster_location=cluster.location, labels=_labels(tags))
        cloud = stack.module("cloud", plan.cloud_folder, inputs)
        _kubernetes_provider(
            stack,
            host="https://${data.google_container_cluster.cluster.endpoint}",
            cluster_ca_certificate="${base64decode(data.google_container_cluster.cluster.master_auth[0].cluster_ca_certificate)}",
            token="${data.google_client_config.client.access_token}",
        )
    elif plan.provider == "azure":
        cluster = env.clusters.azure
        assert cluster is not None
        _azurerm_provider(stack)
        _named(
            azurerm.data_azurerm_kubernetes_cluster.DataAzurermKubernetesCluster(
                stack, "cluster", name=cluster.name, resource_group_name=cluster.resource_group
            ),
            "cluster",
        )
        inputs.update(
            resource_group_name=cluster.resource_group,
            kubernetes_cluster_id="${data.azurerm_kubernetes_cluster.cluster.id}",
            oidc_issuer_url="${data.azurerm_kubernetes_cluster.cluster.oidc_issuer_url}",
            tags=tags,
        )
        cloud = stack.module("cloud", plan.cloud_folder, inputs)
        config = "data.azurerm_kubernetes_cluster.cluster.kube_config[0]"
        _kubernetes_provider(
            stack,
            host=f"${{{config}.host}}",
            cluster_ca_certificate=f"${{base64decode({config}.cluster_ca_certificate)}}",
            client_certificate=f"${{base64decode({config}.client_certificate)}}",
            client_key=f"${{base64decode({config}.client_key)}}",
        )
    else:
        _onprem_kubernetes_provider(stack, env)

    if cloud is not None:
        stack.output("cloud", f"${{{cloud}}}", "Everything the cloud module outputs (bucket, keys, node pool, identity).")
    if kube:
        workload = plan.workload_inputs()
        if cloud is not None:
            workload.update(
                node_selector=f"${{{cloud}.node_selector}}",
                service_account_annotations=f"${{{cloud}.service_account_annotations}}",
            )
        if plan.provider in SCRAPER_NAMESPACES:  # the managed Prometheus's collectors must reach the metrics port
            workload["monitoring_namespace"] = SCRAPER_NAMESPACES[plan.provider]
        ref = stack.module("workload", plan.workload_folder, workload)
        stack.output("endpoint", f"${{{ref}.endpoint}}", "URL of the service.")
        stack.output("workload", f"${{{ref}}}", "Everything the kubernetes module outputs.")
    return stack


def _labels(tags: dict[str, str]) -> dict[str, str]:
    """GCP label keys take lower-case letters, digits, '_' and '-' only."""
    return {key.replace("synthdata:", "synthdata_").replace(":", "_"): value for key, value in tags.items()}


def _kubernetes_provider(stack: RootStack, **options: Any) -> None:
    _named(kubernetes.provider.KubernetesProvider(stack, "kubernetes", **options), "kubernetes")
    stack.require("kubernetes")


def _onprem_kubernetes_provider(stack: RootStack, env: Environment) -> None:
    """On premises: a cluster you run, through your kubeconfig."""
    cluster = env.clusters.onprem
    _kubernetes_provider(stack, **({"config_path": cluster.kubeconfig_path, "config_context": cluster.context} if cluster else {}))


def _google_provider(stack: RootStack, env: Environment):
    """The google provider for the environment's GKE project; returns that cluster's settings."""
    cluster = env.clusters.gcp
    assert cluster is not None
    _named(google.provider.GoogleProvider(stack, "google", project=cluster.project, region=env.regions.gcp), "google")
    stack.require("google")
    return cluster


def _azurerm_provider(stack: RootStack) -> None:
    _named(azurerm.provider.AzurermProvider(stack, "azurerm", features=[azurerm.provider.AzurermProviderFeatures()]), "azurerm")
    stack.require("azurerm")


def build_monitoring_root(app, env: Environment, provider: str, data_types: tuple[str, ...], target: Target) -> RootStack:
    name = monitoring_stack(provider, env.name)
    stack = RootStack(app, name, environment=env, workspace=_workspace(env, f"monitoring-{provider}", "all"), target=target)
    inputs: dict[str, Any] = {"data_types": list(data_types)}
    emails = [env.alert_email] if env.alert_email else []
    tags = _tags(env)
    if provider == "aws":
        _aws_provider(stack, env.regions.aws, target, tags)
        inputs.update(environment=env.name, tags=tags, alert_email=env.alert_email)
        if target.local:  # the local AWS API has neither Managed Grafana nor the AMP alert manager
            inputs.update(enable_grafana=False, enable_alert_manager=False)
    elif provider == "gcp":
        cluster = _google_provider(stack, env)
        inputs.update(environment=env.name, project_id=cluster.project, alert_emails=emails, labels=_labels(tags))
    elif provider == "azure":
        cluster = env.clusters.azure
        assert cluster is not None
        _azurerm_provider(stack)
        inputs.update(
            environment=env.name,
            location=env.regions.azure,
            resource_group_name=cluster.resource_group,
            cluster_name=cluster.name,
            alert_emails=emails,
            tags=tags,
        )
    else:
        _onprem_kubernetes_provider(stack, env)
    ref = stack.module("monitoring", f"{provider}/monitoring", inputs)
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
    rows += [(monitoring_stack(provider, env.name), _workspace(env, f"monitoring-{provider}", "all"), f"monitoring-{provider}", "all") for provider in plan.monitoring]
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


def build_local_cluster_root(app, env: Environment, target: Target) -> RootStack:
    """What a real account already has, made in the local AWS API: a VPC, two subnets, an EKS
    cluster and its OIDC provider (the service roots look them up by name)."""
    cluster = env.clusters.aws
    name = cluster.name if cluster else f"synthdata-{env.name}"
    stack = RootStack(app, local_cluster_stack(env.name), environment=env, workspace=None, target=target)
    _aws_provider(stack, env.regions.aws, target, _tags(env))
    vpc = _named(aws.vpc.Vpc(stack, "vpc", cidr_block="10.42.0.0/16"), "vpc")
    zones = [f"{env.regions.aws}a", f"{env.regions.aws}b"]
    subnets = [
        _named(aws.subnet.Subnet(stack, f"subnet_{i}", vpc_id=vpc.id, cidr_block=f"10.42.{i * 16}.0/20", availability_zone=zone), f"subnet_{i}")
        for i, zone in enumerate(zones)
    ]
    role = _named(
        aws.iam_role.IamRole(
            stack,
            "cluster_role",
            name=f"{name}-cluster",
            assume_role_policy='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"eks.amazonaws.com"},"Action":"sts:AssumeRole"}]}',
        ),
        "cluster_role",
    )
    eks = _named(
        aws.eks_cluster.EksCluster(
            stack, "cluster", name=name, role_arn=role.arn, vpc_config=aws.eks_cluster.EksClusterVpcConfig(subnet_ids=[s.id for s in subnets])
        ),
        "cluster",
    )
    _named(
        aws.iam_openid_connect_provider.IamOpenidConnectProvider(
            stack,
            "cluster_oidc",
            url="${aws_eks_cluster.cluster.identity[0].oidc[0].issuer}",
            client_id_list=["sts.amazonaws.com"],
            thumbprint_list=["9e99a48a9960b14926bb7f3b02e22da2b0ab7280"],
        ),
        "cluster_oidc",
    )
    stack.output("cluster_name", eks.name, "Name of the local EKS cluster.")
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
