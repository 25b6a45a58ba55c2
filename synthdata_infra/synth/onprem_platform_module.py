"""The on-premises platform stack: ``modules_out/onprem/platform/``.

Applied once per cluster before its first service: the platform core (cert-manager and the
ClusterIssuer, ingress-nginx, KEDA, External Secrets Operator, the DCGM exporter on GPU nodes,
the NVIDIA device plugin when asked, the catalog's StorageClasses on the operator's CSI driver)
and kube-prometheus-stack as the metrics backend (Prometheus operator, kube-state-metrics,
Grafana). No cloud resources. External Secrets takes its store from the environment (the
services' ExternalSecrets name a ClusterSecretStore the operators create), and KEDA queries
the in-cluster Prometheus without authentication.
"""

from __future__ import annotations

from synthdata_infra.cdk import Construct
from synthdata_infra.components.platform.core import PlatformCore, PlatformCoreProps
from synthdata_infra.components.platform.onprem import KUBE_PROMETHEUS_STACK, KUBE_PROMETHEUS_STACK_VALUES, PROMETHEUS_URL
from synthdata_infra.synth.module_stack import ModuleDoc, ModuleStack
from synthdata_infra.synth.platform_inputs import core_inputs, core_outputs


def build(scope: Construct, stack_id: str, _config: None) -> ModuleStack:
    stack = ModuleStack(
        scope,
        stack_id,
        providers=("kubernetes", "helm"),
        doc=ModuleDoc(
            label="platform",
            title="synthdata platform (on-premises Kubernetes)",
            summary=(
                "Apply once per cluster, before the monitoring module and the services. Installs pinned Helm charts: "
                "kube-prometheus-stack (Prometheus operator, Prometheus, Alertmanager, Grafana, kube-state-metrics, node "
                "exporter), cert-manager with the `letsencrypt` ClusterIssuer (ACME http-01 through nginx), ingress-nginx "
                "(IngressClass `nginx`), KEDA, External Secrets Operator, the NVIDIA DCGM exporter on GPU nodes and, when "
                "`enable_device_plugin` is true, the NVIDIA device plugin; and the synthdata StorageClasses on your CSI "
                "driver (`storage_provisioner`). Each namespace gets Pod Security labels: restricted, except `nvidia-gpu` "
                "and `node-exporter` (privileged: host access). The ClusterIssuer needs cert-manager's CRDs at plan time: "
                "apply with `enable_crds = false` first on a new cluster."
            ),
            source="../../modules_out/onprem/platform",
        ),
    )
    v = stack.variable
    inputs = core_inputs(stack)
    storage_provisioner = v(
        "storage_provisioner",
        type="string",
        description="Provisioner of your CSI driver (e.g. rook-ceph.rbd.csi.ceph.com) behind every synthdata StorageClass except node-local NVMe.",
        example='"rook-ceph.rbd.csi.ceph.com"',
        validation=[{"condition": '${length(var.storage_provisioner) > 0}', "error_message": "storage_provisioner must name a CSI driver."}],
    )
    storage_parameters = v(
        "storage_parameters",
        type="map(map(string))",
        description="CSI parameters per StorageClass name (e.g. the pool of each tier); a class not listed gets none.",
        default={},
    )
    enable_device_plugin = v(
        "enable_device_plugin",
        type="bool",
        description="Install the NVIDIA device plugin on GPU nodes (false when the NVIDIA GPU operator or the nodes' own setup provides nvidia.com/gpu).",
        default=False,
    )

    core = PlatformCore(
        stack,
        "platform",
        PlatformCoreProps(
            provider="onprem",
            acme_email=inputs.acme_email,
            acme_server=inputs.acme_server,
            enable_crds=inputs.enable_crds,
            device_plugin=enable_device_plugin,
            kube_state_metrics=False,  # kube-prometheus-stack brings it
            extra_charts=(KUBE_PROMETHEUS_STACK,),
            values={KUBE_PROMETHEUS_STACK: KUBE_PROMETHEUS_STACK_VALUES},
            storage_provisioner=storage_provisioner,
            storage_parameters_by_class=storage_parameters,
        ),
    )
    core_outputs(stack, core)
    stack.output("prometheus_url", PROMETHEUS_URL, "In-cluster URL of the Prometheus KEDA and the services' scaling queries read.")
    stack.output("monitoring_namespace", core.namespaces["monitoring"], "Namespace of kube-prometheus-stack: the monitoring module's `namespace`.")
    stack.check_logical_ids()
    return stack
