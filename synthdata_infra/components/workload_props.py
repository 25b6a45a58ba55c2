"""Props shared by the workload-layer components.

A component takes the resolved profile (what differs between data types) and the Terraform
expressions a caller decides (module variables in modules_out, or references in a root).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from synthdata_infra.config.models import ServiceConfig


class WorkloadInputs(BaseModel):
    """Terraform expressions, e.g. ``${var.namespace}``; each names what it evaluates to."""

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
    model_cache_size: str  # string: size limit of the model cache (used only when the profile keeps one)
    min_replicas: str  # number
    max_replicas: str  # number
    storage_class_name: str  # string
    service_account_annotations: str  # map(string)
    node_selector: str  # map(string)
    labels: str  # map(string): every object's labels
    ingress_host: str  # string or null
    cluster_issuer: str  # string: cert-manager ClusterIssuer of the Ingress (used only with TLS)
    ingress_class_name: str  # string
    ingress_controller_namespace: str  # string
    monitoring_namespace: str  # string
    enable_keda: str  # bool
    prometheus_url: str  # string


class WorkloadProps(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    config: ServiceConfig
    inputs: WorkloadInputs

    @property
    def selector_labels(self) -> dict[str, str]:
        """Labels that pick the generator's pods; never user-supplied, so selectors stay immutable."""
        return {
            "app.kubernetes.io/name": f"synthdata-{self.config.data_type.replace('_', '-')}",
            "app.kubernetes.io/instance": self.inputs.service_name,
        }

    def name(self, suffix: str = "") -> str:
        return self.inputs.service_name + (f"-{suffix}" if suffix else "")

    @property
    def secret_names(self) -> list[str]:
        """Kubernetes Secrets the service reads: ``<service>-<secret>``, filled by the cloud layer's sync."""
        return [self.name(secret) for secret in self.config.security.secrets]

    def with_namespace(self, namespace: str) -> "WorkloadProps":
        """The same props, with objects placed in ``namespace`` (e.g. the created namespace)."""
        return self.model_copy(update={"inputs": self.inputs.model_copy(update={"namespace": namespace})})
