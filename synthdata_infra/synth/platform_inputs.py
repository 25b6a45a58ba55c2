"""Inputs and outputs every platform module (``modules_out/<provider>/platform/``) shares, declared
once: what ``PlatformCore`` needs from the module's caller, and what it reports back."""

from __future__ import annotations

from dataclasses import dataclass

from synthdata_infra.components.platform.charts import CHARTS
from synthdata_infra.components.platform.core import LETS_ENCRYPT, PlatformCore
from synthdata_infra.naming import CLUSTER_ISSUER, INGRESS_CLASS, INGRESS_NAMESPACE
from synthdata_infra.patterns import EMAIL_RULE, hcl_regex
from synthdata_infra.synth.module_stack import ModuleStack


@dataclass(frozen=True)
class CoreInputs:
    acme_email: str
    acme_server: str
    enable_crds: str


def core_inputs(stack: ModuleStack) -> CoreInputs:
    v = stack.variable
    return CoreInputs(
        acme_email=v(
            "acme_email",
            type="string",
            description=f"Contact e-mail of the ACME account the `{CLUSTER_ISSUER}` ClusterIssuer registers (expiry notices go there).",
            example='"platform-team@example.com"',
            validation=[
                {
                    "condition": f"${{can(regex({hcl_regex(EMAIL_RULE)}, var.acme_email))}}",
                    "error_message": "acme_email must be an e-mail address.",
                }
            ],
        ),
        acme_server=v(
            "acme_server",
            type="string",
            description="ACME directory the ClusterIssuer uses (Let's Encrypt production; its staging directory for tests).",
            default=LETS_ENCRYPT,
            validation=[{"condition": '${startswith(var.acme_server, "https://")}', "error_message": "acme_server must be an https:// URL."}],
        ),
        enable_crds=v(
            "enable_crds",
            type="bool",
            description=(
                "Create the custom resources (the ClusterIssuer, ...). Their CRDs come with the charts this module installs "
                "and must exist at plan time: apply once with false, then with true."
            ),
            default=True,
        ),
    )


def core_outputs(stack: ModuleStack, core: PlatformCore) -> None:
    stack.output("storage_class_names", core.storage_class_names, "StorageClasses created (the catalog's names for this provider).")
    stack.output("cluster_issuer", core.cluster_issuer, "cert-manager ClusterIssuer the services' Ingresses name; null while enable_crds is false.")
    stack.output("ingress_class_name", INGRESS_CLASS, "IngressClass of the ingress controller.")
    stack.output("ingress_namespace", core.namespaces[INGRESS_NAMESPACE], "Namespace the ingress controller runs in (what the services' NetworkPolicies admit).")
    stack.output(
        "charts",
        {component: CHARTS[component].version for component in sorted(core.releases)},
        "Helm charts this module installs (release name -> pinned chart version).",
    )
