"""GeneratorDeployment: the generator's pods, their identity, configuration and disruption budget."""

from __future__ import annotations

from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict

from synthdata_infra.cdk import Construct, kubernetes as k8s
from synthdata_infra.components.expressions import as_map, inner, named
from synthdata_infra.components.node_placement import GPU_TAINT_KEY
from synthdata_infra.components.workload_props import WorkloadObjectProps
from synthdata_infra.config.models import ServiceConfig

RUN_AS_ID = 10001
GPU_RESOURCE = "nvidia.com/gpu"
CONFIG_MOUNT = "/etc/synthdata"
SECRETS_MOUNT = "/var/run/secrets/synthdata"
MODEL_CACHE_MOUNT = "/var/cache/models"
FILTER_PORT = 8081
# Default sidecar sizing (the module's content_filter_resources input): the filter classifies
# finished media, a fraction of the generator's work.
FILTER_RESOURCES = {"requests": {"cpu": "250m", "memory": "512Mi"}, "limits": {"cpu": "1", "memory": "1Gi"}}


class ContentFilterProps(BaseModel):
    """The content-filtering sidecar (seed: ContentFilteringSidecar)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    image: str  # string expression
    resources: str  # object({requests, limits}) of {cpu, memory} expression


class GeneratorDeploymentProps(WorkloadObjectProps):
    data_type: str
    image: str  # string expressions from here to node_selector
    replicas: str  # number: the initial count; the autoscaler owns it afterwards
    cpu: str
    memory: str
    storage_size: str
    storage_class_name: str
    service_account_annotations: str  # map(string)
    node_selector: str  # map(string)
    gpu_count: str | None  # number expression on GPU profiles (GPU requests, toleration, one-at-a-time rollout); None without
    model_cache_size: str | None  # string expression when the profile keeps a model cache; None without
    content_filter: ContentFilterProps | None  # None: the profile filters no content
    port: int  # the profile's networking
    metrics_port: int
    mount_path: str  # of the data volume
    secrets: tuple[str, ...]  # the profile's secret names, mounted from <name>-<secret>
    policies: str  # policies.yaml of the ConfigMap: render_policies(config, ...)

    @property
    def secret_names(self) -> list[str]:
        """Kubernetes Secrets the service reads: ``<service>-<secret>``, filled by its ExternalSecrets."""
        return [self.suffixed(secret) for secret in self.secrets]


class GeneratorDeployment(Construct):
    def __init__(self, scope: Construct, construct_id: str, props: GeneratorDeploymentProps) -> None:
        super().__init__(scope, construct_id)
        labels = props.object_labels
        self.secret_names = props.secret_names

        sa = k8s.service_account_v1
        self.service_account = named(sa.ServiceAccountV1(
            self,
            "service_account",
            metadata=sa.ServiceAccountV1Metadata(
                name=props.name,
                namespace=props.namespace,
                labels=labels,
                annotations=as_map(props.service_account_annotations),
            ),
            automount_service_account_token=False,
        ))

        cm = k8s.config_map_v1
        self.config_map = named(cm.ConfigMapV1(
            self,
            "config",
            metadata=cm.ConfigMapV1Metadata(name=props.suffixed("config"), namespace=props.namespace, labels=labels),
            data={"policies.yaml": props.policies},
        ))

        d = k8s.deployment_v1
        gpu = props.gpu_count is not None
        # A surge pod needs a spare GPU that a right-sized GPU pool does not have: GPU types
        # replace pods one at a time instead.
        strategy = (
            d.DeploymentV1SpecStrategyRollingUpdate(max_surge="0", max_unavailable="1")
            if gpu
            else d.DeploymentV1SpecStrategyRollingUpdate(max_surge="25%", max_unavailable="0")
        )
        self.deployment = named(d.DeploymentV1(
            self,
            "deployment",
            metadata=d.DeploymentV1Metadata(name=props.name, namespace=props.namespace, labels=labels),
            spec=d.DeploymentV1Spec(
                replicas=props.replicas,
                revision_history_limit=5,
                selector=d.DeploymentV1SpecSelector(match_labels=props.selector_labels),
                strategy=d.DeploymentV1SpecStrategy(type="RollingUpdate", rolling_update=strategy),
                template=d.DeploymentV1SpecTemplate(
                    metadata=d.DeploymentV1SpecTemplateMetadata(
                        labels=labels,
                        annotations={
                            "prometheus.io/scrape": "true",
                            "prometheus.io/port": str(props.metrics_port),
                            "prometheus.io/path": "/metrics",
                        },
                    ),
                    spec=d.DeploymentV1SpecTemplateSpec(
                        service_account_name=self.service_account.metadata.name,
                        # The token is mounted for the Role below (the service watches its
                        # ConfigMap and Secrets) and for cloud workload identity.
                        automount_service_account_token=True,
                        enable_service_links=False,
                        termination_grace_period_seconds=60,
                        security_context=d.DeploymentV1SpecTemplateSpecSecurityContext(
                            run_as_non_root=True,
                            run_as_user=str(RUN_AS_ID),
                            run_as_group=str(RUN_AS_ID),
                            fs_group=str(RUN_AS_ID),
                            seccomp_profile=d.DeploymentV1SpecTemplateSpecSecurityContextSeccompProfile(
                                type="RuntimeDefault"
                            ),
                        ),
                        node_selector=as_map(props.node_selector),
                        toleration=(
                            [
                                d.DeploymentV1SpecTemplateSpecToleration(
                                    key=GPU_TAINT_KEY, operator="Exists", effect="NoSchedule"
                                )
                            ]
                            if gpu
                            else None
                        ),
                        topology_spread_constraint=[
                            d.DeploymentV1SpecTemplateSpecTopologySpreadConstraint(
                                max_skew=1,
                                topology_key=key,
                                when_unsatisfiable="ScheduleAnyway",
                                label_selector=[
                                    d.DeploymentV1SpecTemplateSpecTopologySpreadConstraintLabelSelector(
                                        match_labels=props.selector_labels
                                    )
                                ],
                            )
                            for key in ("topology.kubernetes.io/zone", "kubernetes.io/hostname")
                        ],
                        container=[self._generator(props)] + ([self._content_filter(props, props.content_filter)] if props.content_filter else []),
                        volume=self._volumes(props),
                    ),
                ),
            ),
            wait_for_rollout=False,
        ))
        # The autoscaler owns the replica count once the deployment exists.
        self.deployment.add_override("lifecycle", {"ignore_changes": ["spec[0].replicas"]})

        pdb = k8s.pod_disruption_budget_v1
        named(pdb.PodDisruptionBudgetV1(
            self,
            "disruption_budget",
            metadata=pdb.PodDisruptionBudgetV1Metadata(name=props.name, namespace=props.namespace, labels=labels),
            spec=pdb.PodDisruptionBudgetV1Spec(
                # One pod at a time: drains progress with a single replica, and never take more.
                max_unavailable="1",
                selector=pdb.PodDisruptionBudgetV1SpecSelector(match_labels=props.selector_labels),
            ),
        ))

    @staticmethod
    def _security_context():
        d = k8s.deployment_v1
        return d.DeploymentV1SpecTemplateSpecContainerSecurityContext(
            run_as_non_root=True,
            run_as_user=str(RUN_AS_ID),
            run_as_group=str(RUN_AS_ID),
            allow_privilege_escalation=False,
            privileged=False,
            read_only_root_filesystem=True,
            capabilities=d.DeploymentV1SpecTemplateSpecContainerSecurityContextCapabilities(drop=["ALL"]),
            seccomp_profile=d.DeploymentV1SpecTemplateSpecContainerSecurityContextSeccompProfile(type="RuntimeDefault"),
        )

    def _generator(self, props: GeneratorDeploymentProps):
        d = k8s.deployment_v1
        requests = {"cpu": props.cpu, "memory": props.memory}
        limits = dict(requests)
        if props.gpu_count is not None:
            requests[GPU_RESOURCE] = limits[GPU_RESOURCE] = props.gpu_count
        mounts = [
            d.DeploymentV1SpecTemplateSpecContainerVolumeMount(name="data", mount_path=props.mount_path),
            d.DeploymentV1SpecTemplateSpecContainerVolumeMount(name="tmp", mount_path="/tmp"),
            d.DeploymentV1SpecTemplateSpecContainerVolumeMount(name="config", mount_path=CONFIG_MOUNT, read_only=True),
        ]
        if props.model_cache_size is not None:
            mounts.append(d.DeploymentV1SpecTemplateSpecContainerVolumeMount(name="model-cache", mount_path=MODEL_CACHE_MOUNT))
        mounts += [
            d.DeploymentV1SpecTemplateSpecContainerVolumeMount(
                name=f"secret-{secret}", mount_path=f"{SECRETS_MOUNT}/{secret}", read_only=True
            )
            for secret in props.secrets
        ]
        env = {
            "SYNTHDATA_SERVICE": props.name,
            "SYNTHDATA_DATA_TYPE": props.data_type,
            "SYNTHDATA_DATA_DIR": props.mount_path,
            "SYNTHDATA_POLICIES": f"{CONFIG_MOUNT}/policies.yaml",
            "SYNTHDATA_METRICS_PORT": str(props.metrics_port),
        }
        return d.DeploymentV1SpecTemplateSpecContainer(
            name="generator",
            image=props.image,
            image_pull_policy="Always",
            port=[
                d.DeploymentV1SpecTemplateSpecContainerPort(name="http", container_port=props.port),
                d.DeploymentV1SpecTemplateSpecContainerPort(name="metrics", container_port=props.metrics_port),
            ],
            env=[d.DeploymentV1SpecTemplateSpecContainerEnv(name=k, value=v) for k, v in env.items()],
            resources=d.DeploymentV1SpecTemplateSpecContainerResources(requests=requests, limits=limits),
            security_context=self._security_context(),
            # Loading models can take minutes; the startup probe holds liveness off until then.
            startup_probe=d.DeploymentV1SpecTemplateSpecContainerStartupProbe(
                http_get=d.DeploymentV1SpecTemplateSpecContainerStartupProbeHttpGet(path="/healthz", port="http"),
                period_seconds=10,
                failure_threshold=60,
            ),
            liveness_probe=d.DeploymentV1SpecTemplateSpecContainerLivenessProbe(
                http_get=d.DeploymentV1SpecTemplateSpecContainerLivenessProbeHttpGet(path="/healthz", port="http"),
                period_seconds=15,
                timeout_seconds=5,
                failure_threshold=4,
            ),
            readiness_probe=d.DeploymentV1SpecTemplateSpecContainerReadinessProbe(
                http_get=d.DeploymentV1SpecTemplateSpecContainerReadinessProbeHttpGet(path="/readyz", port="http"),
                period_seconds=10,
                timeout_seconds=5,
                failure_threshold=3,
            ),
            volume_mount=mounts,
        )

    def _content_filter(self, props: GeneratorDeploymentProps, sidecar: ContentFilterProps):
        """Sidecar that screens generated media before it leaves the pod (seed: ContentFilteringSidecar)."""
        d = k8s.deployment_v1
        return d.DeploymentV1SpecTemplateSpecContainer(
            name="content-filter",
            image=sidecar.image,
            image_pull_policy="Always",
            port=[d.DeploymentV1SpecTemplateSpecContainerPort(name="filter", container_port=FILTER_PORT)],
            env=[
                d.DeploymentV1SpecTemplateSpecContainerEnv(name="FILTER_WATCH_DIR", value=props.mount_path),
                d.DeploymentV1SpecTemplateSpecContainerEnv(name="FILTER_PORT", value=str(FILTER_PORT)),
            ],
            resources=d.DeploymentV1SpecTemplateSpecContainerResources(
                requests=_filter_resources(sidecar, "requests"), limits=_filter_resources(sidecar, "limits")
            ),
            security_context=self._security_context(),
            liveness_probe=d.DeploymentV1SpecTemplateSpecContainerLivenessProbe(
                http_get=d.DeploymentV1SpecTemplateSpecContainerLivenessProbeHttpGet(path="/healthz", port="filter"),
                period_seconds=15,
            ),
            readiness_probe=d.DeploymentV1SpecTemplateSpecContainerReadinessProbe(
                http_get=d.DeploymentV1SpecTemplateSpecContainerReadinessProbeHttpGet(path="/readyz", port="filter"),
                period_seconds=10,
            ),
            volume_mount=[
                d.DeploymentV1SpecTemplateSpecContainerVolumeMount(name="data", mount_path=props.mount_path),
                d.DeploymentV1SpecTemplateSpecContainerVolumeMount(name="filter-tmp", mount_path="/tmp"),
            ],
        )

    def _volumes(self, props: GeneratorDeploymentProps):
        d = k8s.deployment_v1
        # Per-pod volume from a claim template: a single ReadWriteOnce claim cannot serve
        # replicas on several nodes. Generated data is durable in the cloud layer's bucket.
        volumes = [
            d.DeploymentV1SpecTemplateSpecVolume(
                name="data",
                ephemeral=d.DeploymentV1SpecTemplateSpecVolumeEphemeral(
                    volume_claim_template=d.DeploymentV1SpecTemplateSpecVolumeEphemeralVolumeClaimTemplate(
                        metadata=d.DeploymentV1SpecTemplateSpecVolumeEphemeralVolumeClaimTemplateMetadata(
                            labels=props.selector_labels
                        ),
                        spec=d.DeploymentV1SpecTemplateSpecVolumeEphemeralVolumeClaimTemplateSpec(
                            access_modes=["ReadWriteOnce"],
                            storage_class_name=props.storage_class_name,
                            resources=d.DeploymentV1SpecTemplateSpecVolumeEphemeralVolumeClaimTemplateSpecResources(
                                requests={"storage": props.storage_size}
                            ),
                        ),
                    )
                ),
            ),
            d.DeploymentV1SpecTemplateSpecVolume(
                name="tmp", empty_dir=d.DeploymentV1SpecTemplateSpecVolumeEmptyDir(size_limit="1Gi")
            ),
            d.DeploymentV1SpecTemplateSpecVolume(
                name="config",
                config_map=d.DeploymentV1SpecTemplateSpecVolumeConfigMap(name=self.config_map.metadata.name),
            ),
        ]
        if props.model_cache_size is not None:
            volumes.append(
                d.DeploymentV1SpecTemplateSpecVolume(
                    name="model-cache",
                    empty_dir=d.DeploymentV1SpecTemplateSpecVolumeEmptyDir(size_limit=props.model_cache_size),
                )
            )
        if props.content_filter:
            volumes.append(
                d.DeploymentV1SpecTemplateSpecVolume(
                    name="filter-tmp", empty_dir=d.DeploymentV1SpecTemplateSpecVolumeEmptyDir(size_limit="256Mi")
                )
            )
        volumes += [
            d.DeploymentV1SpecTemplateSpecVolume(
                name=f"secret-{secret}",
                # Not optional: a pod without its secrets must not start (the ExternalSecrets fill them).
                secret=d.DeploymentV1SpecTemplateSpecVolumeSecret(secret_name=name, optional=False),
            )
            for secret, name in zip(props.secrets, props.secret_names)
        ]
        return volumes


def _filter_resources(sidecar: ContentFilterProps, side: str) -> dict[str, str]:
    """``{"cpu": "${<input>.<side>.cpu}", ...}``: one reference per key, so the manifest (and
    checkov) sees which resources are set."""
    resources = inner(sidecar.resources)
    return {name: f"${{{resources}.{side}.{name}}}" for name in FILTER_RESOURCES[side]}


def render_policies(config: ServiceConfig, cdn_enabled: str, specific: dict[str, Any]) -> str:
    """The ConfigMap document: data policies and the type-specific settings, as YAML.

    ``cdn_enabled`` is a bool expression and ``specific`` holds expressions where a module input
    carries a value: Terraform writes them into the document."""
    document = {
        "data_type": config.data_type,
        "data_policies": config.data_policies.model_dump(mode="json"),
        "specific": specific,
        "storage": {"compression": config.storage.compression, "cdn_enabled": cdn_enabled},
    }
    return yaml.safe_dump(document, sort_keys=True)
