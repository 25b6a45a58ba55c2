"""The Kubernetes workload module of one data type: ``modules_out/kubernetes/<type>/``."""

from __future__ import annotations

from synthdata_infra.catalog import storage_class_for
from synthdata_infra.cdk import Construct
from synthdata_infra.components.autoscaling import Autoscaling
from synthdata_infra.components.generator_deployment import GeneratorDeployment
from synthdata_infra.components.network_policies import NetworkPolicies
from synthdata_infra.components.service_exposure import ServiceExposure
from synthdata_infra.components.workload_namespace import WorkloadNamespace
from synthdata_infra.components.workload_props import WorkloadInputs, WorkloadProps
from synthdata_infra.components.workload_rbac import WorkloadRbac
from synthdata_infra.config.models import ServiceConfig
from synthdata_infra.naming import SERVICE_NAME_MAX
from synthdata_infra.synth.module_stack import ModuleDoc, ModuleStack
from synthdata_infra.synth.shared_inputs import service_name_input

IMAGE_RULE = "^[^\\\\s]+(@sha256:[a-f0-9]{64}|:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})$"


def build(scope: Construct, stack_id: str, config: ServiceConfig) -> ModuleStack:
    kind = config.data_type
    filtering = config.security.content_filtering.enabled
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
                "service-account annotations this module takes."
            ),
            source=f"../../modules_out/kubernetes/{kind}",
        ),
    )
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
    gpu_selector = {"synthdata.io/accelerator": config.gpu.type} if config.gpu else {}
    inputs = WorkloadInputs(
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
        replicas=v("replicas", type="number", description="Initial replica count; the autoscaler owns it afterwards.", default=config.replicas),
        cpu=v("cpu", type="string", description="CPU request and limit of the generator container.", default=config.resources.cpu),
        memory=v("memory", type="string", description="Memory request and limit of the generator container.", default=config.resources.memory),
        gpu_count=(
            v("gpu_count", type="number", description=f"GPUs per replica ({config.gpu.type}).", default=config.gpu.count)
            if config.gpu
            else "0"
        ),
        storage_size=v("storage_size", type="string", description="Size of each pod's data volume.", default=config.storage.size),
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
        ingress_class_name=v("ingress_class_name", type="string", description="IngressClass of the ingress controller.", default="nginx"),
        ingress_controller_namespace=v(
            "ingress_controller_namespace", type="string", description="Namespace allowed to reach the service port.", default="ingress-nginx"
        ),
        monitoring_namespace=v(
            "monitoring_namespace", type="string", description="Namespace allowed to scrape the metrics port.", default="monitoring"
        ),
        enable_keda=v(
            "enable_keda",
            type="bool",
            description="Scale with a KEDA ScaledObject instead of the HPA (needs the KEDA CRDs in the cluster at plan time).",
            default=False,
        ),
        prometheus_url=v(
            "prometheus_url",
            type="string",
            description="Prometheus that KEDA queries for the scaling triggers.",
            default="http://prometheus-operated.monitoring.svc:9090",
        ),
    )
    props = WorkloadProps(config=config, inputs=inputs)
    namespace = WorkloadNamespace(stack, "workload", props)
    props = props.with_namespace(namespace.name)
    generator = GeneratorDeployment(stack, "generator", props)
    exposure = ServiceExposure(stack, "exposure", props)
    NetworkPolicies(stack, "network_policy", props)
    WorkloadRbac(
        stack,
        "rbac",
        props,
        service_account=generator.service_account.metadata.name,
        config_map=generator.config_map.metadata.name,
    )
    Autoscaling(stack, "autoscaling", props, deployment=generator.deployment.metadata.name)

    stack.output("namespace", namespace.name, "Namespace the service runs in.")
    stack.output("service_name", exposure.service.metadata.name, "Name of the Kubernetes Service.")
    stack.output("service_account_name", generator.service_account.metadata.name, "Service account of the generator pods.")
    stack.output("config_map_name", generator.config_map.metadata.name, "ConfigMap holding the data policies.")
    stack.output("endpoint", exposure.endpoint, "URL of the service: the Ingress host when one is set, else the in-cluster address.")
    stack.check_logical_ids()
    return stack


def _image_validation(name: str) -> dict[str, str]:
    return {
        "condition": f'${{can(regex("{IMAGE_RULE}", var.{name})) && !endswith(var.{name}, ":latest")}}',
        "error_message": f"{name} needs an explicit tag or @sha256 digest, and the tag must not be latest.",
    }

