"""On premises: a Kubernetes cluster you run, reached through your kubeconfig. Services get the
workload module only (no node pool, bucket or keys to create) and a kube-prometheus-style
monitoring module."""

from __future__ import annotations

from typing import Any

from synthdata_infra.naming import ONPREM_PROMETHEUS_URL, PLATFORM_SECRET_STORE, service_secret
from synthdata_infra.providers.base import KUBERNETES, WORKLOAD, ModuleLayer, Provider, alert_receivers


class Onprem(Provider):
    name = "onprem"
    binding = KUBERNETES
    modules = (WORKLOAD,)
    monitoring = ModuleLayer("onprem", "kubernetes", "synthdata_infra.synth.onprem_monitoring_module:build")
    platform = ModuleLayer("onprem", "kubernetes", "synthdata_infra.synth.onprem_platform_module:build")
    # The monitoring module's PrometheusRules and ServiceMonitor need kube-prometheus-stack's CRDs and
    # the monitoring namespace, which the platform installs; it reads nothing of the monitoring root.
    platform_after_monitoring = False
    cost_catalog = "aws"  # no prices of its own: the unified dashboard shows the AWS figures
    prometheus_retention = "your Prometheus's own (its Prometheus resource's retention): the module does not create it"
    grafana = "dashboards as ConfigMaps for your Grafana's sidecar"
    # No scrape object per service: the monitoring module's one ServiceMonitor (synthdata-generators,
    # every namespace) scrapes every generator's metrics port; a second one would scrape each twice.
    per_service_refusals = {
        # No node pool is chosen on premises: a bandwidth only picks a cloud node type.
        "networking.bandwidth": "on premises no node type is chosen for a service (the nodes are your cluster's)",
    }
    scrape_kind = None

    def provider_block(self, stack, environment) -> None:
        from synthdata_infra.deploy.roots import kubernetes_provider

        cluster = self.cluster(environment)
        kubernetes_provider(stack, **({"config_path": cluster.kubeconfig_path, "config_context": cluster.context} if cluster else {}))

    def service_root(self, stack, plan, target, tags, inputs) -> None:
        self.provider_block(stack, plan.environment)
        return None

    def workload_inputs(self, stack, plan, cloud) -> dict[str, Any]:
        env = plan.environment
        cluster = self.cluster(env)
        inputs: dict[str, Any] = {
            "prometheus_url": cluster.prometheus_url if cluster else ONPREM_PROMETHEUS_URL,
            "keda_authentication": None,  # an in-cluster Prometheus: no credentials
        }
        secrets = plan.config.security.secrets
        if secrets:
            inputs.update(
                cluster_secret_store=cluster.secret_store if cluster else PLATFORM_SECRET_STORE,
                secret_keys={secret: service_secret(env.name, plan.name, secret) for secret in secrets},
            )
        return inputs

    def monitoring_providers(self, stack, environment, target, tags) -> None:
        self.provider_block(stack, environment)

    def platform_providers(self, stack, environment, target, tags) -> None:
        from synthdata_infra.deploy.roots import helm_provider

        self.provider_block(stack, environment)
        cluster = self.cluster(environment)
        helm_provider(stack, **({"config_path": cluster.kubeconfig_path, "config_context": cluster.context} if cluster else {}))

    def platform_inputs(self, environment, target, tags, monitoring_outputs) -> dict[str, Any]:
        from synthdata_infra.errors import ConfigError

        cluster = self.cluster(environment)
        if cluster is None or cluster.storage_provisioner is None:
            raise ConfigError(
                f"environments/{environment.name}.yaml:clusters.onprem.storage_provisioner",
                None,
                "the CSI provisioner of the cluster's block storage (e.g. rook-ceph.rbd.csi.ceph.com): the platform root creates "
                "the synthdata StorageClasses on it, and the catalog names no provisioner on premises",
            )
        return {"storage_provisioner": cluster.storage_provisioner, "storage_parameters": cluster.storage_parameters}

    def monitoring_inputs(self, environment, target, tags, settings) -> dict[str, Any]:
        receivers = alert_receivers(environment, settings)
        slack = receivers.slack
        return {
            "enable_dashboards": settings.grafana.enabled,
            "enable_alerts": settings.alerts.enabled,
            "alert_emails": receivers.emails,
            "slack_channel": {"channel": slack.channel, "secret_name": slack.secret} if slack else None,
        }
