"""Amazon Web Services: EKS node groups, S3, KMS, IAM roles for service accounts, AMP and
Managed Grafana; the only provider the local AWS API (``--local``) stands in for."""

from __future__ import annotations

from typing import Any

from synthdata_infra.naming import PLATFORM_KEDA_AUTH, monitoring_workspace
from synthdata_infra.providers.base import Binding, ModuleLayer, Provider, alert_receivers, grafana_dashboards_root

# Services the local AWS API stands in for (what the AWS modules call).
LOCAL_AWS_SERVICES = ("amp", "backup", "cloudfront", "ec2", "eks", "grafana", "iam", "kms", "logs", "s3", "secretsmanager", "sns", "sts")


# The monitoring root's Grafana token (aws_grafana_workspace_service_account_token.<GRAFANA_TOKEN>): AWS lets
# one live up to 30 days (CreateWorkspaceServiceAccountToken secondsToLive); an hour covers the run that uses it.
GRAFANA_TOKEN = "grafana_dashboards"
GRAFANA_TOKEN_SECONDS = 3600


class Aws(Provider):
    name = "aws"
    binding = Binding("aws", "hashicorp/aws", ">= 5.100.0, < 7.0.0", 'provider "aws" {\n  region = "us-east-1"\n}')
    modules = (ModuleLayer("aws", "aws", "synthdata_infra.synth.aws_module:build"),)
    monitoring = ModuleLayer("aws", "aws", "synthdata_infra.synth.aws_monitoring_module:build")
    dashboards = ModuleLayer("aws", "grafana", "synthdata_infra.synth.grafana_module:build_aws")
    platform = ModuleLayer("aws", "aws", "synthdata_infra.synth.aws_platform_module:build")
    has_catalog = True
    cost_catalog = "aws"
    # enable_backup (AWS Backup plan of the bucket), enable_cdn (CloudFront in front of it)
    service_input_keys = ("storage.backup_enabled", "storage.cdn_enabled")
    prometheus_retention = "150 days, fixed by Amazon Managed Prometheus"
    grafana = "an Amazon Managed Grafana workspace"
    force_destroy_input = True
    local_target = True
    scrape_kind = "ServiceMonitor"  # read by the platform's Prometheus, which remote-writes to AMP

    def tag_problem(self, key: str, value: str) -> tuple[str, str] | None:
        # https://docs.aws.amazon.com/tag-editor/latest/userguide/tagging.html: keys of at most 128
        # characters (a label key may have 317), values of at most 256 (a label value has at most 63);
        # the reserved "aws:" prefix cannot be a label key (no ':').
        if len(key) > 128:
            return key, "an AWS tag key of at most 128 characters"
        return None

    def cloud_inputs(self, plan, target) -> dict[str, Any]:
        storage = plan.config.storage
        inputs: dict[str, Any] = {
            "node_instance_types": [plan.placement.instance_type],
            "enable_backup": storage.backup_enabled,
            "enable_cdn": storage.cdn_enabled,
        }
        if target.local:
            # The local AWS API has no AWS Backup selections, and a local run is torn down whole.
            inputs.update(force_destroy=True, secret_recovery_window_days=0, enable_backup=False, retain_data_on_destroy=False)
        return inputs

    def provider_block(self, stack, region: str, target, tags: dict[str, str]) -> None:
        from synthdata_infra.cdk import aws
        from synthdata_infra.deploy.roots import named

        options: dict[str, Any] = {"region": region, "default_tags": [aws.provider.AwsProviderDefaultTags(tags=tags)]}
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
        provider = named(aws.provider.AwsProvider(stack, "aws", **options), "aws")
        if target.local:
            provider.add_override("endpoints", [{service: target.local_endpoint for service in LOCAL_AWS_SERVICES}])
        stack.require(self.binding)

    def service_root(self, stack, plan, target, tags, inputs) -> str:
        from synthdata_infra.cdk import aws
        from synthdata_infra.deploy.roots import kubernetes_provider, named

        env = plan.environment
        cluster = self.cluster(env)
        self.provider_block(stack, env.regions.aws, target, tags)
        named(aws.data_aws_eks_cluster.DataAwsEksCluster(stack, "cluster", name=cluster.name), "cluster")
        named(
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
        if not target.local:  # no cluster answers on the local target
            named(aws.data_aws_eks_cluster_auth.DataAwsEksClusterAuth(stack, "cluster_auth", name=cluster.name), "cluster_auth")
            kubernetes_provider(
                stack,
                host="${data.aws_eks_cluster.cluster.endpoint}",
                cluster_ca_certificate="${base64decode(data.aws_eks_cluster.cluster.certificate_authority[0].data)}",
                token="${data.aws_eks_cluster_auth.cluster_auth.token}",
            )
        return cloud

    def workload_inputs(self, stack, plan, cloud) -> dict[str, Any]:
        from synthdata_infra.cdk import aws
        from synthdata_infra.deploy.roots import named

        region = plan.environment.regions.aws
        alias = monitoring_workspace(plan.environment.name)
        # The monitoring root (applied first) created the AMP workspace; an alias prefix also matches
        # longer aliases, so the one with exactly this alias is picked.
        named(aws.data_aws_prometheus_workspaces.DataAwsPrometheusWorkspaces(stack, "monitoring", alias_prefix=alias), "monitoring")
        found = "data.aws_prometheus_workspaces.monitoring"
        workspace_id = f'one([for index, alias in {found}.aliases : {found}.workspace_ids[index] if alias == "{alias}"])'
        inputs: dict[str, Any] = {
            # KEDA's prometheus scaler signs its queries to AMP (SigV4) for awsRegion.
            "prometheus_url": f"https://aps-workspaces.{region}.amazonaws.com/workspaces/${{{workspace_id}}}",
            "prometheus_aws_region": region,
            "keda_authentication": PLATFORM_KEDA_AUTH,
        }
        if plan.config.security.secrets:
            inputs.update(
                # External Secrets assumes the service account's IRSA role, which may read exactly the
                # service's secrets (the cloud module's workload identity policy).
                secret_store_provider={
                    "aws": {"service": "SecretsManager", "region": region, "auth": {"jwt": {"serviceAccountRef": {"name": plan.name}}}}
                },
                secret_keys=f"${{{cloud}.secret_arns}}",
            )
        return inputs

    def monitoring_root(self, stack, environment, target, tags, settings) -> dict[str, Any]:
        inputs = super().monitoring_root(stack, environment, target, tags, settings)
        if inputs["enable_grafana"]:
            from synthdata_infra.cdk import aws
            from synthdata_infra.deploy.roots import named

            # A short-lived token of the monitoring module's Editor service account, minted in the root (a module
            # output holding it would make the root's `monitoring` output sensitive). Its value is in the root's
            # state; modules_out/aws/grafana/README.md says how to run again once it has expired.
            named(
                aws.grafana_workspace_service_account_token.GrafanaWorkspaceServiceAccountToken(
                    stack,
                    GRAFANA_TOKEN,
                    name="synthdata-dashboards",
                    seconds_to_live=GRAFANA_TOKEN_SECONDS,
                    service_account_id="${module.monitoring.grafana_service_account_id}",
                    workspace_id="${module.monitoring.grafana_workspace_id}",
                ),
                GRAFANA_TOKEN,
            )
            grafana_dashboards_root(stack, self, auth=f"${{aws_grafana_workspace_service_account_token.{GRAFANA_TOKEN}.key}}")
        return inputs

    def platform_providers(self, stack, environment, target, tags) -> None:
        """aws, plus kubernetes and helm for the environment's EKS cluster (looked up by name; a
        short-lived token from the caller's AWS credentials), and its IAM OIDC provider for IRSA."""
        from synthdata_infra.cdk import aws
        from synthdata_infra.deploy.roots import helm_provider, kubernetes_provider, named

        cluster = self._platform_cluster(environment)
        self.provider_block(stack, environment.regions.aws, target, tags)
        named(aws.data_aws_eks_cluster.DataAwsEksCluster(stack, "cluster", name=cluster.name), "cluster")
        named(
            aws.data_aws_iam_openid_connect_provider.DataAwsIamOpenidConnectProvider(
                stack, "cluster_oidc", url="${data.aws_eks_cluster.cluster.identity[0].oidc[0].issuer}"
            ),
            "cluster_oidc",
        )
        if target.local:  # no cluster answers on the local target
            return
        named(aws.data_aws_eks_cluster_auth.DataAwsEksClusterAuth(stack, "cluster_auth", name=cluster.name), "cluster_auth")
        access = {
            "host": "${data.aws_eks_cluster.cluster.endpoint}",
            "cluster_ca_certificate": "${base64decode(data.aws_eks_cluster.cluster.certificate_authority[0].data)}",
            "token": "${data.aws_eks_cluster_auth.cluster_auth.token}",
        }
        kubernetes_provider(stack, **access)
        helm_provider(stack, **access)

    def platform_inputs(self, environment, target, tags, monitoring_outputs) -> dict[str, Any]:
        inputs: dict[str, Any] = {
            "environment": environment.name,
            "cluster_name": self._platform_cluster(environment).name,
            "oidc_provider_arn": "${data.aws_iam_openid_connect_provider.cluster_oidc.arn}",
            # The AMP workspace the cluster's Prometheus writes to and KEDA queries.
            "prometheus_workspace_id": monitoring_outputs.ref("workspace_id"),
            "tags": tags,
        }
        if target.local:
            # The local AWS API has no EKS add-on API, and a local run is torn down whole.
            inputs.update(enable_ebs_csi_addon=False, retain_data_on_destroy=False)
        return inputs

    def _platform_cluster(self, environment):
        from synthdata_infra.errors import ConfigError

        cluster = self.cluster(environment)
        if cluster is None:
            raise ConfigError(
                f"environments/{environment.name}.yaml:clusters.aws.name", None, "the EKS cluster the AWS platform is installed in"
            )
        return cluster

    def monitoring_providers(self, stack, environment, target, tags) -> None:
        self.provider_block(stack, environment.regions.aws, target, tags)

    def monitoring_inputs(self, environment, target, tags, settings) -> dict[str, Any]:
        receivers = alert_receivers(environment, settings)
        slack = receivers.slack
        inputs: dict[str, Any] = {
            "environment": environment.name,
            "tags": tags,
            "enable_grafana": settings.grafana.enabled,
            "enable_alert_manager": settings.alerts.enabled,
            "alert_email": receivers.email,
            "slack_channel": {"workspace_id": slack.workspace_id, "channel_id": slack.channel_id} if slack else None,
        }
        if target.local:  # the local AWS API has neither Managed Grafana, the AMP alert manager nor AWS Chatbot
            inputs.update(enable_grafana=False, enable_alert_manager=False, slack_channel=None)
        return inputs

    def local_cluster_root(self, app, env, target):
        """What a real account already has, made in the local AWS API: a VPC, two subnets, an EKS
        cluster and its OIDC provider (the service roots look them up by name)."""
        from synthdata_infra.cdk import aws
        from synthdata_infra.deploy.plan import local_cluster_stack
        from synthdata_infra.deploy.roots import RootStack, named, root_tags

        cluster = env.clusters.aws
        name = cluster.name if cluster else f"synthdata-{env.name}"
        stack = RootStack(app, local_cluster_stack(env.name), environment=env, workspace=None, target=target)
        self.provider_block(stack, env.regions.aws, target, root_tags(env))
        vpc = named(aws.vpc.Vpc(stack, "vpc", cidr_block="10.42.0.0/16"), "vpc")
        zones = [f"{env.regions.aws}a", f"{env.regions.aws}b"]
        subnets = [
            named(aws.subnet.Subnet(stack, f"subnet_{i}", vpc_id=vpc.id, cidr_block=f"10.42.{i * 16}.0/20", availability_zone=zone), f"subnet_{i}")
            for i, zone in enumerate(zones)
        ]
        role = named(
            aws.iam_role.IamRole(
                stack,
                "cluster_role",
                name=f"{name}-cluster",
                assume_role_policy='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"eks.amazonaws.com"},"Action":"sts:AssumeRole"}]}',
            ),
            "cluster_role",
        )
        eks = named(
            aws.eks_cluster.EksCluster(
                stack, "cluster", name=name, role_arn=role.arn, vpc_config=aws.eks_cluster.EksClusterVpcConfig(subnet_ids=[s.id for s in subnets])
            ),
            "cluster",
        )
        named(
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

