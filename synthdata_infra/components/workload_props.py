"""What the workload-layer components share: the module's inputs and the props every namespaced
object of a service has. Each component declares its own ``<Construct>Props`` with only what it
uses: Terraform expressions (module variables in modules_out, or references in a root) as
``str``, and what the profile fixes as numbers, booleans and mappings.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from synthdata_infra.components.expressions import merged_map


class WorkloadInputs(BaseModel):
    """The module's variables, e.g. ``${var.namespace}``; each names what it evaluates to.

    Inputs a data type does not use (the content filter ones without filtering, ...) are empty
    strings.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    service_name: str  # string
    namespace: str  # string
    create_namespace: str  # bool
    image: str  # string
    content_filter_image: str  # string (used only when the profile enables content filtering)
    content_filter_resources: str  # object({requests, limits}) of {cpu, memory} strings (content filtering only)
    replicas: str  # number
    cpu: str  # string: CPU request and limit of the generator container
    memory: str  # string: memory request and limit
    gpu_count: str  # number: GPUs per replica (used only when the profile has a GPU)
    storage_size: str  # string: size of the per-pod data volume
    cdn_enabled: str  # bool: the ConfigMap's storage.cdn_enabled (the cloud module's enable_cdn)
    model_cache_size: str  # string: size limit of the model cache (used only when the profile keeps one)
    preload_models: str  # list(string): models the generator loads at start (model cache only)
    preprocessing: str  # object({workers, batch_size}) (used only when the profile sets specific.preprocessing)
    postprocessing: str  # object({compression, quality, cdn_upload}) (specific.postprocessing only)
    min_replicas: str  # number
    max_replicas: str  # number
    storage_class_name: str  # string
    service_account_annotations: str  # map(string)
    node_selector: str  # map(string)
    labels: str  # map(string): every object's labels
    ingress_host: str  # string or null
    enable_ingress: str  # bool: the Ingress (used only when the profile has one)
    cluster_issuer: str  # string: cert-manager ClusterIssuer of the Ingress (used only with TLS)
    ingress_class_name: str  # string
    ingress_controller_namespace: str  # string
    monitoring_namespace: str  # string
    allow_gke_metadata_server: str  # bool
    scrape_kind: str  # string or null: ServiceMonitor, PodMonitoring, PodMonitor
    enable_external_secrets: str  # bool (used only when the profile names secrets)
    secret_store_provider: str  # any or null: spec.provider of the service's SecretStore (secrets only)
    cluster_secret_store: str  # string or null: an existing ClusterSecretStore (secrets only)
    secret_keys: str  # map(string): key of each secret in the store (secrets only)
    enable_keda: str  # bool
    prometheus_url: str  # string
    prometheus_aws_region: str  # string or null
    keda_authentication: str  # string or null


def selector_labels(data_type: str, service_name: str) -> dict[str, str]:
    """Labels that pick the generator's pods; never user-supplied, so selectors stay immutable."""
    return {
        "app.kubernetes.io/name": f"synthdata-{data_type.replace('_', '-')}",
        "app.kubernetes.io/instance": service_name,
    }


class WorkloadObjectProps(BaseModel):
    """What every namespaced object of a service takes."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str  # the service name (expression): objects are <name>[-suffix]
    namespace: str  # expression: the created namespace when there is one
    labels: str  # map(string) expression: the caller's labels
    selector_labels: dict[str, str]  # selector_labels(...)

    def suffixed(self, suffix: str) -> str:
        return f"{self.name}-{suffix}"

    @property
    def object_labels(self) -> Any:
        """The caller's labels plus the selector labels (which win)."""
        return merged_map(self.labels, self.selector_labels)
