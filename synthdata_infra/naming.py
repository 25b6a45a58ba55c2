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
