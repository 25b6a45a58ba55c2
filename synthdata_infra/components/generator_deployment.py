"""GeneratorDeployment: the generator's pods, their identity, configuration and disruption budget."""

from __future__ import annotations

import yaml

from synthdata_infra.cdk import Construct, kubernetes as k8s
from synthdata_infra.components.expressions import as_map, inner, merged_map, named
from synthdata_infra.components.node_placement import GPU_TAINT_KEY
from synthdata_infra.components.workload_props import WorkloadProps

RUN_AS_ID = 10001
GPU_RESOURCE = "nvidia.com/gpu"
CONFIG_MOUNT = "/etc/synthdata"
SECRETS_MOUNT = "/var/run/secrets/synthdata"
MODEL_CACHE_MOUNT = "/var/cache/models"
FILTER_PORT = 8081
# Default sidecar sizing (the module's content_filter_resources input): the filter classifies
# finished media, a fraction of the generator's work.
FILTER_RESOURCES = {"requests": {"cpu": "250m", "memory": "512Mi"}, "limits": {"cpu": "1", "memory": "1Gi"}}


class GeneratorDeployment(Construct):
    def __init__(self, scope: Construct, construct_id: str, props: WorkloadProps) -> None:
        super().__init__(scope, construct_id)
        config, inputs = props.config, props.inputs
        labels = merged_map(inputs.labels, props.selector_labels)

        sa = k8s.service_account_v1
        self.service_account = named(sa.ServiceAccountV1(
            self,
            "service_account",
            metadata=sa.ServiceAccountV1Metadata(
                name=props.name(),
                namespace=inputs.namespace,
                labels=labels,
                annotations=as_map(inputs.service_account_annotations),
            ),
            automount_service_account_token=False,
        ))

        cm = k8s.config_map_v1
        self.config_map = named(cm.ConfigMapV1(
            self,
            "config",
            metadata=cm.ConfigMapV1Metadata(name=props.name("config"), namespace=inputs.namespace, labels=labels),
            data={"policies.yaml": render_policies(props)},
        ))

        d = k8s.deployment_v1
        gpu = config.gpu
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
            metadata=d.DeploymentV1Metadata(name=props.name(), namespace=inputs.namespace, labels=labels),
            spec=d.DeploymentV1Spec(
                replicas=inputs.replicas,
                revision_history_limit=5,
                selector=d.DeploymentV1SpecSelector(match_labels=props.selector_labels),
                strategy=d.DeploymentV1SpecStrategy(type="RollingUpdate", rolling_update=strategy),
                template=d.DeploymentV1SpecTemplate(
                    metadata=d.DeploymentV1SpecTemplateMetadata(
                        labels=labels,
                        annotations={
                            "prometheus.io/scrape": "true",
                            "prometheus.io/port": str(config.networking.metrics_port),
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
                        node_selector=as_map(inputs.node_selector),
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
                        container=[self._generator(props)] + ([self._content_filter(props)] if config.security.content_filtering.enabled else []),
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
            metadata=pdb.PodDisruptionBudgetV1Metadata(name=props.name(), namespace=inputs.namespace, labels=labels),
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

    def _generator(self, props: WorkloadProps):
        d = k8s.deployment_v1
        config = props.config
        inputs = props.inputs
        requests = {"cpu": inputs.cpu, "memory": inputs.memory}
        limits = dict(requests)
        if config.gpu:
            requests[GPU_RESOURCE] = limits[GPU_RESOURCE] = inputs.gpu_count
        mounts = [
            d.DeploymentV1SpecTemplateSpecContainerVolumeMount(name="data", mount_path=config.storage.mount_path),
            d.DeploymentV1SpecTemplateSpecContainerVolumeMount(name="tmp", mount_path="/tmp"),
            d.DeploymentV1SpecTemplateSpecContainerVolumeMount(name="config", mount_path=CONFIG_MOUNT, read_only=True),
        ]
        if config.specific.model_cache and config.specific.model_cache.enabled:
            mounts.append(d.DeploymentV1SpecTemplateSpecContainerVolumeMount(name="model-cache", mount_path=MODEL_CACHE_MOUNT))
        mounts += [
            d.DeploymentV1SpecTemplateSpecContainerVolumeMount(
                name=f"secret-{secret}", mount_path=f"{SECRETS_MOUNT}/{secret}", read_only=True
            )
            for secret in config.security.secrets
        ]
        env = {
            "SYNTHDATA_SERVICE": props.inputs.service_name,
            "SYNTHDATA_DATA_TYPE": config.data_type,
            "SYNTHDATA_DATA_DIR": config.storage.mount_path,
            "SYNTHDATA_POLICIES": f"{CONFIG_MOUNT}/policies.yaml",
            "SYNTHDATA_METRICS_PORT": str(config.networking.metrics_port),
        }
        return d.DeploymentV1SpecTemplateSpecContainer(
            name="generator",
            image=props.inputs.image,
            image_pull_policy="Always",
            port=[
                d.DeploymentV1SpecTemplateSpecContainerPort(name="http", container_port=config.networking.port),
                d.DeploymentV1SpecTemplateSpecContainerPort(name="metrics", container_port=config.networking.metrics_port),
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

    def _content_filter(self, props: WorkloadProps):
        """Sidecar that screens generated media before it leaves the pod (seed: ContentFilteringSidecar)."""
        d = k8s.deployment_v1
        return d.DeploymentV1SpecTemplateSpecContainer(
            name="content-filter",
            image=props.inputs.content_filter_image,
            image_pull_policy="Always",
            port=[d.DeploymentV1SpecTemplateSpecContainerPort(name="filter", container_port=FILTER_PORT)],
            env=[
                d.DeploymentV1SpecTemplateSpecContainerEnv(name="FILTER_WATCH_DIR", value=props.config.storage.mount_path),
                d.DeploymentV1SpecTemplateSpecContainerEnv(name="FILTER_PORT", value=str(FILTER_PORT)),
            ],
            resources=d.DeploymentV1SpecTemplateSpecContainerResources(
                requests=_filter_resources(props, "requests"), limits=_filter_resources(props, "limits")
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
                d.DeploymentV1SpecTemplateSpecContainerVolumeMount(name="data", mount_path=props.config.storage.mount_path),
                d.DeploymentV1SpecTemplateSpecContainerVolumeMount(name="filter-tmp", mount_path="/tmp"),
            ],
        )

    def _volumes(self, props: WorkloadProps):
        d = k8s.deployment_v1
        config = props.config
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
                            storage_class_name=props.inputs.storage_class_name,
                            resources=d.DeploymentV1SpecTemplateSpecVolumeEphemeralVolumeClaimTemplateSpecResources(
                                requests={"storage": props.inputs.storage_size}
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
        cache = config.specific.model_cache
        if cache and cache.enabled:
            volumes.append(
                d.DeploymentV1SpecTemplateSpecVolume(
                    name="model-cache",
                    empty_dir=d.DeploymentV1SpecTemplateSpecVolumeEmptyDir(size_limit=props.inputs.model_cache_size),
                )
            )
        if config.security.content_filtering.enabled:
            volumes.append(
                d.DeploymentV1SpecTemplateSpecVolume(
                    name="filter-tmp", empty_dir=d.DeploymentV1SpecTemplateSpecVolumeEmptyDir(size_limit="256Mi")
                )
            )
        volumes += [
            d.DeploymentV1SpecTemplateSpecVolume(
                name=f"secret-{secret}",
                # Optional: the pod starts before the cloud layer's secret sync has run once.
                secret=d.DeploymentV1SpecTemplateSpecVolumeSecret(secret_name=name, optional=True),
            )
            for secret, name in zip(config.security.secrets, props.secret_names)
        ]
        return volumes


def _filter_resources(props: WorkloadProps, side: str) -> dict[str, str]:
    """``{"cpu": "${<input>.<side>.cpu}", ...}``: one reference per key, so the manifest (and
    checkov) sees which resources are set."""
    resources = inner(props.inputs.content_filter_resources)
    return {name: f"${{{resources}.{side}.{name}}}" for name in FILTER_RESOURCES[side]}


def render_policies(props: WorkloadProps) -> str:
    """The ConfigMap document: data policies and the type-specific settings, as YAML."""
    config = props.config
    document = {
        "data_type": config.data_type,
        "data_policies": config.data_policies.model_dump(mode="json"),
        "specific": config.specific.model_dump(mode="json", exclude_none=True),
        "storage": {"compression": config.storage.compression, "cdn_enabled": config.storage.cdn_enabled},
    }
    return yaml.safe_dump(document, sort_keys=True)
