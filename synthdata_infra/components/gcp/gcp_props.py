"""What the GCP cloud-layer components share: the module's inputs, where it runs, and the props
every component has (its name and project, and labels). Each component declares its own
``<Construct>Props`` with only what it uses."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from synthdata_infra.components.expressions import as_map

ENCRYPTER_DECRYPTER = "roles/cloudkms.cryptoKeyEncrypterDecrypter"


class GcpInputs(BaseModel):
    """The module's variables, as Terraform expressions; each comment names the type.

    Inputs a data type does not use (the GPU ones on CPU pools, the CDN ones without a CDN)
    are empty strings.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    retain_data_on_destroy: str  # bool
    service_name: str  # string
    environment: str  # string
    project_id: str  # string
    region: str  # string or null (null: the cluster's region)
    cluster_name: str  # string
    cluster_location: str  # string
    namespace: str  # string
    labels: str  # map(string)
    node_machine_type: str  # string
    node_accelerator_count: str  # number
    node_gpu_driver_version: str  # string
    node_locations: str  # list(string) or null
    node_min_size: str  # number
    gpu_model: str  # string: GPU model of the nodes (GPU profiles only; labels, GCP accelerator)
    node_desired_size: str  # number
    node_max_size: str  # number
    node_disk_size_gib: str  # number
    node_disk_type: str  # string
    force_destroy: str  # bool
    log_retention_days: str  # number
    enable_cdn: str  # bool: Cloud CDN in front of the bucket (with cdn_domain_name)
    cdn_domain_name: str  # string or null
    cdn_grant_fill_service_account: str  # bool
    kms_key_id: str  # string or null (null: the module creates a key ring and key)
    bucket_name: str  # string or null (null: the module creates the bucket)


class ProjectContext(BaseModel):
    """Expressions the module computes once: where it runs and what it attaches everywhere."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    project_number: str  # data source attribute, as a plain interpolation (usable inside expressions)
    region: str  # local: the region input, or the cluster's region
    labels: str  # local: map(string)
    short_name: str  # local: <= 21 characters, unique per service and environment

    def service_agent(self, domain: str) -> str:
        """IAM member of a Google service agent of the project (``service-<number>@<domain>``)."""
        return f"serviceAccount:service-{self.project_number}@{domain}"


class GcpResourceProps(BaseModel):
    """What every GCP component of a service takes."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str  # <service>-<environment> (expressions): unique per service and environment in a project
    project_id: str  # string expression: every resource is created in it

    def suffixed(self, suffix: str) -> str:
        """``<service>-<environment>-<suffix>``."""
        return f"{self.name}-{suffix}"


class LabelledProps(GcpResourceProps):
    """A component whose resources take labels."""

    labels: str  # map(string) expression: the caller's labels plus service, environment and data type

    @property
    def label_map(self) -> Any:
        """``labels`` where an attribute is typed as a mapping."""
        return as_map(self.labels)
