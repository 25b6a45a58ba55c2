"""Google Cloud: GKE node pools, Cloud Storage, Cloud KMS, Workload Identity and Managed
Service for Prometheus."""

from __future__ import annotations

import re
from typing import Any

from synthdata_infra.naming import PLATFORM_KEDA_AUTH
from synthdata_infra.providers.base import Binding, ModuleLayer, Provider, alert_receivers


def labels(tags: dict[str, str]) -> dict[str, str]:
    """GCP label keys take lower-case letters, digits, '_' and '-' only."""
    return {key.replace("synthdata:", "synthdata_").replace(":", "_"): value for key, value in tags.items()}


LABEL_KEY = re.compile(r"[a-z][a-z0-9_-]{0,62}")
LABEL_VALUE = re.compile(r"[a-z0-9_-]{0,63}")


class Gcp(Provider):
    name = "gcp"
    binding = Binding(
        "google", "hashicorp/google", ">= 6.50.0, < 8.0.0", 'provider "google" {\n  project = "my-project-1234"\n  region  = "us-central1"\n}'
    )
    modules = (ModuleLayer("gcp", "google", "synthdata_infra.synth.gcp_module:build"),)
    monitoring = ModuleLayer("gcp", "google", "synthdata_infra.synth.gcp_monitoring_module:build")
    platform = ModuleLayer("gcp", "google", "synthdata_infra.synth.gcp_platform_module:build")
    scrape_kind = "PodMonitoring"  # monitoring.googleapis.com/v1, read by GKE managed collection
    has_catalog = True
    cost_catalog = "gcp"
    prometheus_retention = "24 months, fixed by Google Cloud Managed Service for Prometheus"
    grafana = "none created (import the dashboards into your Grafana): nothing to switch"
    force_destroy_input = True
    scraper_namespace = "gmp-system"  # where GKE's managed collectors run
    per_service_refusals = {
        "storage.backup_enabled": "the GCP module keeps object versions and soft-deleted objects but has no backup to switch",
        "storage.cdn_enabled": (
            "Cloud CDN also needs cdn_domain_name (its certificate's domain), which deploy does not pass: "
            "call the module with enable_cdn and cdn_domain_name"
        ),
    }

    def tag_problem(self, key: str, value: str) -> tuple[str, str] | None:
        # https://cloud.google.com/resource-manager/docs/labels-overview#requirements
        if not LABEL_KEY.fullmatch(key):
            return key, "a GCP label key: a lower-case letter, then at most 62 lower-case letters, digits, '_' or '-'"
        if not LABEL_VALUE.fullmatch(value):
            return value, "a GCP label value: at most 63 lower-case letters, digits, '_' or '-'"
        return None

    def cloud_inputs(self, plan, target) -> dict[str, Any]:
        placement = plan.placement
        inputs: dict[str, Any] = {"node_machine_type": placement.instance_type, "region": plan.environment.regions.gcp}
        if placement.gpu:
            inputs["node_accelerator_count"] = placement.gpu.count
        return inputs

    def provider_block(self, stack, environment):
        """The google provider for the environment's GKE project; returns that cluster's settings."""
        from synthdata_infra.cdk import google
        from synthdata_infra.deploy.roots import named

        cluster = self.cluster(environment)
        named(google.provider.GoogleProvider(stack, "google", project=cluster.project, region=environment.regions.gcp), "google")
        stack.require(self.binding)
        return cluster

    def cluster_providers(self, stack, environment):
        """The google provider, the environment's cluster looked up, and the kubernetes provider
        connected to it; returns the cluster's settings and the connection (for the helm provider)."""
        from synthdata_infra.cdk import google
        from synthdata_infra.deploy.roots import kubernetes_provider, named

        cluster = self.provider_block(stack, environment)
        named(
            google.data_google_container_cluster.DataGoogleContainerCluster(
                stack, "cluster", name=cluster.name, location=cluster.location, project=cluster.project
            ),
            "cluster",
        )
        named(google.data_google_client_config.DataGoogleClientConfig(stack, "client"), "client")
        connection = {
            "host": "https://${data.google_container_cluster.cluster.endpoint}",
            "cluster_ca_certificate": "${base64decode(data.google_container_cluster.cluster.master_auth[0].cluster_ca_certificate)}",
            "token": "${data.google_client_config.client.access_token}",
        }
        kubernetes_provider(stack, **connection)
        return cluster, connection

    def service_root(self, stack, plan, target, tags, inputs) -> str:
        cluster, _ = self.cluster_providers(stack, plan.environment)
        inputs.update(project_id=cluster.project, cluster_name=cluster.name, cluster_location=cluster.location, labels=labels(tags))
        return stack.module("cloud", plan.cloud_folder, inputs)

    def platform_providers(self, stack, environment, target, tags) -> None:
        from synthdata_infra.deploy.roots import helm_provider

        _, connection = self.cluster_providers(stack, environment)
        helm_provider(stack, **connection)

    def platform_inputs(self, environment, target, tags, monitoring_outputs) -> dict[str, Any]:
        """The GKE platform module's inputs. Managed Service for Prometheus needs no workspace: KEDA
        queries the cluster's project, so nothing is read from the monitoring root."""
        from synthdata_infra.errors import ConfigError

        cluster = self.cluster(environment)
        if cluster.volume_kms_key is None:
            raise ConfigError(
                f"environments/{environment.name}.yaml:clusters.gcp.volume_kms_key",
                None,
                "the GKE platform encrypts every volume with a Cloud KMS key in the cluster's region: "
                "set its id (projects/<project>/locations/<region>/keyRings/<ring>/cryptoKeys/<key>)",
            )
        return {
            "project_id": cluster.project,
            "environment": environment.name,
            "cluster_name": cluster.name,
            "cluster_location": cluster.location,
            "kms_key_id": cluster.volume_kms_key,
        }

    def workload_inputs(self, stack, plan, cloud) -> dict[str, Any]:
        cluster = self.cluster(plan.environment)
        inputs: dict[str, Any] = {
            "prometheus_url": f"https://monitoring.googleapis.com/v1/projects/{cluster.project}/location/global/prometheus",
            "keda_authentication": PLATFORM_KEDA_AUTH,
            "allow_gke_metadata_server": True,  # Workload Identity's tokens come from the GKE metadata server
        }
        if plan.config.security.secrets:
            inputs.update(
                # External Secrets acts as the service account, whose Google service account may read
                # exactly the service's secrets (the cloud module's workload identity grants).
                secret_store_provider={
                    "gcpsm": {
                        "projectID": cluster.project,
                        "auth": {
                            "workloadIdentity": {
                                "clusterLocation": cluster.location,
                                "clusterName": cluster.name,
                                "clusterProjectID": cluster.project,
                                "serviceAccountRef": {"name": plan.name},
                            }
                        },
                    }
                },
                # secret_ids are projects/<project>/secrets/<secret id>: the store takes the secret id.
                secret_keys=f'${{{{for name, id in {cloud}.secret_ids : name => element(split("/", id), 3)}}}}',
            )
        return inputs

    def monitoring_providers(self, stack, environment, target, tags) -> None:
        self.provider_block(stack, environment)

    def monitoring_inputs(self, environment, target, tags, settings) -> dict[str, Any]:
        cluster = self.cluster(environment)
        receivers = alert_receivers(environment, settings)
        slack = receivers.slack
        return {
            "environment": environment.name,
            "project_id": cluster.project,
            "enabled": settings.alerts.enabled,
            "alert_emails": receivers.emails,
            "slack_channel": {"channel": slack.channel, "token_secret": slack.secret} if slack else None,
            "labels": labels(tags),
        }
