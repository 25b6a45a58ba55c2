"""ServiceExposure: the cluster Service and, when a host is given, a TLS Ingress."""

from __future__ import annotations

from synthdata_infra.cdk import Construct, kubernetes as k8s
from synthdata_infra.components.expressions import inner, merged_map, named
from synthdata_infra.components.workload_props import WorkloadProps

SERVICE_PORT = 80
# cert-manager's ingress-shim issues the TLS certificate from the ClusterIssuer named here.
CLUSTER_ISSUER_ANNOTATION = "cert-manager.io/cluster-issuer"


class ServiceExposure(Construct):
    def __init__(self, scope: Construct, construct_id: str, props: WorkloadProps) -> None:
        super().__init__(scope, construct_id)
        s = k8s.service_v1
        inputs, networking = props.inputs, props.config.networking
        labels = merged_map(inputs.labels, props.selector_labels)
        self.service = named(s.ServiceV1(
            self,
            "service",
            metadata=s.ServiceV1Metadata(name=props.name(), namespace=inputs.namespace, labels=labels),
            spec=s.ServiceV1Spec(
                type=networking.service_type,
                selector=props.selector_labels,
                port=[
                    s.ServiceV1SpecPort(name="http", port=SERVICE_PORT, target_port="http", protocol="TCP"),
                    s.ServiceV1SpecPort(
                        name="metrics", port=networking.metrics_port, target_port="metrics", protocol="TCP"
                    ),
                ],
            ),
        ))
        cluster_endpoint = (
            f"http://{props.name()}.{inputs.namespace}.svc.cluster.local"
        )
        self.endpoint = cluster_endpoint
        ingress = networking.ingress
        if not ingress.enabled:
            return

        i = k8s.ingress_v1
        host = inputs.ingress_host
        tls = [i.IngressV1SpecTls(hosts=[host], secret_name=props.name("tls"))] if ingress.tls else None
        annotations = dict(ingress.annotations)
        if ingress.tls:
            annotations[CLUSTER_ISSUER_ANNOTATION] = inputs.cluster_issuer
        created = named(i.IngressV1(
            self,
            "ingress",
            metadata=i.IngressV1Metadata(
                name=props.name(), namespace=inputs.namespace, labels=labels, annotations=annotations
            ),
            spec=i.IngressV1Spec(
                ingress_class_name=inputs.ingress_class_name,
                tls=tls,
                rule=[
                    i.IngressV1SpecRule(
                        host=host,
                        http=i.IngressV1SpecRuleHttp(
                            path=[
                                i.IngressV1SpecRuleHttpPath(
                                    path="/",
                                    path_type="Prefix",
                                    backend=i.IngressV1SpecRuleHttpPathBackend(
                                        service=i.IngressV1SpecRuleHttpPathBackendService(
                                            name=self.service.metadata.name,
                                            port=i.IngressV1SpecRuleHttpPathBackendServicePort(name="http"),
                                        )
                                    ),
                                )
                            ]
                        ),
                    )
                ],
            ),
        ))
        created.add_override("count", f"${{{inner(host)} == null ? 0 : 1}}")
        scheme = "https" if ingress.tls else "http"
        self.endpoint = f"${{{inner(host)} == null ? \"{cluster_endpoint}\" : \"{scheme}://${{{inner(host)}}}\"}}"
