"""WorkloadNamespace: the namespace, with Pod Security Admission enforcing ``restricted``."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from synthdata_infra.cdk import Construct, TerraformLocal, kubernetes as k8s
from synthdata_infra.components.expressions import count_if, inner, merged_map, named, stable_id

POD_SECURITY_LABELS = {f"pod-security.kubernetes.io/{mode}": "restricted" for mode in ("enforce", "audit", "warn")}


class WorkloadNamespaceProps(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    namespace: str  # string expression: the namespace's name
    create: str  # bool expression: false uses an existing namespace
    labels: str  # map(string) expression: the caller's labels


class WorkloadNamespace(Construct):
    """Creates the namespace when ``create_namespace`` is true; ``name`` is usable either way.

    Every namespaced object references ``name`` (the created namespace when there is one),
    which orders it after the namespace exists.
    """

    def __init__(self, scope: Construct, construct_id: str, props: WorkloadNamespaceProps) -> None:
        super().__init__(scope, construct_id)
        ns = k8s.namespace_v1
        created = named(ns.NamespaceV1(
            self,
            "namespace",
            metadata=ns.NamespaceV1Metadata(
                name=props.namespace,
                labels=merged_map(props.labels, POD_SECURITY_LABELS),
            ),
        ))
        created.add_override("count", count_if(props.create))
        chosen = named(
            TerraformLocal(
                self,
                "namespace_name",
                f"${{{inner(props.create)} ? "
                f"kubernetes_namespace_v1.{stable_id(created)}[0].metadata[0].name : "
                f"{inner(props.namespace)}}}",
            )
        )
        self.name = f"${{local.{stable_id(chosen)}}}"
