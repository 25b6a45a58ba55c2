"""Models of an environment file (``environments/<name>.yaml``)."""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import AfterValidator, Field, model_validator

from synthdata_infra import providers
from synthdata_infra.config.models import DataTypeName, Strict
from synthdata_infra.errors import ConfigError
from synthdata_infra.naming import (
    ENVIRONMENT_NAME_ALLOWED,
    RESERVED_PREFIXES,
    SERVICE_NAME_ALLOWED,
    valid_environment_name,
    valid_service_name,
)
from synthdata_infra.patterns import EMAIL_RULE, GCP_PROJECT_ID_RULE, pinned_image, pinned_tag

_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
WORKSPACE_PLACEHOLDERS = ("service", "environment", "data_type")


def _workspace_template(value: str) -> str:
    names = _PLACEHOLDER.findall(value)
    unknown = [name for name in names if name not in WORKSPACE_PLACEHOLDERS]
    if unknown or "service" not in names:
        raise ValueError(
            "expected a workspace name template using {service} and optionally "
            "{environment} and {data_type}, e.g. 'synthdata-{service}-{environment}'"
        )
    if not re.fullmatch(r"[A-Za-z0-9_{}-]+", value):
        raise ValueError("expected letters, digits, '-', '_' and {placeholders} only")
    return value


class Regions(Strict):
    aws: str = Field(pattern=r"^[a-z]{2}(-gov)?-[a-z]+-\d$")
    gcp: str = Field(pattern=r"^[a-z]+-[a-z]+\d$")
    azure: str = Field(pattern=r"^[a-z0-9]+$")


class TerraformCloud(Strict):
    organization: str = Field(pattern=r"^[A-Za-z0-9_-]+$")
    workspace_name: Annotated[str, AfterValidator(_workspace_template)]
    project: str | None = None

    def workspace_for(self, service: str, environment: str, data_type: str) -> str:
        return self.workspace_name.format(service=service, environment=environment, data_type=data_type)


def _pinned_image(value: str) -> str:
    if not pinned_image(value):
        raise ValueError("expected an image with an explicit tag or @sha256 digest (never latest)")
    return value


def _pinned_tag(value: str) -> str:
    if not pinned_tag(value):
        raise ValueError("expected an image tag such as 1.4.0 (never latest)")
    return value


PinnedImage = Annotated[str, AfterValidator(_pinned_image)]
PinnedTag = Annotated[str, AfterValidator(_pinned_tag)]

# Kubernetes label syntax: an optional DNS-subdomain prefix and '/', then a name of at most 63
# characters; values are empty or such a name. Keys the workload module sets itself (its selector
# and Pod Security labels) and Kubernetes' own prefixes are refused: the module would overwrite them.
_LABEL_NAME = r"([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)"
_LABEL_PREFIX = r"([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*)"
_LABEL_KEY = re.compile(rf"({_LABEL_PREFIX}/)?{_LABEL_NAME}")
RESERVED_LABEL_PREFIXES = ("kubernetes.io/", "k8s.io/", "pod-security.kubernetes.io/")
RESERVED_LABELS = ("app.kubernetes.io/name", "app.kubernetes.io/instance")


def _label_key(value: str) -> str:
    prefix = value.rpartition("/")[0]
    if not _LABEL_KEY.fullmatch(value) or len(prefix) > 253:
        raise ValueError(
            "expected a Kubernetes label key: an optional DNS subdomain prefix (lower-case, at most 253 characters) and '/', "
            "then at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit"
        )
    if value in RESERVED_LABELS or value.startswith(RESERVED_LABEL_PREFIXES):
        raise ValueError(
            f"a key the workload module does not set itself: not {', '.join(RESERVED_LABELS)}, "
            f"nor under {', '.join(RESERVED_LABEL_PREFIXES)}"
        )
    return value


def _label_value(value: str) -> str:
    if value and not re.fullmatch(_LABEL_NAME, value):
        raise ValueError(
            "expected a Kubernetes label value: empty, or at most 63 letters, digits, '-', '_' or '.', "
            "starting and ending with a letter or digit"
        )
    return value


LabelKey = Annotated[str, AfterValidator(_label_key)]
LabelValue = Annotated[str, AfterValidator(_label_value)]


def _service_name(value: str) -> str:
    if not valid_service_name(value):
        raise ValueError(f"expected {SERVICE_NAME_ALLOWED}")
    if value.startswith(RESERVED_PREFIXES):
        raise ValueError(f"names starting with {', '.join(RESERVED_PREFIXES)} are the environment's own stacks")
    return value


def _known_provider(value: str) -> str:
    if value not in providers.names():
        raise ValueError(f"expected one of {', '.join(providers.names())}")
    return value


class ServiceEntry(Strict):
    """A service deployed in the environment (recorded by ``synthdata-infra deploy``)."""

    name: Annotated[str, AfterValidator(_service_name)]
    data_type: DataTypeName
    provider: Annotated[str, AfterValidator(_known_provider)]
    replicas: int | None = Field(default=None, ge=1, description="replicas that always run (the autoscaler's floor)")
    image: PinnedImage | None = Field(default=None, description="generator image; default from the environment's images")
    version: PinnedTag | None = Field(default=None, description="tag of the environment's image for this service (not with image)")
    overrides: dict[str, Any] = Field(default_factory=dict, description="the seed's keys, merged over the environment")
    metadata: dict[LabelKey, LabelValue] = Field(
        default_factory=dict, description="labels on the service's Kubernetes objects, tags (GCP: labels) on its cloud resources"
    )

    @model_validator(mode="after")
    def _image_or_version(self) -> "ServiceEntry":
        if self.image is not None and self.version is not None:
            raise ConfigError("version", self.version, f"either version (a tag of the environment's image) or image ({self.image!r}), not both")
        return self

    def config_overrides(self) -> dict[str, Any]:
        """The override layer of this service: its overrides plus its replica count."""
        layer = dict(self.overrides)
        if self.replicas is not None:
            layer["replicas"] = self.replicas
        return layer


class AwsCluster(Strict):
    """An EKS cluster the environment's AWS services run on (looked up by name)."""

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$")
    subnet_ids: tuple[str, ...] | None = Field(default=None, description="node subnets; default: the cluster's")


class GcpCluster(Strict):
    name: str = Field(pattern=r"^[a-z]([-a-z0-9]{0,38}[a-z0-9])?$")
    project: str = Field(pattern=GCP_PROJECT_ID_RULE)
    location: str = Field(pattern=r"^[a-z]+-[a-z]+\d(-[a-z])?$")


class AzureCluster(Strict):
    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$")
    resource_group: str = Field(pattern=r"^[-\w._()]{1,90}$")


class OnpremCluster(Strict):
    kubeconfig_path: str = "~/.kube/config"
    context: str
    # The platform's StorageClasses run on the cluster's own CSI driver: the catalog names no provisioner on-prem.
    storage_provisioner: str | None = Field(
        default=None, pattern=r"^[a-z0-9]([-a-z0-9.]{0,61}[a-z0-9])?(/[a-z0-9]([-a-z0-9.]{0,61}[a-z0-9])?)?$",
        description="CSI provisioner behind the synthdata StorageClasses (e.g. rook-ceph.rbd.csi.ceph.com); the platform root needs it",
    )
    storage_parameters: dict[str, dict[str, str]] = Field(
        default_factory=dict, description="CSI parameters per synthdata StorageClass name (e.g. each tier's pool)"
    )


class Clusters(Strict):
    """Where each provider's services run: existing clusters, found by name."""

    aws: AwsCluster | None = None
    gcp: GcpCluster | None = None
    azure: AzureCluster | None = None
    onprem: OnpremCluster | None = None


class Images(Strict):
    """Default images of a service: ``<registry>/synthdata-<data type>:<tag>`` and the sidecar
    ``<registry>/synthdata-content-filter:<tag>``."""

    registry: str = Field(default="ghcr.io/synthdata", pattern=r"^[^\s:@]+(:\d+)?(/[^\s:@]+)*$")
    tag: Annotated[str, AfterValidator(_pinned_tag)] = "1.0.0"

    def for_type(self, data_type: str, tag: str | None = None) -> str:
        return f"{self.registry}/synthdata-{data_type.replace('_', '-')}:{tag or self.tag}"

    @property
    def content_filter(self) -> str:
        """The content-filtering sidecar of the media types."""
        return f"{self.registry}/synthdata-content-filter:{self.tag}"


def _environment_name(value: str) -> str:
    if not valid_environment_name(value):
        raise ValueError(f"expected {ENVIRONMENT_NAME_ALLOWED}")
    return value


class SlackReceiver(Strict):
    """Where the environment's alerts reach Slack. No secret value here: ``secret`` names the secret holding
    it in each provider's store (GCP Secret Manager: the Slack app's bot token; Azure Key Vault
    ``azure_key_vault_id``: an incoming-webhook URL; on premises a Kubernetes Secret in the monitoring namespace,
    key ``url``: an incoming-webhook URL). AWS Chatbot needs no secret: the workspace is authorised in its console."""

    channel: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]{0,79}$", description="Slack channel name, without '#'")
    workspace_id: str = Field(pattern=r"^T[A-Z0-9]{8,}$", description="Slack workspace (team) id, for AWS Chatbot")
    channel_id: str = Field(pattern=r"^[CG][A-Z0-9]{8,}$", description="Slack channel id, for AWS Chatbot")
    secret: str = Field(pattern=r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$", description="secret name in the provider's store")
    azure_key_vault_id: str | None = Field(
        default=None,
        pattern=r"^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\.KeyVault/vaults/[^/]+$",
        description="Key Vault holding `secret` (services on Azure)",
    )


class Environment(Strict):
    name: Annotated[str, AfterValidator(_environment_name)]
    description: str
    regions: Regions
    terraform_cloud: TerraformCloud | None
    clusters: Clusters = Clusters()
    images: Images = Images()
    acme_email: str | None = Field(
        default=None, pattern=EMAIL_RULE, description="ACME account e-mail of the platform's letsencrypt ClusterIssuer; default: alert_email"
    )
    alert_email: str | None = Field(default=None, pattern=EMAIL_RULE, description="receives alerts when monitoring.alerts.channels has email")
    alert_slack: SlackReceiver | None = Field(default=None, description="receives alerts when monitoring.alerts.channels has slack")
    config: dict[str, Any] = Field(default_factory=dict, description="layer merged over base and type")
    services: tuple[ServiceEntry, ...] = ()

    @model_validator(mode="after")
    def _unique_services(self) -> "Environment":
        seen: set[str] = set()
        for index, service in enumerate(self.services):
            if service.name in seen:
                raise ConfigError(f"services.{index}.name", service.name, "expected a name not used by another service")
            seen.add(service.name)
        return self

    def service(self, name: str) -> ServiceEntry | None:
        return next((entry for entry in self.services if entry.name == name), None)

    def image_for(self, entry: ServiceEntry) -> str:
        return entry.image or self.images.for_type(entry.data_type, entry.version)
