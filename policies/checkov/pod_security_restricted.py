"""checkov checks for the Pod Security `restricted` fields checkov's own checks let pass.

checkov's built-in checks fail only on an explicit bad value (e.g. allow_privilege_escalation
= true) and pass when the field is missing, although Kubernetes then applies the unsafe
default. These checks require the safe value on EVERY container and init container, taking
pod-level settings into account where Kubernetes inherits them.
"""

from __future__ import annotations

from typing import Any

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck

WORKLOADS = [
    "kubernetes_deployment",
    "kubernetes_deployment_v1",
    "kubernetes_stateful_set",
    "kubernetes_stateful_set_v1",
    "kubernetes_daemon_set_v1",
    "kubernetes_daemonset",
    "kubernetes_job",
    "kubernetes_job_v1",
    "kubernetes_pod",
    "kubernetes_pod_v1",
]


def _one(value: Any) -> Any:
    """checkov wraps every attribute in a list; unwrap single-element lists."""
    while isinstance(value, list) and len(value) == 1:
        value = value[0]
    return value


def _pod_spec(conf: dict[str, Any]) -> dict[str, Any] | None:
    spec = _one(conf.get("spec"))
    if not isinstance(spec, dict):
        return None
    template = _one(spec.get("template"))
    if isinstance(template, dict):
        spec = _one(template.get("spec"))
    return spec if isinstance(spec, dict) else None


def _containers(pod: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    for key in ("container", "init_container"):
        value = pod.get(key) or []
        found += [item for item in (value if isinstance(value, list) else [value]) if isinstance(item, dict)]
    return found


class _EveryContainer(BaseResourceCheck):
    """A check passes only when ``container_ok`` holds for every container of the pod."""

    def __init__(self, check_id: str, name: str) -> None:
        super().__init__(
            name=name, id=check_id, categories=[CheckCategories.KUBERNETES], supported_resources=WORKLOADS
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        pod = _pod_spec(conf)
        if pod is None:
            return CheckResult.UNKNOWN
        pod_context = _one(pod.get("security_context")) or {}
        containers = _containers(pod)
        if not containers:
            return CheckResult.UNKNOWN
        for container in containers:
            context = _one(container.get("security_context")) or {}
            if not self.container_ok(context if isinstance(context, dict) else {}, pod_context):
                return CheckResult.FAILED
        return CheckResult.PASSED

    def container_ok(self, context: dict[str, Any], pod_context: dict[str, Any]) -> bool:
        raise NotImplementedError


class RunAsNonRoot(_EveryContainer):
    def __init__(self) -> None:
        super().__init__("CKV_SYNTH_1", "Every container must run as non-root (run_as_non_root true)")

    def container_ok(self, context, pod_context):
        own = _one(context.get("run_as_non_root"))
        return own is True or (own is None and _one(pod_context.get("run_as_non_root")) is True)


class SeccompRuntimeDefault(_EveryContainer):
    def __init__(self) -> None:
        super().__init__("CKV_SYNTH_2", "Every container must use the RuntimeDefault or Localhost seccomp profile")

    def container_ok(self, context, pod_context):
        profile = _one(context.get("seccomp_profile")) or _one(pod_context.get("seccomp_profile")) or {}
        return isinstance(profile, dict) and _one(profile.get("type")) in ("RuntimeDefault", "Localhost")


class NoPrivilegeEscalation(_EveryContainer):
    def __init__(self) -> None:
        super().__init__("CKV_SYNTH_3", "Every container must set allow_privilege_escalation false")

    def container_ok(self, context, pod_context):
        return _one(context.get("allow_privilege_escalation")) is False


class DropAllCapabilities(_EveryContainer):
    def __init__(self) -> None:
        super().__init__("CKV_SYNTH_4", "Every container must drop ALL capabilities")

    def container_ok(self, context, pod_context):
        capabilities = _one(context.get("capabilities")) or {}
        drop = capabilities.get("drop") if isinstance(capabilities, dict) else None
        while isinstance(drop, list) and len(drop) == 1 and isinstance(drop[0], list):
            drop = drop[0]
        return isinstance(drop, list) and "ALL" in drop


class ReadOnlyRootFilesystem(_EveryContainer):
    def __init__(self) -> None:
        super().__init__("CKV_SYNTH_5", "Every container must have a read-only root filesystem")

    def container_ok(self, context, pod_context):
        return _one(context.get("read_only_root_filesystem")) is True


checks = [RunAsNonRoot(), SeccompRuntimeDefault(), NoPrivilegeEscalation(), DropAllCapabilities(), ReadOnlyRootFilesystem()]
