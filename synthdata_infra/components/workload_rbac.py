"""WorkloadRbac: the service account may read its own ConfigMap and its named Secrets, nothing else."""

from __future__ import annotations

from synthdata_infra.cdk import Construct, kubernetes as k8s
from synthdata_infra.components.expressions import named
from synthdata_infra.components.workload_props import WorkloadObjectProps


class WorkloadRbacProps(WorkloadObjectProps):
    service_account: str  # the generator's
    config_map: str  # the one ConfigMap it may read
    secret_names: tuple[str, ...]  # the Kubernetes Secrets it may read


class WorkloadRbac(Construct):
    def __init__(self, scope: Construct, construct_id: str, props: WorkloadRbacProps) -> None:
        super().__init__(scope, construct_id)
        r, b = k8s.role_v1, k8s.role_binding_v1
        labels = props.object_labels
        rules = [r.RoleV1Rule(api_groups=[""], resources=["configmaps"], resource_names=[props.config_map], verbs=["get", "watch"])]
        if props.secret_names:
            rules.append(
                r.RoleV1Rule(api_groups=[""], resources=["secrets"], resource_names=list(props.secret_names), verbs=["get", "watch"])
            )
        role = named(r.RoleV1(
            self,
            "role",
            metadata=r.RoleV1Metadata(name=props.suffixed("reader"), namespace=props.namespace, labels=labels),
            rule=rules,
        ))
        named(b.RoleBindingV1(
            self,
            "binding",
            metadata=b.RoleBindingV1Metadata(name=props.suffixed("reader"), namespace=props.namespace, labels=labels),
            role_ref=b.RoleBindingV1RoleRef(api_group="rbac.authorization.k8s.io", kind="Role", name=role.metadata.name),
            subject=[b.RoleBindingV1Subject(kind="ServiceAccount", name=props.service_account, namespace=props.namespace)],
        ))
