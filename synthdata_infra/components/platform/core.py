"""PlatformCore: what every cluster needs before its first service, the same on every provider.

The pinned charts of ``charts.py`` (cert-manager with its CRDs, ingress-nginx, KEDA, External
Secrets Operator, kube-state-metrics, the DCGM exporter on GPU nodes, the NVIDIA device plugin
where the cloud lacks it, and any provider chart named in ``extra_charts``), each in a namespace
the core creates with Pod Security Admission labels (``restricted`` unless the chart needs the
host, see ``Chart.pod_security``); the cert-manager ClusterIssuer the profiles name; and the
StorageClasses the catalog names for the provider.

A provider's platform module builds one ``PlatformCore`` and adds its cloud parts around it
(IAM for the charts' service accounts, the KEDA ClusterTriggerAuthentication, the metrics
collector): chart values it needs go in ``values`` (merged over the core's), charts only it
installs in ``extra_charts``, the storage encryption parameter in ``storage_parameters``.

Chart values are written as one JSON document per release (``values``), so the generated
module shows exactly what each chart gets. A string value may be a Terraform interpolation
(``"${aws_iam_role.keda.arn}"``): it is rendered inside the JSON string.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from synthdata_infra.catalog import storage_class_for, storage_classes
from synthdata_infra.cdk import Construct, helm, kubernetes as k8s
from synthdata_infra.components.expressions import as_map, count_if, hcl_value, inner, named, stable_id
from synthdata_infra.components.node_placement import ACCELERATOR_LABEL, GPU_TAINT_KEY
from synthdata_infra.components.platform.charts import CHARTS, EXTRA_NAMESPACES, Chart
from synthdata_infra.naming import CLUSTER_ISSUER, INGRESS_CLASS, INGRESS_NAMESPACE

SERVICE_MONITOR = ("monitoring.coreos.com/v1", "ServiceMonitor")
# Namespaces every cluster has: a chart placed there gets no namespace from the core.
EXISTING_NAMESPACES = ("kube-system",)
# Charts the core installs, in this order; the GPU ones and kube-state-metrics behind props flags.
# Core charts whose values create ServiceMonitors (when a chart serving the CRD is installed).
MONITORED_CHARTS = ("ingress-nginx", "kube-state-metrics", "dcgm-exporter")
CORE_CHARTS = ("cert-manager", "ingress-nginx", "keda", "external-secrets", "kube-state-metrics", "dcgm-exporter", "nvidia-device-plugin")
NO_PROVISIONER = "kubernetes.io/no-provisioner"  # static local PVs (node NVMe): nothing to pass a key or provisioner to
LETS_ENCRYPT = "https://acme-v02.api.letsencrypt.org/directory"
ACME_ACCOUNT_KEY = f"{CLUSTER_ISSUER}-account-key"  # Secret cert-manager keeps the ACME account key in
MANAGED_BY = {"app.kubernetes.io/managed-by": "synthdata-infra", "app.kubernetes.io/part-of": "synthdata-platform"}
POD_SECURITY_REASON = "synthdata.io/pod-security-reason"  # annotation on namespaces labelled below restricted

# GPU nodes: the cloud node pools label them ACCELERATOR_LABEL=<model> and taint them GPU_TAINT_KEY
# (components/node_placement.py); the workload's GPU pods select the label and tolerate the taint.
# The GPU daemon sets do the same, so they run on every GPU node and on no other.
GPU_NODE_AFFINITY = {
    "nodeAffinity": {
        "requiredDuringSchedulingIgnoredDuringExecution": {
            "nodeSelectorTerms": [{"matchExpressions": [{"key": ACCELERATOR_LABEL, "operator": "Exists"}]}]
        }
    }
}
GPU_TOLERATION = {"key": GPU_TAINT_KEY, "operator": "Exists", "effect": "NoSchedule"}


class PlatformCoreProps(BaseModel):
    """What a provider's platform module gives the core. Strings are Terraform expressions
    (``${var.acme_email}``) unless said otherwise."""

    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)

    provider: str  # the catalog's provider name: which StorageClasses (storage_class_for) to create
    acme_email: str  # string: the ACME account's contact e-mail
    acme_server: str  # string: the ACME directory URL (default in modules: Let's Encrypt production)
    enable_crds: str  # bool: create the custom resources (ClusterIssuer); their CRDs must exist at plan time
    # NVIDIA device plugin: True where the cloud does not advertise nvidia.com/gpu itself (EKS), or a
    # bool expression (an input). Default: not installed (GKE and AKS install their own).
    device_plugin: bool | str = False
    dcgm_exporter: bool = True  # the DCGM exporter on GPU nodes (default: installed)
    # kube-state-metrics from its own chart; False where another chart brings it (kube-prometheus-stack).
    kube_state_metrics: bool = True
    extra_charts: tuple[str, ...] = ()  # provider charts (CHARTS keys) installed before the core's, in this order
    # Chart values by component, deep-merged over the core's (mappings merge, anything else replaces).
    values: dict[str, dict[str, Any]] = Field(default_factory=dict)
    # Labels of the ServiceMonitors the charts create when an installed chart serves the ServiceMonitor CRD
    # (what the Prometheus's serviceMonitorSelector matches; default: none needed).
    service_monitor_labels: dict[str, str] = Field(default_factory=dict)
    # StorageClasses: the catalog's provisioner and parameters, then these. ``storage_provisioner``
    # replaces the provisioner of dynamically provisioned classes (on-prem: the operator's CSI driver);
    # ``storage_parameters`` is added to each of them (the cloud's encryption key parameter), as a
    # mapping of expressions or one map(string) expression; ``storage_parameters_by_class`` is a
    # map(map(string)) expression keyed by StorageClass name, added last.
    storage_provisioner: str | None = None
    storage_parameters: dict[str, str] | str = Field(default_factory=dict)
    storage_parameters_by_class: str | None = None


class PlatformCore(Construct):
    """Namespaces, chart releases, the ClusterIssuer and the StorageClasses.

    ``releases`` (component -> helm_release) and ``namespaces`` (name -> expression that orders a
    reference after the namespace exists) are for the provider module's own objects;
    ``storage_class_names`` lists every StorageClass created."""

    def __init__(self, scope: Construct, construct_id: str, props: PlatformCoreProps) -> None:
        super().__init__(scope, construct_id)
        unknown = sorted(set(props.extra_charts) - CHARTS.keys())
        if unknown:
            raise ValueError(f"extra_charts names charts missing from components/platform/charts.py: {', '.join(unknown)}")
        overlap = sorted(set(props.extra_charts) & set(CORE_CHARTS))
        if overlap:
            raise ValueError(f"extra_charts names charts the core installs itself: {', '.join(overlap)}")
        stray = sorted(set(props.values) - set(CORE_CHARTS) - set(props.extra_charts))
        if stray:
            raise ValueError(f"values given for charts not installed: {', '.join(stray)}")
        self._props = props
        self.namespaces: dict[str, str] = {}
        self._namespace_resources: dict[str, Any] = {}
        self.releases: dict[str, Any] = {}

        for component in props.extra_charts:
            self._install(CHARTS[component], props.values.get(component, {}))
        crd_sources = [self.releases[c] for c in props.extra_charts if CHARTS[c].serves(*SERVICE_MONITOR)]
        self.service_monitors = bool(crd_sources)
        monitor_deps = crd_sources  # charts that create ServiceMonitors install after the CRD's chart

        defaults = self._core_values()
        for component in CORE_CHARTS:
            flag = self._enabled(component)
            if flag is False:
                continue
            chart = CHARTS[component]
            values = _deep_merge(defaults.get(component, {}), props.values.get(component, {}))
            release = self._install(chart, values, depends_on=monitor_deps if component in MONITORED_CHARTS else None)
            if isinstance(flag, str):
                release.add_override("count", count_if(flag))

        self._cluster_issuer()
        self.storage_class_names = self._storage_classes()

    # -- charts ---------------------------------------------------------------------------

    def _enabled(self, component: str) -> bool | str:
        props = self._props
        return {
            "kube-state-metrics": props.kube_state_metrics,
            "dcgm-exporter": props.dcgm_exporter,
            "nvidia-device-plugin": props.device_plugin,
        }.get(component, True)

    def _core_values(self) -> dict[str, dict[str, Any]]:
        monitors = self.service_monitors
        labels = dict(self._props.service_monitor_labels)
        return {
            # Keys checked against each chart's values.yaml at the version in charts.py.
            "cert-manager": {
                "crds": {"enabled": True, "keep": True},  # CRDs from the chart, kept if the release is removed
                # Leader election in its own namespace instead of kube-system (no rights there needed).
                "global": {"leaderElection": {"namespace": CHARTS["cert-manager"].namespace}},
            },
            "ingress-nginx": {
                "controller": {
                    "ingressClass": INGRESS_CLASS,
                    "ingressClassResource": {"enabled": True, "name": INGRESS_CLASS, "default": False},
                    "metrics": {"enabled": True, "serviceMonitor": {"enabled": monitors, "additionalLabels": labels}},
                }
            },
            "keda": {"crds": {"install": True}},
            "external-secrets": {"installCRDs": True},
            "kube-state-metrics": {
                # honorLabels keeps the objects' own namespace/pod labels (else they become exported_*).
                "prometheus": {"monitor": {"enabled": monitors, "additionalLabels": labels, "http": {"honorLabels": True}}},
            },
            "dcgm-exporter": {
                "affinity": GPU_NODE_AFFINITY,
                "tolerations": [GPU_TOLERATION],
                # The chart creates a ServiceMonitor by default: only where the CRD is served. honorLabels
                # keeps the namespace/pod of the pod using each GPU, which the scaling queries select on.
                "serviceMonitor": {"enabled": monitors, "honorLabels": True, "additionalLabels": labels},
            },
            "nvidia-device-plugin": {
                # The chart's default affinity wants node-feature-discovery labels nothing sets here.
                "affinity": GPU_NODE_AFFINITY,
                "tolerations": [{"key": "CriticalAddonsOnly", "operator": "Exists"}, GPU_TOLERATION],
            },
        }

    def namespace(self, name: str) -> str:
        """The namespace ``name`` (created once, labelled for the strictest Pod Security level every
        chart placed in it allows); an expression that orders its users after it."""
        if name in EXISTING_NAMESPACES:
            return name
        if name not in self.namespaces:
            level, reason = _pod_security(name)
            ns = k8s.namespace_v1
            created = named(
                ns.NamespaceV1(
                    self,
                    f"namespace_{name}",
                    metadata=ns.NamespaceV1Metadata(
                        name=name,
                        labels={**MANAGED_BY, **{f"pod-security.kubernetes.io/{mode}": level for mode in ("enforce", "audit", "warn")}},
                        annotations={POD_SECURITY_REASON: reason} if reason else None,
                    ),
                )
            )
            self._namespace_resources[name] = created
            self.namespaces[name] = f"${{kubernetes_namespace_v1.{stable_id(created)}.metadata[0].name}}"
        return self.namespaces[name]

    def _install(self, chart: Chart, values: dict[str, Any], depends_on: list[Any] | None = None) -> Any:
        namespace = self.namespace(chart.namespace)
        # Namespaces the chart's values place pods in besides its own (referenced by name only).
        extra = [name for name, (owner, _, _) in EXTRA_NAMESPACES.items() if owner == chart.component]
        for name in extra:
            self.namespace(name)
        extra = [self._namespace_resources[name] for name in extra]
        release = named(
            helm.release.Release(
                self,
                chart.component,
                name=chart.component,
                repository=chart.repository,
                chart=chart.chart,
                version=chart.version,
                namespace=namespace,
                values=[json.dumps(values, indent=2, sort_keys=True)] if values else None,
                depends_on=[*(depends_on or []), *extra] or None,
            )
        )
        self.releases[chart.component] = release
        return release

    # -- cert-manager ---------------------------------------------------------------------

    def _cluster_issuer(self) -> None:
        props = self._props
        issuer = named(
            k8s.manifest.Manifest(
                self,
                "cluster_issuer",
                manifest={
                    "apiVersion": "cert-manager.io/v1",
                    "kind": "ClusterIssuer",
                    "metadata": {"name": CLUSTER_ISSUER, "labels": MANAGED_BY},
                    "spec": {
                        "acme": {
                            "email": props.acme_email,
                            "server": props.acme_server,
                            "privateKeySecretRef": {"name": ACME_ACCOUNT_KEY},
                            # http-01 answered through the nginx IngressClass the services' Ingresses use.
                            "solvers": [{"http01": {"ingress": {"ingressClassName": INGRESS_CLASS}}}],
                        }
                    },
                },
                depends_on=[self.releases["cert-manager"], self.releases["ingress-nginx"]],
            )
        )
        issuer.add_override("count", count_if(props.enable_crds))
        self.cluster_issuer = f"${{one(kubernetes_manifest.{stable_id(issuer)}[*].manifest.metadata.name)}}"

    # -- storage --------------------------------------------------------------------------

    def _storage_classes(self) -> list[str]:
        props = self._props
        sc = k8s.storage_class_v1
        names = []
        for storage_class in storage_classes():
            mapping = storage_class_for(props.provider, storage_class)
            dynamic = mapping.provisioner != NO_PROVISIONER
            named(
                sc.StorageClassV1(
                    self,
                    f"storage_class_{storage_class.replace('-', '_')}",
                    metadata=sc.StorageClassV1Metadata(name=mapping.storage_class_name, labels=MANAGED_BY),
                    storage_provisioner=(props.storage_provisioner or mapping.provisioner) if dynamic else mapping.provisioner,
                    parameters=self._parameters(mapping.storage_class_name, dict(mapping.parameters)) if dynamic else None,
                    # Zonal disks and local PVs bind where the pod lands.
                    volume_binding_mode="WaitForFirstConsumer",
                    allow_volume_expansion=dynamic,
                    # Per-pod working volumes: a generator's durable output is its bucket, so a released
                    # volume is deleted with its claim.
                    reclaim_policy="Delete",
                )
            )
            names.append(mapping.storage_class_name)
        return names

    def _parameters(self, name: str, catalog: dict[str, str]) -> Any:
        props = self._props
        extra = props.storage_parameters
        if isinstance(extra, dict) and props.storage_parameters_by_class is None:
            merged = {**catalog, **extra}
            return merged or None
        parts = [hcl_value(catalog)] if catalog else []
        if extra:
            parts.append(hcl_value(extra) if isinstance(extra, dict) else inner(extra))
        if props.storage_parameters_by_class is not None:
            parts.append(f'lookup({inner(props.storage_parameters_by_class)}, "{name}", {{}})')
        return as_map(f"${{merge({', '.join(parts)})}}")


def _pod_security(namespace: str) -> tuple[str, str]:
    """The Pod Security level of ``namespace``: the least strict any chart placed in it needs."""
    order = ("restricted", "baseline", "privileged")
    needs = [(chart.pod_security, chart.pod_security_reason) for chart in CHARTS.values() if chart.namespace == namespace]
    needs += [(level, reason) for name, (_, level, reason) in EXTRA_NAMESPACES.items() if name == namespace]
    if not needs:
        return "restricted", ""
    level = max((level for level, _ in needs), key=order.index)
    reasons = sorted({reason for each, reason in needs if each == level and reason})
    return level, "; ".join(reasons)


def _deep_merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    merged = copy.deepcopy(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged
