"""ServiceExposure: the cluster Service and, when a host is given, a TLS Ingress."""

from __future__ import annotations

from synthdata_infra.cdk import Construct, kubernetes as k8s
from pydantic import BaseModel, ConfigDict

from synthdata_infra.components.expressions import inner, named
from synthdata_infra.components.workload_props import WorkloadObjectProps
from synthdata_infra.config.models import CLUSTER_ISSUER_ANNOTATION

SERVICE_PORT = 80


class IngressProps(BaseModel):
    """The profile's Ingress; it is created when ``enabled`` holds and ``host`` is not null."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    host: str  # string or null expression
    enabled: str  # bool expression (the module's enable_ingress)
    class_name: str  # string expression: the ingress controller's IngressClass
    tls: bool  # a certificate from cert_manager_issuer, HTTPS endpoint
    cluster_issuer: str | None  # string expression with TLS; None without
    annotations: dict[str, str]  # the profile's


class ServiceExposureProps(WorkloadObjectProps):
    service_type: str  # the profile's Service type
    metrics_port: int
    ingress: IngressProps | None  # None: the profile has no Ingress


class ServiceExposure(Construct):
    def __init__(self, scope: Construct, construct_id: str, props: ServiceExposureProps) -> None:
        super().__init__(scope, construct_id)
        s = k8s.service_v1
        labels = props.object_labels
        self.service = named(s.ServiceV1(
            self,
            "service",
            metadata=s.ServiceV1Metadata(name=props.name, namespace=props.namespace, labels=labels),
            spec=s.ServiceV1Spec(
                type=props.service_type,
                selector=props.selector_labels,
                port=[
                    s.ServiceV1SpecPort(name="http", port=SERVICE_PORT, target_port="http", protocol="TCP"),
                    s.ServiceV1SpecPort(
                        name="metrics", port=props.metrics_port, target_port="metrics", protocol="TCP"
                    ),
                ],
            ),
        ))
        cluster_endpoint = (
            f"http://{props.name}.{props.namespace}.svc.cluster.local"
        )
        self.endpoint = cluster_endpoint
        ingress = props.ingress
        if ingress is None:
            return

        i = k8s.ingress_v1
        host = ingress.host
        tls = [i.IngressV1SpecTls(hosts=[host], secret_name=props.suffixed("tls"))] if ingress.tls else None
        annotations = dict(ingress.annotations)
        if ingress.tls:
            annotations[CLUSTER_ISSUER_ANNOTATION] = ingress.cluster_issuer
        created = named(i.IngressV1(
            self,
            "ingress",
            metadata=i.IngressV1Metadata(
                name=props.name, namespace=props.namespace, labels=labels, annotations=annotations
            ),
            spec=i.IngressV1Spec(
                ingress_class_name=ingress.class_name,
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
        exists = f"{inner(ingress.enabled)} && {inner(host)} != null"
        created.add_override("count", f"${{{exists} ? 1 : 0}}")
        scheme = "https" if ingress.tls else "http"
        self.endpoint = f"${{{exists} ? \"{scheme}://${{{inner(host)}}}\" : \"{cluster_endpoint}\"}}"
