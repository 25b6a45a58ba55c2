"""The GCP cloud layer of one data type: ``modules_out/gcp/<type>/``.

Everything around the workload in an existing GKE cluster: a node pool sized by the catalog,
the data bucket, its Cloud KMS key, the service's secrets, a Workload Identity service account,
the audit log bucket and (where the profile enables it) Cloud CDN. Its outputs are the workload
module's inputs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from synthdata_infra.catalog import Placement, storage_class_for
from synthdata_infra.cdk import Construct, TerraformLocal, google
from synthdata_infra.components.data_retention import RETAINED_DESCRIPTION, DataRetentionGuard, DataRetentionGuardProps, resources_of, retention_input
from synthdata_infra.components.expressions import inner, named, stable_id
from synthdata_infra.components.gcp.audit_log_bucket import AuditLogBucket, AuditLogBucketProps
from synthdata_infra.components.gcp.bucket_cdn import BucketCdn, BucketCdnProps
from synthdata_infra.components.gcp.data_bucket import DataBucket, DataBucketProps
from synthdata_infra.components.gcp.encryption_key import EncryptionKey, EncryptionKeyProps
from synthdata_infra.components.gcp.gcp_props import GcpInputs, ProjectContext
from synthdata_infra.components.gcp.gke_node_pool import GkeAcceleratorProps, GkeNodePool, GkeNodePoolProps, boot_disk_type, local_ssd_count
from synthdata_infra.components.gcp.service_secrets import ServiceSecrets, ServiceSecretsProps
from synthdata_infra.components.gcp.workload_identity import WorkloadIdentity, WorkloadIdentityProps
from synthdata_infra.components.resource_tags import resource_tags
from synthdata_infra.config.models import ServiceConfig
from synthdata_infra.planning import node_pool_sizes, placement_for
from synthdata_infra.patterns import GCP_PROJECT_ID_RULE, hcl_regex
from synthdata_infra.synth.examples import gcp_example
from synthdata_infra.synth.module_stack import ModuleDoc, ModuleStack
from synthdata_infra.synth.shared_inputs import NODE_DISK_MAX_GIB, NODE_DISK_MIN_GIB, NODE_POOL_MAX, cloud_service_name_input, environment_input, gpu_model_input, node_disk_gib

# Bucket names are global and at most 63 characters: <service 38>-<environment 10>-<project number 12>.
# A Compute Engine region at the start of a location: "us-central1" of "us-central1-a".
REGION_OF_LOCATION = "^[a-z]+-[a-z]+[0-9]+"
# A Cloud KMS key (not a key version); key ring and key names are 1-63 letters, digits, '-' and '_'.
KMS_KEY_ID_RULE = "^projects/[^/]+/locations/[^/]+/keyRings/[-_a-zA-Z0-9]{1,63}/cryptoKeys/[-_a-zA-Z0-9]{1,63}$"
# Cloud Storage bucket names (dotted names may be longer than 63 characters).
BUCKET_NAME_RULE = "^[a-z0-9][-_.a-z0-9]{1,220}[a-z0-9]$"
GPU_DRIVER_VERSIONS = ("DEFAULT", "LATEST", "INSTALLATION_DISABLED")
LOG_RETENTION_RANGE = (1, 3650)  # what a Cloud Logging bucket accepts
# Boot disk types GKE node pools take (Hyperdisk Balanced on machine series that support it).
NODE_DISK_TYPES = ("pd-standard", "pd-balanced", "pd-ssd", "hyperdisk-balanced")
SHORT_NAME_PREFIX = 14  # service account ids are at most 30 characters: <14>-<6 hex>-workload

TESTING_NOTE = (
    "Tested here by assertions on the synthesized JSON and by checkov: the `hashicorp/google` "
    "provider is not on this project's offline provider mirror, so this module is not "
    "`terraform validate`d or applied by the test suite."
)


# What holds or protects the service's data: kept on destroy while retain_data_on_destroy is true.
GCP_DATA_TYPES = (
    "google_storage_bucket",
    "google_kms_key_ring",
    "google_kms_crypto_key",
    "google_secret_manager_secret",
    "google_logging_project_bucket_config",
)


def build(scope: Construct, stack_id: str, config: ServiceConfig) -> ModuleStack:
    kind = config.data_type
    placement = placement_for(config, "gcp")
    cdn = config.storage.cdn_enabled
    stack = ModuleStack(
        scope,
        stack_id,
        providers=("google",),
        doc=ModuleDoc(
            label=f"{kind}_gcp",
            title=f"synthdata {kind} cloud layer (GCP)",
            summary=_summary(kind, placement, cdn),
            source=f"../../modules_out/gcp/{kind}",
        ),
    )
    inputs = _inputs(stack, config, placement)
    _outputs(stack, config, inputs, _wiring(stack, config, placement, inputs))
    stack.doc.extra_files["examples/complete/main.tf"] = gcp_example(config)
    stack.check_logical_ids()
    return stack


def _inputs(stack: ModuleStack, config: ServiceConfig, placement: Placement) -> GcpInputs:
    """The module's variables, with the profile's and the catalog's defaults."""
    cdn = config.storage.cdn_enabled
    gpu = placement.gpu
    v = stack.variable
    retain = retention_input(stack)
    per_node = placement.replicas_per_node
    sizes = node_pool_sizes(config, per_node)
    disk_gib = node_disk_gib(config)
    retention = config.data_policies.audit_logging.retention_days
    return GcpInputs(
        retain_data_on_destroy=retain,
        service_name=cloud_service_name_input(stack),
        environment=environment_input(stack),
        project_id=v(
            "project_id",
            type="string",
            description="Project of the cluster; every resource of the module is created in it.",
            example='"synthdata-prod"',
            validation=[
                {
                    "condition": f'${{can(regex({hcl_regex(GCP_PROJECT_ID_RULE)}, var.project_id))}}',
                    "error_message": "project_id must be a Google Cloud project id (6-30 lower-case letters, digits and '-').",
                }
            ],
        ),
        region=v(
            "region",
            type="string",
            description=(
                "Region of the bucket, key, secrets and audit log bucket; null uses the cluster's region. "
                "The node disks use the key, so a region set here must be the cluster's."
            ),
            default=None,
        ),
        cluster_name=v("cluster_name", type="string", description="Name of the existing GKE cluster.", example='"platform"'),
        cluster_location=v(
            "cluster_location",
            type="string",
            description="Region (regional cluster) or zone (zonal cluster) of the existing GKE cluster.",
            example='"us-central1"',
        ),
        namespace=v(
            "namespace",
            type="string",
            description="Namespace of the Kubernetes service account (as in the kubernetes module).",
            default=config.deployment.namespace,
        ),
        labels=v("labels", type="map(string)", description="Labels added to every resource that takes labels.", default={}),
        node_machine_type=v(
            "node_machine_type",
            type="string",
            description=f"Machine type of the nodes; the catalog's cheapest fit is `{placement.instance_type}`.",
            default=placement.instance_type,
        ),
        node_accelerator_count=(
            v(
                "node_accelerator_count",
                type="number",
                description=(
                    f"`{gpu.model}` GPUs attached to each node ({config.gpu.count} per replica); must be a count "
                    "Compute Engine allows with node_machine_type."
                ),
                default=gpu.count,
                minimum=1,
                maximum=16,
            )
            if gpu
            else ""
        ),
        node_gpu_driver_version=(
            v(
                "node_gpu_driver_version",
                type="string",
                description="NVIDIA driver GKE installs: DEFAULT (the GKE version's default), LATEST, or INSTALLATION_DISABLED.",
                default="DEFAULT",
                validation=[
                    {
                        "condition": f"${{contains({_hcl_list(GPU_DRIVER_VERSIONS)}, var.node_gpu_driver_version)}}",
                        "error_message": f"node_gpu_driver_version must be one of {', '.join(GPU_DRIVER_VERSIONS)}.",
                    }
                ],
            )
            if gpu
            else ""
        ),
        node_locations=v(
            "node_locations",
            type="list(string)",
            description="Zones of the nodes; null uses the cluster's. The initial node count applies to each zone.",
            default=None,
        ),
        gpu_model=gpu_model_input(stack, config),
        node_min_size=v(
            "node_min_size",
            type="number",
            description=f"Fewest nodes across all zones ({per_node} replica(s) per node).",
            default=sizes["node_min_size"],
            minimum=0, maximum=NODE_POOL_MAX,
        ),
        node_desired_size=v(
            "node_desired_size",
            type="number",
            description="Nodes per zone at creation; the cluster autoscaler owns the count afterwards.",
            default=sizes["node_desired_size"],
            minimum=0, maximum=NODE_POOL_MAX,
        ),
        node_max_size=v(
            "node_max_size",
            type="number",
            description="Most nodes across all zones, for the profile's max_replicas.",
            default=sizes["node_max_size"],
            minimum=1, maximum=NODE_POOL_MAX,
        ),
        node_disk_size_gib=v(
            "node_disk_size_gib",
            type="number",
            description="Boot disk of each node: images, logs and the model cache.",
            default=disk_gib,
            minimum=NODE_DISK_MIN_GIB, maximum=NODE_DISK_MAX_GIB,
        ),
        node_disk_type=v(
            "node_disk_type",
            type="string",
            description=(
                f"Boot disk type; the default is the fastest persistent disk the catalog's machines boot from for "
                f"the profile's `{config.resources.storage_type}` tier."
            ),
            default=boot_disk_type(config.resources.storage_type),
            validation=[
                {
                    "condition": f"${{contains({_hcl_list(NODE_DISK_TYPES)}, var.node_disk_type)}}",
                    "error_message": f"node_disk_type must be one of {', '.join(NODE_DISK_TYPES)}.",
                }
            ],
        ),
        force_destroy=v(
            "force_destroy",
            type="bool",
            description="Let `terraform destroy` delete the created bucket while it still holds objects (a given bucket_name is never deleted).",
            default=False,
        ),
        log_retention_days=v(
            "log_retention_days",
            type="number",
            description=f"Days the audit log bucket keeps entries; the profile asks for {retention}.",
            default=retention,
            validation=[
                {
                    "condition": (
                        f"${{var.log_retention_days >= {LOG_RETENTION_RANGE[0]} && "
                        f"var.log_retention_days <= {LOG_RETENTION_RANGE[1]} && floor(var.log_retention_days) == var.log_retention_days}}"
                    ),
                    "error_message": f"log_retention_days must be a whole number from {LOG_RETENTION_RANGE[0]} to {LOG_RETENTION_RANGE[1]}.",
                }
            ],
        ),
        enable_cdn=v(
            "enable_cdn",
            type="bool",
            description="Serve the bucket through Cloud CDN (needs cdn_domain_name).",
            default=cdn,
        ),
        cdn_domain_name=v(
            "cdn_domain_name",
            type="string",
            description="Domain of the CDN (Google-managed certificate); null creates no CDN. Point its DNS at cdn_ip_address.",
            default=None,
        ),
        cdn_grant_fill_service_account=v(
            "cdn_grant_fill_service_account",
            type="bool",
            description=(
                "Let Cloud CDN's cache-fill service agent read the bucket. The agent exists once a signed URL key "
                "was added to a backend of the project (`gcloud compute backend-buckets add-signed-url-key`)."
            ),
            default=False,
        ),
        kms_key_id=v(
            "kms_key_id",
            type="string",
            description=(
                "Existing Cloud KMS key (`projects/<project>/locations/<region>/keyRings/<ring>/cryptoKeys/<key>`) for the "
                "bucket, secrets, audit log bucket and node disks; null creates a key ring and key. It must be in the "
                "module's region. The module adds encrypt/decrypt grants on it for the Cloud Storage, Secret Manager, "
                "Cloud Logging and Compute Engine service agents and the workload, so whoever runs Terraform needs to "
                "set IAM on the key (e.g. `roles/cloudkms.admin` on it); its rotation and destruction stay with its owner."
            ),
            default=None,
            nullable=True,
            validation=[
                {
                    "condition": f'${{var.kms_key_id == null ? true : can(regex("{KMS_KEY_ID_RULE}", var.kms_key_id))}}',
                    "error_message": (
                        "kms_key_id must be a Cloud KMS key id: projects/<project>/locations/<region>/keyRings/<ring>/cryptoKeys/<key> "
                        "(no /cryptoKeyVersions/ suffix)."
                    ),
                }
            ],
        ),
        bucket_name=v(
            "bucket_name",
            type="string",
            description=(
                "Existing GCS bucket for generated data (its name, not a gs:// URL); null creates one. The module then "
                "creates no bucket: the workload, the CDN backend and the audit log filter use the given one, its settings (encryption, versioning, lifecycle, public "
                "access prevention) stay with its owner, and destroying the module leaves it alone. Whoever runs "
                "Terraform needs to set IAM on it (e.g. `roles/storage.admin` on the bucket)."
            ),
            default=None,
            nullable=True,
            validation=[
                {
                    "condition": f'${{var.bucket_name == null ? true : can(regex("{BUCKET_NAME_RULE}", var.bucket_name))}}',
                    "error_message": (
                        "bucket_name must be a Cloud Storage bucket name (3-222 lower-case letters, digits, '-', '_' and '.', "
                        "starting and ending with a letter or digit), not a gs:// URL."
                    ),
                }
            ],
        ),
    )


@dataclass(frozen=True)
class _Resources:
    """What the outputs read."""

    bucket: DataBucket
    key_id: str
    secrets: dict[str, Any]
    identity: Any
    audit: Any
    nodes: GkeNodePool
    cdn_ip_address: str
    retention: DataRetentionGuard


def _wiring(stack: ModuleStack, config: ServiceConfig, placement: Placement, inputs: GcpInputs) -> _Resources:
    """The components, each given only what it uses. Construct ids are the Terraform names."""
    kind = config.data_type
    project_data = named(google.data_google_project.DataGoogleProject(stack, "project", project_id=inputs.project_id))
    project = ProjectContext(
        # A plain interpolation rather than the binding's token: bucket names and filters use it inside expressions.
        project_number=f"${{data.google_project.{stable_id(project_data)}.number}}",
        region=_local(stack, "region", f'${{coalesce({inner(inputs.region)}, regex("{REGION_OF_LOCATION}", {inner(inputs.cluster_location)}))}}'),
        labels=_local(
            stack,
            "labels",
            resource_tags(inputs.labels, service_name=inputs.service_name, environment=inputs.environment, data_type=kind, separator="-"),
        ),
        # A readable prefix plus a hash of the full name: service account ids allow 30 characters.
        short_name=_local(
            stack,
            "short_name",
            f'${{format("%s-%s", substr(format("%s-%s", {inner(inputs.service_name)}, {inner(inputs.environment)}), 0, {SHORT_NAME_PREFIX}), '
            f'substr(sha1(format("%s-%s", {inner(inputs.service_name)}, {inner(inputs.environment)})), 0, 6))}}',
        ),
    )
    named_in_project = {"name": f"{inputs.service_name}-{inputs.environment}", "project_id": inputs.project_id}
    labelled = {**named_in_project, "labels": project.labels}

    storage_agent = named(
        google.data_google_storage_project_service_account.DataGoogleStorageProjectServiceAccount(
            stack, "storage_agent", project=inputs.project_id
        )
    )
    logging_settings = named(
        google.data_google_logging_project_cmek_settings.DataGoogleLoggingProjectCmekSettings(
            stack, "logging_settings", project=inputs.project_id
        )
    )
    encryption = EncryptionKey(
        stack,
        "encryption",
        EncryptionKeyProps(
            **labelled,
            region=project.region,
            given_key_id=inputs.kms_key_id,
            service_agents={
                "storage_agent": f"serviceAccount:{storage_agent.email_address}",
                "logging_agent": f"serviceAccount:{logging_settings.service_account_id}",
                "secret_manager_agent": project.service_agent("gcp-sa-secretmanager.iam.gserviceaccount.com"),
                "compute_agent": project.service_agent("compute-system.iam.gserviceaccount.com"),
            },
        ),
    )
    key_id, grants = encryption.id, encryption.grants
    bucket = DataBucket(
        stack,
        "data",
        DataBucketProps(
            **labelled,
            region=project.region,
            project_number=project.project_number,
            given_bucket_name=inputs.bucket_name,
            kms_key_id=key_id,
            key_grant=grants["storage_agent"],
            force_destroy=inputs.force_destroy,
            cdn_enabled=config.storage.cdn_enabled,
        ),
    )
    secrets = ServiceSecrets(
        stack,
        "secrets",
        ServiceSecretsProps(
            **labelled, secrets=config.security.secrets, region=project.region, kms_key_id=key_id, key_grant=grants["secret_manager_agent"]
        ),
    ).secrets
    identity = WorkloadIdentity(
        stack,
        "identity",
        WorkloadIdentityProps(
            **named_in_project,
            short_name=project.short_name,
            data_type=kind,
            namespace=inputs.namespace,
            service_account_name=inputs.service_name,
            bucket_name=bucket.name,
            kms_key_id=key_id,
            secret_ids={name: secret.secret_id for name, secret in secrets.items()},
        ),
    ).service_account
    audit = AuditLogBucket(
        stack,
        "audit",
        AuditLogBucketProps(
            **named_in_project,
            region=project.region,
            data_type=kind,
            retention_days=inputs.log_retention_days,
            kms_key_id=key_id,
            key_grant=grants["logging_agent"],
            cluster_name=inputs.cluster_name,
            namespace=inputs.namespace,
            service_name=inputs.service_name,
            workload_email=identity.email,
            bucket_name_without_reference=bucket.name_without_reference,
        ),
    ).log_bucket
    nodes = GkeNodePool(
        stack,
        "nodes",
        GkeNodePoolProps(
            **labelled,
            short_name=project.short_name,
            service_name=inputs.service_name,
            environment=inputs.environment,
            gpu_model=inputs.gpu_model if config.gpu else None,
            accelerator=(
                GkeAcceleratorProps(model=inputs.gpu_model, count=inputs.node_accelerator_count, driver_version=inputs.node_gpu_driver_version)
                if placement.gpu
                else None
            ),
            cluster_name=inputs.cluster_name,
            cluster_location=inputs.cluster_location,
            node_locations=inputs.node_locations,
            machine_type=inputs.node_machine_type,
            min_size=inputs.node_min_size,
            desired_size=inputs.node_desired_size,
            max_size=inputs.node_max_size,
            disk_type=inputs.node_disk_type,
            disk_size_gib=inputs.node_disk_size_gib,
            local_ssd_count=local_ssd_count(config.storage.storage_class, placement.local_nvme_gib),
            kms_key_id=key_id,
            key_grant=grants["compute_agent"],
            key_precondition=encryption.location_precondition,
        ),
    )
    cdn_ip_address = BucketCdn(
        stack,
        "cdn",
        BucketCdnProps(
            **labelled,
            enabled=inputs.enable_cdn,
            bucket_name=bucket.name,
            domain_name=inputs.cdn_domain_name,
            grant_fill_service_account=inputs.cdn_grant_fill_service_account,
            fill_service_agent=project.service_agent("cloud-cdn-fill.iam.gserviceaccount.com"),
        ),
    ).ip_address
    retention = DataRetentionGuard(
        stack,
        "retention",
        DataRetentionGuardProps(
            retain=inputs.retain_data_on_destroy,
            protected=tuple(resources_of(stack, types=GCP_DATA_TYPES)),
            what="the data bucket, its key ring and key (those the module created), the audit log bucket and the secrets",
        ),
    )
    return _Resources(bucket, key_id, secrets, identity, audit, nodes, cdn_ip_address, retention)


def _outputs(stack: ModuleStack, config: ServiceConfig, inputs: GcpInputs, made: _Resources) -> None:
    """The module's outputs: the workload module's inputs, and what an operator looks up."""
    cdn = config.storage.cdn_enabled
    out = stack.output
    out("bucket_name", made.bucket.name, "Bucket for generated data (given or created).")
    out("bucket_url", f"gs://{made.bucket.name}", "gs:// URL of the bucket.")
    out("kms_key_id", made.key_id, "Cloud KMS key of the bucket, secrets, audit logs and node disks (given or created).")
    out("service_account_email", made.identity.email, "Google service account of the workload (Workload Identity).")
    out(
        "service_account_annotations",
        {"iam.gke.io/gcp-service-account": made.identity.email},
        "Pass to the kubernetes module's service_account_annotations.",
    )
    out("secret_ids", {name: secret.id for name, secret in made.secrets.items()}, "Secret Manager id of each secret, by name.")
    out("node_selector", made.nodes.labels, "Kubernetes labels of the node pool; pass to the kubernetes module's node_selector.")
    out(
        "storage_class_name",
        storage_class_for("gcp", config.storage.storage_class).storage_class_name,
        f"StorageClass for the profile's `{config.storage.storage_class}` volumes (PD CSI); pass to the kubernetes module.",
    )
    out("node_pool_name", made.nodes.node_pool.name, "Name of the GKE node pool.")
    out("audit_log_bucket_id", made.audit.id, "Cloud Logging bucket holding the audit trail.")
    out(
        "cdn_domain_name",
        f"${{{inner(inputs.enable_cdn)} ? {inner(inputs.cdn_domain_name)} : null}}",
        "Domain of the CDN; null when there is no CDN.",
    )
    out(
        "cdn_ip_address",
        made.cdn_ip_address,
        "Address the CDN domain's DNS record points at; null when there is no CDN.",
    )
    out("retained_addresses", made.retention.addresses, RETAINED_DESCRIPTION)


def _summary(kind: str, placement: Placement, cdn: bool) -> str:
    gpu = placement.gpu
    parts = [
        f"a node pool sized by the catalog (default {placement.nodes} x `{placement.instance_type}`"
        + (f" with {gpu.count} x `{gpu.model}`" if gpu else "")
        + f" for {placement.replicas} replicas) running as a dedicated least-privilege service account",
        "a GCS bucket for generated data encrypted with a Cloud KMS key (or your own: `bucket_name`, `kms_key_id`)",
        "a Secret Manager secret per secret the profile names (values are never in Terraform)",
        "a Google service account bound to the Kubernetes service account through Workload Identity",
        "a Cloud Logging bucket keeping the audit trail",
    ]
    parts.append(
        "Cloud CDN in front of the bucket behind an HTTPS load balancer (`enable_cdn`, "
        + ("on" if cdn else "off")
        + " by default; set `cdn_domain_name`)"
    )
    return (
        f"Everything the `{kind}` generator needs around it in an existing GKE cluster: "
        + ", ".join(parts[:-1])
        + f", and {parts[-1]}. Pass its outputs to the `kubernetes` module of the same data type.\n\n"
        "Before the first apply: Secret Manager's service agent must exist in the project "
        "(`gcloud beta services identity create --service=secretmanager.googleapis.com`), because the secrets "
        "are encrypted with the module's key and the `hashicorp/google` provider cannot create that agent. "
        "Cloud KMS key rings and Cloud Logging buckets keep their names after a destroy (key rings forever, "
        "log buckets for 7 days).\n\n" + TESTING_NOTE
    )


def _local(stack: ModuleStack, name: str, expression: str) -> str:
    return f"${{local.{stable_id(named(TerraformLocal(stack, name, expression)))}}}"


def _hcl_list(values: tuple[str, ...]) -> str:
    return "[" + ", ".join(f'"{value}"' for value in values) + "]"
