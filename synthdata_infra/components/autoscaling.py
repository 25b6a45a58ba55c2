"""Autoscaling from the profile's scaling policy: a KEDA ScaledObject (the default), or an HPA v2.

KEDA is the default because the platform module installs it and it authenticates natively to
each provider's managed Prometheus (AMP with SigV4, GMP, Azure Monitor) through the platform's
``ClusterTriggerAuthentication``; the HPA's Pods/External metrics would need a metrics adapter
with an auth proxy per cloud. The ScaledObject is a custom resource (``kubernetes_manifest``
needs the KEDA CRDs at plan time): ``enable_keda = false`` plans without them and creates the HPA
instead (KEDA manages its own HPA otherwise).

Trigger fields are those of KEDA's prometheus scaler (keda.sh/docs/latest/scalers/prometheus):
serverAddress, query, threshold (a string), and ``awsRegion``, which signs the queries to Amazon
Managed Service for Prometheus with SigV4 (KEDA 2.13+, kedacore/keda#5373); ``authenticationRef``
names the platform's ClusterTriggerAuthentication (keda.sh/docs/latest/concepts/authentication).
"""

from __future__ import annotations

import json

from synthdata_infra.cdk import Construct, kubernetes as k8s
from synthdata_infra.components.expressions import as_number, count_if, hcl_value, inner, named
from synthdata_infra.components.workload_props import WorkloadObjectProps
from synthdata_infra.config.models import ScalingTrigger
from synthdata_infra.monitoring.scaling_signals import SIGNALS, quantity

# Scale-up behaviour by the most urgent trigger of the profile.
SCALE_UP = {
    "high": {"stabilization_window_seconds": 0, "policies": [("Percent", 100, 15), ("Pods", 4, 15)]},
    "medium": {"stabilization_window_seconds": 60, "policies": [("Percent", 50, 60), ("Pods", 2, 60)]},
    "low": {"stabilization_window_seconds": 180, "policies": [("Pods", 1, 120)]},
}
# Scale down slowly: generators hold warm models, and a replica lost mid-batch loses its work.
SCALE_DOWN = {"stabilization_window_seconds": 300, "policies": [("Percent", 10, 60)]}
URGENCY_ORDER = ("low", "medium", "high")


def most_urgent(triggers: tuple[ScalingTrigger, ...]) -> str:
    return max((t.urgency for t in triggers), key=URGENCY_ORDER.index, default="medium")


class AutoscalingProps(WorkloadObjectProps):
    deployment: str  # the Deployment scaled
    triggers: tuple[ScalingTrigger, ...]  # the profile's
    min_replicas: str  # number expressions
    max_replicas: str
    enable_keda: str  # bool expression: a KEDA ScaledObject instead of the HPA
    prometheus_url: str  # string expression: what KEDA queries
    prometheus_aws_region: str  # string-or-null expression: the AMP region KEDA signs queries for
    keda_authentication: str  # string-or-null expression: the ClusterTriggerAuthentication of the triggers


class Autoscaling(Construct):
    def __init__(self, scope: Construct, construct_id: str, props: AutoscalingProps) -> None:
        super().__init__(scope, construct_id)
        h = k8s.horizontal_pod_autoscaler_v2
        deployment = props.deployment
        triggers = props.triggers
        urgency = most_urgent(triggers)
        labels = props.object_labels

        hpa = named(h.HorizontalPodAutoscalerV2(
            self,
            "hpa",
            metadata=h.HorizontalPodAutoscalerV2Metadata(name=props.name, namespace=props.namespace, labels=labels),
            spec=h.HorizontalPodAutoscalerV2Spec(
                min_replicas=as_number(props.min_replicas),
                max_replicas=as_number(props.max_replicas),
                scale_target_ref=h.HorizontalPodAutoscalerV2SpecScaleTargetRef(
                    api_version="apps/v1", kind="Deployment", name=deployment
                ),
                metric=[self._hpa_metric(trigger, props) for trigger in triggers],
                behavior=h.HorizontalPodAutoscalerV2SpecBehavior(
                    scale_up=[self._rules(h.HorizontalPodAutoscalerV2SpecBehaviorScaleUp, h.HorizontalPodAutoscalerV2SpecBehaviorScaleUpPolicy, SCALE_UP[urgency], "Max")],
                    scale_down=[self._rules(h.HorizontalPodAutoscalerV2SpecBehaviorScaleDown, h.HorizontalPodAutoscalerV2SpecBehaviorScaleDownPolicy, SCALE_DOWN, "Min")],
                ),
            ),
        ))
        hpa.add_override("count", f"${{{inner(props.enable_keda)} ? 0 : 1}}")

        m = k8s.manifest
        selector = f'namespace="{props.namespace}", pod=~"{props.name}-.*"'
        keda = named(m.Manifest(
            self,
            "keda",
            manifest={
                "apiVersion": "keda.sh/v1alpha1",
                "kind": "ScaledObject",
                "metadata": {"name": props.name, "namespace": props.namespace, "labels": labels},
                "spec": {
                    "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": deployment},
                    "minReplicaCount": as_number(props.min_replicas),
                    "maxReplicaCount": as_number(props.max_replicas),
                    "advanced": {
                        "horizontalPodAutoscalerConfig": {
                            "behavior": {
                                "scaleUp": _camel_rules(SCALE_UP[urgency], "Max"),
                                "scaleDown": _camel_rules(SCALE_DOWN, "Min"),
                            }
                        }
                    },
                    "triggers": [_trigger(trigger, props, selector) for trigger in triggers],
                },
            },
        ))
        keda.add_override("count", count_if(props.enable_keda))

    @staticmethod
    def _rules(rule_cls, policy_cls, spec: dict, select: str):
        return rule_cls(
            stabilization_window_seconds=spec["stabilization_window_seconds"],
            select_policy=select,
            policy=[policy_cls(type=kind, value=value, period_seconds=period) for kind, value, period in spec["policies"]],
        )

    @staticmethod
    def _hpa_metric(trigger: ScalingTrigger, props: AutoscalingProps):
        h = k8s.horizontal_pod_autoscaler_v2
        signal = SIGNALS[trigger.metric]
        value = trigger.threshold * signal.hpa_scale
        if signal.source == "resource":
            return h.HorizontalPodAutoscalerV2SpecMetric(
                type="Resource",
                resource=h.HorizontalPodAutoscalerV2SpecMetricResource(
                    name=signal.name,
                    target=h.HorizontalPodAutoscalerV2SpecMetricResourceTarget(
                        type="Utilization", average_utilization=round(value)
                    ),
                ),
            )
        if signal.source == "pods":
            return h.HorizontalPodAutoscalerV2SpecMetric(
                type="Pods",
                pods=h.HorizontalPodAutoscalerV2SpecMetricPods(
                    metric=h.HorizontalPodAutoscalerV2SpecMetricPodsMetric(name=signal.name),
                    target=h.HorizontalPodAutoscalerV2SpecMetricPodsTarget(
                        type="AverageValue", average_value=quantity(value)
                    ),
                ),
            )
        target = (
            h.HorizontalPodAutoscalerV2SpecMetricExternalTarget(type="Value", value=quantity(value))
            if signal.target == "Value"
            else h.HorizontalPodAutoscalerV2SpecMetricExternalTarget(type="AverageValue", average_value=quantity(value))
        )
        return h.HorizontalPodAutoscalerV2SpecMetric(
            type="External",
            external=h.HorizontalPodAutoscalerV2SpecMetricExternal(
                metric=h.HorizontalPodAutoscalerV2SpecMetricExternalMetric(
                    name=signal.name,
                    selector=[
                        h.HorizontalPodAutoscalerV2SpecMetricExternalMetricSelector(match_labels={"service": props.name})
                    ],
                ),
                target=target,
            ),
        )


def _trigger(trigger: ScalingTrigger, props: AutoscalingProps, selector: str) -> str:
    """One prometheus trigger, as an expression: ``awsRegion`` and ``authenticationRef`` are there
    only when their inputs are not null."""
    metadata = hcl_value(
        {
            "serverAddress": props.prometheus_url,
            "query": SIGNALS[trigger.metric].query.format(selector=selector, service=props.name),
            "threshold": str(trigger.threshold),
        }
    )
    region, auth = inner(props.prometheus_aws_region), inner(props.keda_authentication)
    base = f'{{type = "prometheus", name = {json.dumps(trigger.metric)}, metadata = merge({metadata}, {region} == null ? {{}} : {{awsRegion = {region}}})}}'
    ref = f'{auth} == null ? {{}} : {{authenticationRef = {{name = {auth}, kind = "ClusterTriggerAuthentication"}}}}'
    return f"${{merge({base}, {ref})}}"


def _camel_rules(spec: dict, select: str) -> dict:
    return {
        "stabilizationWindowSeconds": spec["stabilization_window_seconds"],
        "selectPolicy": select,
        "policies": [{"type": kind, "value": value, "periodSeconds": period} for kind, value, period in spec["policies"]],
    }
