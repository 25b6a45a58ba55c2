"""The one name rule of every layer: what a service or environment may be called, and the
names derived from them.

The generated modules validate ``service_name`` and ``environment`` with the patterns below
(``synth/shared_inputs.py`` writes them into every module), and the environment files accept
exactly the same names, so a name `deploy` takes is a name every module it feeds takes.

Why these lengths: the workload module appends suffixes of up to 25 characters to the service
name (``<service>-allow-ingress-controller`` must stay a DNS label of 63), and the global cloud
names are ``<service>-<environment>-<account id>`` (S3 buckets: 63 characters at most).
"""

from __future__ import annotations

import re

SERVICE_NAME_MAX = 38
ENVIRONMENT_NAME_MAX = 10
SERVICE_NAME_RULE = f"^[a-z]([-a-z0-9]{{0,{SERVICE_NAME_MAX - 2}}}[a-z0-9])?$"
ENVIRONMENT_RULE = f"^[a-z0-9]([-a-z0-9]{{0,{ENVIRONMENT_NAME_MAX - 2}}}[a-z0-9])?$"
SERVICE_NAME_ALLOWED = (
    f"a lower-case DNS label starting with a letter, at most {SERVICE_NAME_MAX} characters "
    "(the longest name every generated module accepts)"
)
ENVIRONMENT_NAME_ALLOWED = f"a lower-case DNS label of at most {ENVIRONMENT_NAME_MAX} characters (part of every cloud resource name)"
KUBERNETES_NAME_MAX = 63


def valid_service_name(value: str) -> bool:
    return re.fullmatch(SERVICE_NAME_RULE, value) is not None


def valid_environment_name(value: str) -> bool:
    return re.fullmatch(ENVIRONMENT_RULE, value) is not None


def service_namespace(prefix: str, service: str, environment: str) -> str:
    """The Kubernetes namespace a service's root creates and owns: ``<prefix>-<service>-<env>``.

    One namespace per service and environment, so two services (or two environments) on one
    cluster never create the same object, and destroying one never deletes another's."""
    return f"{prefix}-{service}-{environment}"


# Stack names: one root per service and environment, plus each environment's own roots. A
# service may not take a name that starts like the environment's own ones.
MONITORING_PREFIX = "monitoring-"
WORKSPACES_PREFIX = "workspaces-"
LOCAL_CLUSTER_PREFIX = "local-cluster-"
PLATFORM_PREFIX = "platform-"
RESERVED_PREFIXES = (MONITORING_PREFIX, WORKSPACES_PREFIX, LOCAL_CLUSTER_PREFIX, PLATFORM_PREFIX)

# What a cluster's platform module creates and the workload modules refer to by name.
PLATFORM_SECRET_STORE = "synthdata-secrets"  # External Secrets store: per service SecretStore on the clouds, the on-prem ClusterSecretStore
PLATFORM_KEDA_AUTH = "synthdata-prometheus"  # KEDA ClusterTriggerAuthentication for the provider's Prometheus
INGRESS_NAMESPACE = "ingress-nginx"  # where the ingress controller runs (the NetworkPolicies allow it)
INGRESS_CLASS = "nginx"
CLUSTER_ISSUER = "letsencrypt"  # cert-manager ClusterIssuer the profiles' Ingress annotation names
# The governing Service the Prometheus operator creates beside the platform's Prometheus in
# "monitoring" (port 9090, whatever the release is called): what on-prem KEDA triggers query by default.
ONPREM_PROMETHEUS_URL = "http://prometheus-operated.monitoring.svc:9090"


def platform_service(provider: str) -> str:
    """What the platform root of ``provider`` is called where a service name goes (workspaces, tags)."""
    return f"{PLATFORM_PREFIX}{provider}"


def platform_stack(provider: str, environment: str) -> str:
    """The root applied once per cluster (provider and environment) before its first service."""
    return service_stack(platform_service(provider), environment)


def service_stack(service: str, environment: str) -> str:
    return f"{service}-{environment}"


def monitoring_service(provider: str) -> str:
    """What the monitoring root of ``provider`` is called where a service name goes (workspaces, tags)."""
    return f"{MONITORING_PREFIX}{provider}"


def monitoring_stack(provider: str, environment: str) -> str:
    return service_stack(monitoring_service(provider), environment)


def monitoring_workspace(environment: str) -> str:
    """The name (AMP: alias) of the environment's managed Prometheus workspace, which the service
    roots look up for KEDA's queries."""
    return f"synthdata-{environment}"


def service_secret(environment: str, service: str, secret: str) -> str:
    """Where a service's secret lives in a path-named store (Secrets Manager, an on-prem store)."""
    return f"synthdata/{environment}/{service}/{secret}"


def workspaces_stack(environment: str) -> str:
    return f"{WORKSPACES_PREFIX}{environment}"


def local_cluster_stack(environment: str) -> str:
    return f"{LOCAL_CLUSTER_PREFIX}{environment}"


def module_stack_id(folder: str, name: str) -> str:
    """The cdktf stack that builds ``modules_out/<folder>/<name>`` (stack ids take no '_')."""
    return f"{folder}-{name}".replace("_", "-")
