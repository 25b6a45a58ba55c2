"""The Kubernetes workload module of one data type: ``modules_out/kubernetes/<type>/``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from synthdata_infra.catalog import storage_class_for
from synthdata_infra.cdk import Construct
from synthdata_infra.components.autoscaling import Autoscaling, AutoscalingProps
from synthdata_infra.components.expressions import inner
from synthdata_infra.components.external_secrets import ExternalSecrets, ExternalSecretsProps
from synthdata_infra.components.generator_deployment import (
    FILTER_RESOURCES,
    MODEL_CACHE_MOUNT,
    ContentFilterProps,
    GeneratorDeployment,
    GeneratorDeploymentProps,
    render_policies,
)
from synthdata_infra.components.network_policies import NetworkPolicies, NetworkPoliciesProps
from synthdata_infra.components.node_placement import ACCELERATOR_LABEL
from synthdata_infra.components.scrape_target import KINDS as SCRAPE_KINDS, ScrapeTarget, ScrapeTargetProps
from synthdata_infra.components.service_exposure import CLUSTER_ISSUER_ANNOTATION, IngressProps, ServiceExposure, ServiceExposureProps
from synthdata_infra.components.workload_namespace import WorkloadNamespace, WorkloadNamespaceProps
from synthdata_infra.components.workload_props import WorkloadInputs, selector_labels
from synthdata_infra.components.workload_rbac import WorkloadRbac, WorkloadRbacProps
from synthdata_infra.config.models import COMPRESSIONS, ServiceConfig
from synthdata_infra.naming import (
    INGRESS_CLASS,
    INGRESS_NAMESPACE,
    ONPREM_PROMETHEUS_URL,
    PLATFORM_KEDA_AUTH,
    PLATFORM_SECRET_STORE,
    SERVICE_NAME_MAX,
)
from synthdata_infra.patterns import IMAGE_RULE, hcl_regex
from synthdata_infra.synth.examples import workload_source
from synthdata_infra.synth.module_stack import ModuleDoc, ModuleStack
from synthdata_infra.synth.shared_inputs import service_name_input

# The grammar of synthdata_infra.quantities, written with character classes: a backslash would
# need escaping once for JSON and again for HCL.
CPU_RULE = "^[0-9]+([.][0-9]+)?m?$"
MEMORY_RULE = "^[0-9]+([.][0-9]+)?(Ki|Mi|Gi|Ti|Pi|k|M|G|T|P)?$"
# A Kubernetes object name (DNS subdomain), as a ClusterIssuer's name must be.
OBJECT_NAME_RULE = "^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$"


def build(scope: Construct, stack_id: str, config: ServiceConfig) -> ModuleStack:
    kind = config.data_type
    stack = ModuleStack(
        scope,
        stack_id,
        providers=("kubernetes",),
        doc=ModuleDoc(
            label=f"{kind}_workload",
            title=f"synthdata {kind} workload (Kubernetes)",
            summary=(
                f"Runs a synthetic-data generator on any Kubernetes cluster with the `{kind}` "
                "deployment profile: Pod Security `restricted`, default-deny network policies, "
                "least-privilege RBAC and autoscaling from the profile's scaling triggers. The cloud "
                "modules (`aws`, `gcp`, `azure`) produce the storage class, node selector and "
                "service-account annotations this module takes; their `examples/complete/` read this "
                f"module from a private registry as `{workload_source(kind)}` (publish this folder there)."
            ),
            source=f"../../modules_out/kubernetes/{kind}",
        ),
    )
    inputs = _inputs(stack, config)
    _outputs(stack, _wiring(stack, config, inputs))
    stack.check_logical_ids()
    return stack


def _inputs(stack: ModuleStack, config: ServiceConfig) -> WorkloadInputs:
    """The module's variables, with the profile's defaults."""
    kind = config.data_type
    filtering = config.security.content_filtering.enabled
    v = stack.variable
    service_name = service_name_input(
        stack, f"Name of the service; prefixes every object (lower-case DNS label, at most {SERVICE_NAME_MAX} characters)."
    )
    image = v(
        "image",
        type="string",
        description="Generator image with an explicit tag or digest; `latest` is refused.",
        example=f'"registry.example.com/synthdata/{kind.replace("_", "-")}-generator:1.0.0"',
        validation=[_image_validation("image")],
    )
    content_filter_image = (
        v(
            "content_filter_image",
            type="string",
            description="Content-filtering sidecar image (tag or digest; `latest` is refused).",
            example='"registry.example.com/synthdata/content-filter:1.0.0"',
            validation=[_image_validation("content_filter_image")],
        )
        if filtering
        else None
    )
    content_filter_resources = (
        v(
            "content_filter_resources",
            type=_filter_resources_type(),
            description=(
                "CPU and memory requests and limits of the content-filtering sidecar; give only what changes, "
                'e.g. `{ limits = { memory = "2Gi" } }`.'
            ),
            default=FILTER_RESOURCES,
            validation=_filter_resources_validation(),
        )
        if filtering
        else None
    )
    cache = config.specific.model_cache
    model_cache_size = (
        v(
            "model_cache_size",
            type="string",
            description=(
                f"Size limit of the model cache (an emptyDir at `{MODEL_CACHE_MOUNT}` on the node's disk). The cloud "
                "modules size node disks for the default: raise their node_disk_size_gib with it."
            ),
            default=cache.size,
            validation=[
                {
                    "condition": f"${{{_positive_quantity('var.model_cache_size', MEMORY_RULE)}}}",
                    "error_message": "model_cache_size must be a positive Kubernetes memory quantity such as 50Gi.",
                }
            ],
        )
        if cache and cache.enabled
        else None
    )
    preload_models = (
        v(
            "preload_models",
            type="list(string)",
            description="Models the generator loads into the cache at start (written to the ConfigMap).",
            default=list(cache.preload_models),
        )
        if cache and cache.enabled
        else None
    )
    specific = config.specific
    preprocessing = (
        v(
            "preprocessing",
            type="object({ workers = number, batch_size = number })",
            description="Preprocessing of the generator (written to the ConfigMap): worker processes and batch size.",
            default=specific.preprocessing.model_dump(mode="json"),
            validation=[
                {
                    "condition": "${var.preprocessing.workers >= 1 && var.preprocessing.workers <= 256 && var.preprocessing.batch_size >= 1 && var.preprocessing.batch_size <= 65536}",
                    "error_message": "preprocessing.workers must be from 1 to 256 and preprocessing.batch_size from 1 to 65536.",
                }
            ],
        )
        if specific.preprocessing
        else None
    )
    compressions = ", ".join(f'"{c}"' for c in COMPRESSIONS)
    postprocessing = (
        v(
            "postprocessing",
            type="object({ compression = string, quality = number, cdn_upload = bool })",
            description="Postprocessing of the generator (written to the ConfigMap): output compression (null: none), quality 1-100, upload to the CDN.",
            default=specific.postprocessing.model_dump(mode="json"),
            validation=[
                {
                    "condition": f"${{(var.postprocessing.compression == null ? true : contains([{compressions}], var.postprocessing.compression)) && var.postprocessing.quality >= 1 && var.postprocessing.quality <= 100}}",
                    "error_message": f"postprocessing.compression must be null or one of {', '.join(COMPRESSIONS)}, and postprocessing.quality from 1 to 100.",
                }
            ],
        )
        if specific.postprocessing
        else None
    )
    ingress = config.networking.ingress
    cluster_issuer = (
        v(
            "cluster_issuer",
            type="string",
            description=f"cert-manager ClusterIssuer that signs the Ingress certificate (the `{CLUSTER_ISSUER_ANNOTATION}` annotation).",
            default=ingress.annotations.get(CLUSTER_ISSUER_ANNOTATION, ...),
            validation=[
                {
                    "condition": f'${{can(regex("{OBJECT_NAME_RULE}", var.cluster_issuer))}}',
                    "error_message": "cluster_issuer must be the name of a ClusterIssuer: lower-case letters, digits, '-' and '.', at most 253 characters.",
                }
            ],
        )
        if ingress.enabled and ingress.tls
        else None
    )
    gpu_selector = {ACCELERATOR_LABEL: config.gpu.type} if config.gpu else {}
    return WorkloadInputs(
        service_name=service_name,
        namespace=v("namespace", type="string", description="Namespace to run in.", default=config.deployment.namespace),
        create_namespace=v(
            "create_namespace",
            type="bool",
            description="Create the namespace (with Pod Security `restricted` labels); false to use an existing one.",
            default=True,
        ),
        image=image,
        content_filter_image=content_filter_image or "",
        content_filter_resources=content_filter_resources or "",
        replicas=v("replicas", type="number", description="Initial replica count; the autoscaler owns it afterwards.", default=config.replicas),
        cpu=v("cpu", type="string", description="CPU request and limit of the generator container.", default=config.resources.cpu),
        memory=v("memory", type="string", description="Memory request and limit of the generator container.", default=config.resources.memory),
        gpu_count=(
            v("gpu_count", type="number", description=f"GPUs per replica ({config.gpu.type}).", default=config.gpu.count)
            if config.gpu
            else ""
        ),
        storage_size=v("storage_size", type="string", description="Size of each pod's data volume.", default=config.storage.size),
        model_cache_size=model_cache_size or "",
        preload_models=preload_models or "",
        preprocessing=preprocessing or "",
        postprocessing=postprocessing or "",
        cdn_enabled=v(
            "cdn_enabled",
            type="bool",
            description=(
                "Whether the cloud module serves the generated data through its CDN (pass the same value as its "
                "enable_cdn): the generator reads it from the ConfigMap (`storage.cdn_enabled`)."
            ),
            default=config.storage.cdn_enabled,
        ),
        min_replicas=v("min_replicas", type="number", description="Autoscaler lower bound.", default=config.scaling.min_replicas),
        max_replicas=v("max_replicas", type="number", description="Autoscaler upper bound.", default=config.scaling.max_replicas),
        storage_class_name=v(
            "storage_class_name",
            type="string",
            description=(
                f"StorageClass of the per-pod data volume (profile class "
                f"`{config.storage.storage_class}`); each cloud module outputs its mapped class."
            ),
            default=storage_class_for("onprem", config.storage.storage_class).storage_class_name,
        ),
        service_account_annotations=v(
            "service_account_annotations",
            type="map(string)",
            description="Annotations binding the service account to a cloud identity (IRSA, GKE Workload Identity, Azure workload identity).",
            default={},
        ),
        node_selector=v(
            "node_selector",
            type="map(string)",
            description="Node labels the pods must land on" + (" (the GPU pool's labels)." if config.gpu else "."),
            default=gpu_selector,
        ),
        labels=v(
            "labels",
            type="map(string)",
            description="Labels added to every object.",
            default=dict(config.deployment.labels),
        ),
        ingress_host=v(
            "ingress_host",
            type="string",
            description="Public host name; null creates no Ingress." + (" TLS via cert-manager." if config.networking.ingress.tls else ""),
            default=None,
        ),
        enable_ingress=(
            v(
                "enable_ingress",
                type="bool",
                description="Create the Ingress for ingress_host (the profile's networking.ingress.enabled); false: the service is reached inside the cluster only.",
                default=True,
            )
            if ingress.enabled
            else ""
        ),
        cluster_issuer=cluster_issuer or "",
        ingress_class_name=v("ingress_class_name", type="string", description="IngressClass of the ingress controller.", default=INGRESS_CLASS),
        ingress_controller_namespace=v(
            "ingress_controller_namespace", type="string", description="Namespace allowed to reach the service port.", default=INGRESS_NAMESPACE
        ),
        monitoring_namespace=v(
            "monitoring_namespace",
            type="string",
            description=(
                "Namespace whose collectors may scrape the metrics port: `monitoring` (a Prometheus there), `gmp-system` "
                "(GKE managed collection), `kube-system` (AKS metrics add-on)."
            ),
            default="monitoring",
        ),
        allow_gke_metadata_server=v(
            "allow_gke_metadata_server",
            type="bool",
            description="Allow egress to the GKE metadata server (169.254.169.252:988, 169.254.169.254:80), which GKE Workload Identity needs.",
            default=False,
        ),
        scrape_kind=v(
            "scrape_kind",
            type="string",
            description=(
                f"Scrape object of the provider's metrics collector for the metrics port: {', '.join(SCRAPE_KINDS)} "
                "(needs its CRD at plan time); null creates none (e.g. a cluster-wide ServiceMonitor covers the service)."
            ),
            default=None,
            validation=[
                {
                    "condition": f"${{var.scrape_kind == null ? true : contains({_hcl_list(SCRAPE_KINDS)}, var.scrape_kind)}}",
                    "error_message": f"scrape_kind must be null or one of {', '.join(SCRAPE_KINDS)}.",
                }
            ],
        ),
        **_secret_inputs(stack, config),
        enable_keda=v(
            "enable_keda",
            type="bool",
            description=(
                "Scale with a KEDA ScaledObject (needs the KEDA CRDs at plan time; the platform module installs KEDA); "
                "false creates an HPA instead, whose Pods/External metrics need a metrics adapter."
            ),
            default=True,
        ),
        prometheus_url=v(
            "prometheus_url",
            type="string",
            description=(
                "Prometheus query endpoint KEDA's triggers read (serverAddress): AMP "
                "`https://aps-workspaces.<region>.amazonaws.com/workspaces/<id>`, GMP "
                "`https://monitoring.googleapis.com/v1/projects/<project>/location/global/prometheus`, the Azure Monitor "
                "workspace's query endpoint, or an in-cluster Prometheus."
            ),
            default=ONPREM_PROMETHEUS_URL,
        ),
        prometheus_aws_region=v(
            "prometheus_aws_region",
            type="string",
            description="Region of the Amazon Managed Prometheus workspace KEDA signs its queries for (SigV4); null elsewhere.",
            default=None,
        ),
        keda_authentication=v(
            "keda_authentication",
            type="string",
            description=(
                f"KEDA ClusterTriggerAuthentication of the triggers (the platform module's is `{PLATFORM_KEDA_AUTH}`); "
                "null for a Prometheus that needs no credentials."
            ),
            default=None,
            validation=[
                {
                    "condition": f'${{var.keda_authentication == null ? true : can(regex("{OBJECT_NAME_RULE}", var.keda_authentication))}}',
                    "error_message": "keda_authentication must be null or the name of a ClusterTriggerAuthentication.",
                }
            ],
        ),
    )


def _specific_document(config: ServiceConfig, inputs: WorkloadInputs) -> dict[str, Any]:
    """The ConfigMap's type-specific settings: a reference to the input where one carries the value
    (``jsonencode``: JSON is YAML, and a null stays ``null``), the profile's value elsewhere."""

    def reference(expression: str) -> str:
        return f"${{jsonencode({inner(expression)})}}"

    document = config.specific.model_dump(mode="json", exclude_none=True)
    cache = config.specific.model_cache
    if cache and cache.enabled:
        document["model_cache"].update(size=reference(inputs.model_cache_size), preload_models=reference(inputs.preload_models))
    for section, expression in (("preprocessing", inputs.preprocessing), ("postprocessing", inputs.postprocessing)):
        if section in document:
            document[section] = {key: reference(f"${{{inner(expression)}.{key}}}") for key in getattr(config.specific, section).model_fields}
    return document


def _secret_inputs(stack: ModuleStack, config: ServiceConfig) -> dict[str, str]:
    """Where the profile's secrets come from (no inputs when it names none)."""
    if not config.security.secrets:
        return {"enable_external_secrets": "", "secret_store_provider": "", "cluster_secret_store": "", "secret_keys": ""}
    v = stack.variable
    return {
        "enable_external_secrets": v(
            "enable_external_secrets",
            type="bool",
            description=(
                "Fill the Secrets `<service_name>-<secret>` the pods mount with External Secrets (needs its CRDs at plan "
                "time); false: you create those Secrets."
            ),
            default=True,
        ),
        "secret_store_provider": v(
            "secret_store_provider",
            type="any",
            description=(
                f"`spec.provider` of the SecretStore `{PLATFORM_SECRET_STORE}` created in the namespace, authenticating as "
                "this service's account, e.g. `{ aws = { service = \"SecretsManager\", region = \"us-east-1\", auth = { jwt = "
                "{ serviceAccountRef = { name = \"<service_name>\" } } } } }`. Set this or cluster_secret_store."
            ),
            default=None,
        ),
        "cluster_secret_store": v(
            "cluster_secret_store",
            type="string",
            description="An existing ClusterSecretStore to read the secrets from instead of a SecretStore of the service.",
            default=None,
        ),
        "secret_keys": v(
            "secret_keys",
            type="map(string)",
            description=(
                f"Key of each secret ({', '.join(config.security.secrets)}) in the store (Secrets Manager name or ARN, "
                "Secret Manager secret id, Key Vault secret name); a secret not listed is read by its own name."
            ),
            default={},
        ),
    }


@dataclass(frozen=True)
class _Objects:
    """What the outputs read."""

    namespace: WorkloadNamespace
    generator: GeneratorDeployment
    exposure: ServiceExposure


def _wiring(stack: ModuleStack, config: ServiceConfig, inputs: WorkloadInputs) -> _Objects:
    """The components, each given only what it uses. Construct ids are the Terraform names."""
    namespace = WorkloadNamespace(
        stack, "workload", WorkloadNamespaceProps(namespace=inputs.namespace, create=inputs.create_namespace, labels=inputs.labels)
    )
    # Every namespaced object references the created namespace (when there is one): it orders them after it.
    common = {
        "name": inputs.service_name,
        "namespace": namespace.name,
        "labels": inputs.labels,
        "selector_labels": selector_labels(config.data_type, inputs.service_name),
    }
    networking = config.networking
    cache = config.specific.model_cache
    generator = GeneratorDeployment(
        stack,
        "generator",
        GeneratorDeploymentProps(
            **common,
            data_type=config.data_type,
            image=inputs.image,
            replicas=inputs.replicas,
            cpu=inputs.cpu,
            memory=inputs.memory,
            storage_size=inputs.storage_size,
            storage_class_name=inputs.storage_class_name,
            service_account_annotations=inputs.service_account_annotations,
            node_selector=inputs.node_selector,
            gpu_count=inputs.gpu_count if config.gpu else None,
            model_cache_size=inputs.model_cache_size if cache and cache.enabled else None,
            content_filter=(
                ContentFilterProps(image=inputs.content_filter_image, resources=inputs.content_filter_resources)
                if config.security.content_filtering.enabled
                else None
            ),
            port=networking.port,
            metrics_port=networking.metrics_port,
            mount_path=config.storage.mount_path,
            secrets=config.security.secrets,
            policies=render_policies(config, inputs.cdn_enabled, _specific_document(config, inputs)),
        ),
    )
    ingress = networking.ingress
    exposure = ServiceExposure(
        stack,
        "exposure",
        ServiceExposureProps(
            **common,
            service_type=networking.service_type,
            metrics_port=networking.metrics_port,
            ingress=(
                IngressProps(
                    host=inputs.ingress_host,
                    enabled=inputs.enable_ingress,
                    class_name=inputs.ingress_class_name,
                    tls=ingress.tls,
                    cluster_issuer=inputs.cluster_issuer if ingress.tls else None,
                    annotations=dict(ingress.annotations),
                )
                if ingress.enabled
                else None
            ),
        ),
    )
    NetworkPolicies(
        stack,
        "network_policy",
        NetworkPoliciesProps(
            **common,
            port=networking.port,
            metrics_port=networking.metrics_port,
            ingress_controller_namespace=inputs.ingress_controller_namespace,
            monitoring_namespace=inputs.monitoring_namespace,
            allow_gke_metadata_server=inputs.allow_gke_metadata_server,
        ),
    )
    ScrapeTarget(stack, "scrape", ScrapeTargetProps(**common, kind=inputs.scrape_kind))
    if config.security.secrets:
        ExternalSecrets(
            stack,
            "external_secret",
            ExternalSecretsProps(
                **common,
                secrets=config.security.secrets,
                enable=inputs.enable_external_secrets,
                store_provider=inputs.secret_store_provider,
                cluster_store=inputs.cluster_secret_store,
                remote_keys=inputs.secret_keys,
            ),
        )
    WorkloadRbac(
        stack,
        "rbac",
        WorkloadRbacProps(
            **common,
            service_account=generator.service_account.metadata.name,
            config_map=generator.config_map.metadata.name,
            secret_names=tuple(generator.secret_names),
        ),
    )
    Autoscaling(
        stack,
        "autoscaling",
        AutoscalingProps(
            **common,
            deployment=generator.deployment.metadata.name,
            triggers=config.scaling.triggers,
            min_replicas=inputs.min_replicas,
            max_replicas=inputs.max_replicas,
            enable_keda=inputs.enable_keda,
            prometheus_url=inputs.prometheus_url,
            prometheus_aws_region=inputs.prometheus_aws_region,
            keda_authentication=inputs.keda_authentication,
        ),
    )
    return _Objects(namespace, generator, exposure)


def _outputs(stack: ModuleStack, made: _Objects) -> None:
    stack.output("namespace", made.namespace.name, "Namespace the service runs in.")
    stack.output("service_name", made.exposure.service.metadata.name, "Name of the Kubernetes Service.")
    stack.output("service_account_name", made.generator.service_account.metadata.name, "Service account of the generator pods.")
    stack.output("config_map_name", made.generator.config_map.metadata.name, "ConfigMap holding the data policies.")
    stack.output("endpoint", made.exposure.endpoint, "URL of the service: the Ingress host when one is set, else the in-cluster address.")


def _image_validation(name: str) -> dict[str, str]:
    return {
        "condition": f'${{can(regex({hcl_regex(IMAGE_RULE)}, var.{name})) && !endswith(var.{name}, ":latest")}}',
        "error_message": f"{name} needs an explicit tag or @sha256 digest, and the tag must not be latest.",
    }



def _hcl_list(values) -> str:
    return "[" + ", ".join(f'"{value}"' for value in values) + "]"


def _positive_quantity(expression: str, rule: str) -> str:
    """A quantity of ``rule``'s grammar with a non-zero digit (``0Gi`` and ``0`` are refused)."""
    return f'can(regex("{rule}", {expression})) && can(regex("[1-9]", {expression}))'


def _filter_resources_type() -> str:
    """``object({ requests = optional(object({ cpu = optional(string, "250m"), ... }), {}), ... })``:
    every field falls back to today's sizing, so a caller gives only what changes."""
    sides = ", ".join(
        f"{side} = optional(object({{ "
        + ", ".join(f'{name} = optional(string, "{value}")' for name, value in values.items())
        + " }), {})"
        for side, values in FILTER_RESOURCES.items()
    )
    return f"object({{ {sides} }})"


def _filter_resources_validation() -> list[dict[str, str]]:
    checks = []
    for name, rule, example in (("cpu", CPU_RULE, "250m or 1"), ("memory", MEMORY_RULE, "512Mi or 1Gi")):
        each = " && ".join(_positive_quantity(f"var.content_filter_resources.{side}.{name}", rule) for side in FILTER_RESOURCES)
        checks.append(
            {
                "condition": f"${{{each}}}",
                "error_message": f"content_filter_resources: requests.{name} and limits.{name} must be positive Kubernetes {name} quantities such as {example}.",
            }
        )
    return checks
