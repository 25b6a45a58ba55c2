"""WorkloadRbac: the service account may read its own ConfigMap and its named Secrets, nothing else."""

from __future__ import annotations

from synthdata_infra.cdk import Construct, kubernetes as k8s
from synthdata_infra.components.expressions import merged_map, named
from synthdata_infra.components.workload_props import WorkloadProps


class WorkloadRbac(Construct):
    def __init__(
        self, scope: Construct, construct_id: str, props: WorkloadProps, *, service_account: str, config_map: str
    ) -> None:
        super().__init__(scope, construct_id)
        r, b = k8s.role_v1, k8s.role_binding_v1
        inputs = props.inputs
        labels = merged_map(inputs.labels, props.selector_labels)
        rules = [r.RoleV1Rule(api_groups=[""], resources=["configmaps"], resource_names=[config_map], verbs=["get", "watch"])]
        if props.secret_names:
            rules.append(
                r.RoleV1Rule(api_groups=[""], resources=["secrets"], resource_names=props.secret_names, verbs=["get", "watch"])
            )
        role = named(r.RoleV1(
            self,
            "role",
            metadata=r.RoleV1Metadata(name=props.name("reader"), namespace=inputs.namespace, labels=labels),
            rule=rules,
        ))
        named(b.RoleBindingV1(
            self,
            "binding",
            metadata=b.RoleBindingV1Metadata(name=props.name("reader"), namespace=inputs.namespace, labels=labels),
            role_ref=b.RoleBindingV1RoleRef(api_group="rbac.authorization.k8s.io", kind="Role", name=role.metadata.name),
            subject=[b.RoleBindingV1Subject(kind="ServiceAccount", name=service_account, namespace=inputs.namespace)],
        ))
