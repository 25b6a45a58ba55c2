"""WorkloadNamespace: the namespace, with Pod Security Admission enforcing ``restricted``."""

from __future__ import annotations

from synthdata_infra.cdk import Construct, TerraformLocal, kubernetes as k8s
from synthdata_infra.components.expressions import count_if, inner, merged_map, named, stable_id
from synthdata_infra.components.workload_props import WorkloadProps

POD_SECURITY_LABELS = {f"pod-security.kubernetes.io/{mode}": "restricted" for mode in ("enforce", "audit", "warn")}


class WorkloadNamespace(Construct):
    """Creates the namespace when ``create_namespace`` is true; ``name`` is usable either way.

    Every namespaced object references ``name`` (the created namespace when there is one),
    which orders it after the namespace exists.
    """

    def __init__(self, scope: Construct, construct_id: str, props: WorkloadProps) -> None:
        super().__init__(scope, construct_id)
        ns = k8s.namespace_v1
        created = named(ns.NamespaceV1(
            self,
            "namespace",
            metadata=ns.NamespaceV1Metadata(
                name=props.inputs.namespace,
                labels=merged_map(props.inputs.labels, POD_SECURITY_LABELS),
            ),
        ))
        created.add_override("count", count_if(props.inputs.create_namespace))
        chosen = named(
            TerraformLocal(
                self,
                "namespace_name",
                f"${{{inner(props.inputs.create_namespace)} ? "
                f"kubernetes_namespace_v1.{stable_id(created)}[0].metadata[0].name : "
                f"{inner(props.inputs.namespace)}}}",
            )
        )
        self.name = f"${{local.{stable_id(chosen)}}}"
