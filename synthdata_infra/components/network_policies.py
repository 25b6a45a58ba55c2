"""NetworkPolicies: deny everything, then allow exactly what a generator needs.

What differs per provider comes in as inputs the root fills: the namespace whose collectors
scrape the metrics port (AWS and on premises: the Prometheus in ``monitoring``; GKE: the managed
collectors in ``gmp-system``; AKS: the ama-metrics pods in ``kube-system``), and on GKE egress to
the GKE metadata server, which Workload Identity hands tokens out through. The External Secrets
Operator and KEDA talk to the cloud APIs and Prometheus, never to the pod: nothing inbound for them.
"""

from __future__ import annotations

from synthdata_infra.cdk import Construct, kubernetes as k8s
from synthdata_infra.components.expressions import count_if, named
from synthdata_infra.components.workload_props import WorkloadObjectProps

NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"
# Cloud instance metadata endpoints hand out node credentials; pods never need them.
METADATA_ADDRESSES = ["169.254.169.254/32", "fd00:ec2::254/128"]
# GKE Workload Identity Federation with network policies (cloud.google.com/kubernetes-engine/docs/
# concepts/workload-identity, "Limitations"): egress to 169.254.169.252/32 port 988 (the GKE metadata
# server, GKE 1.21+), and to 169.254.169.254/32 port 80 on GKE Dataplane V2 clusters.
GKE_METADATA_SERVER = (("169.254.169.252/32", "988"), ("169.254.169.254/32", "80"))


class NetworkPoliciesProps(WorkloadObjectProps):
    port: int  # the generator's service port: the ingress controller may reach it
    metrics_port: int  # the monitoring namespace may scrape it
    ingress_controller_namespace: str  # string expression
    monitoring_namespace: str  # string expression
    allow_gke_metadata_server: str  # bool expression: egress to the GKE metadata server (Workload Identity)


class NetworkPolicies(Construct):
    def __init__(self, scope: Construct, construct_id: str, props: NetworkPoliciesProps) -> None:
        super().__init__(scope, construct_id)
        n = k8s.network_policy_v1
        labels = props.object_labels
        pods = n.NetworkPolicyV1SpecPodSelector(match_labels=props.selector_labels)

        def policy(policy_id: str, spec):
            return named(n.NetworkPolicyV1(
                self,
                policy_id,
                metadata=n.NetworkPolicyV1Metadata(
                    name=props.suffixed(policy_id.replace("_", "-")), namespace=props.namespace, labels=labels
                ),
                spec=spec,
            ))

        # Every pod of the namespace: objects added later start closed, not open.
        policy(
            "default_deny",
            n.NetworkPolicyV1Spec(pod_selector=n.NetworkPolicyV1SpecPodSelector(), policy_types=["Ingress", "Egress"]),
        )
        policy(
            "allow_ingress_controller",
            n.NetworkPolicyV1Spec(
                pod_selector=pods,
                policy_types=["Ingress"],
                ingress=[
                    n.NetworkPolicyV1SpecIngress(
                        from_=[_from_namespace(props.ingress_controller_namespace)],
                        ports=[n.NetworkPolicyV1SpecIngressPorts(port=str(props.port), protocol="TCP")],
                    )
                ],
            ),
        )
        policy(
            "allow_monitoring",
            n.NetworkPolicyV1Spec(
                pod_selector=pods,
                policy_types=["Ingress"],
                ingress=[
                    n.NetworkPolicyV1SpecIngress(
                        from_=[_from_namespace(props.monitoring_namespace)],
                        ports=[n.NetworkPolicyV1SpecIngressPorts(port=str(props.metrics_port), protocol="TCP")],
                    )
                ],
            ),
        )
        policy(
            "allow_dns",
            n.NetworkPolicyV1Spec(
                pod_selector=pods,
                policy_types=["Egress"],
                egress=[
                    n.NetworkPolicyV1SpecEgress(
                        to=[
                            n.NetworkPolicyV1SpecEgressTo(
                                namespace_selector=n.NetworkPolicyV1SpecEgressToNamespaceSelector(
                                    match_labels={NAMESPACE_NAME_LABEL: "kube-system"}
                                ),
                                pod_selector=n.NetworkPolicyV1SpecEgressToPodSelector(match_labels={"k8s-app": "kube-dns"}),
                            )
                        ],
                        ports=[n.NetworkPolicyV1SpecEgressPorts(port="53", protocol=p) for p in ("UDP", "TCP")],
                    )
                ],
            ),
        )
        policy(
            "allow_https_egress",
            n.NetworkPolicyV1Spec(
                pod_selector=pods,
                policy_types=["Egress"],
                egress=[
                    n.NetworkPolicyV1SpecEgress(
                        to=[
                            n.NetworkPolicyV1SpecEgressTo(
                                ip_block=n.NetworkPolicyV1SpecEgressToIpBlock(cidr=cidr, except_=except_)
                            )
                            for cidr, except_ in (("0.0.0.0/0", METADATA_ADDRESSES[:1]), ("::/0", METADATA_ADDRESSES[1:]))
                        ],
                        ports=[n.NetworkPolicyV1SpecEgressPorts(port="443", protocol="TCP")],
                    )
                ],
            ),
        )
        metadata_server = policy(
            "allow_metadata_server",
            n.NetworkPolicyV1Spec(
                pod_selector=pods,
                policy_types=["Egress"],
                egress=[
                    n.NetworkPolicyV1SpecEgress(
                        to=[n.NetworkPolicyV1SpecEgressTo(ip_block=n.NetworkPolicyV1SpecEgressToIpBlock(cidr=cidr))],
                        ports=[n.NetworkPolicyV1SpecEgressPorts(port=port, protocol="TCP")],
                    )
                    for cidr, port in GKE_METADATA_SERVER
                ],
            ),
        )
        metadata_server.add_override("count", count_if(props.allow_gke_metadata_server))


def _from_namespace(namespace: str):
    n = k8s.network_policy_v1
    return n.NetworkPolicyV1SpecIngressFrom(
        namespace_selector=n.NetworkPolicyV1SpecIngressFromNamespaceSelector(match_labels={NAMESPACE_NAME_LABEL: namespace})
    )
