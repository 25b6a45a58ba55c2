"""The dashboards import: ``modules_out/{aws,azure}/grafana/``.

A small child module applied after the monitoring module's managed Grafana exists: one folder and
every dashboard of ``dashboards/`` (the same files the monitoring module ships) as
``grafana_dashboard`` resources of the ``grafana/grafana`` provider, which the caller configures
with the workspace URL and a token (the module has no provider block).

Why a module of its own and not resources of the monitoring module: the monitoring module must
stay installable with its cloud provider alone (the AWS one is validated and applied against the
local AWS API with the offline provider mirror, which has no grafana provider), and the grafana
provider can only be configured once the Grafana it talks to exists. Roots call both; teams
using plain Terraform can apply this one in a second step (README).

No cdktf binding is published for the grafana provider: the resources are cdktf's generic
``TerraformResource`` with their arguments set by override. Arguments checked against the
provider's source at v4.0.0 and v4.45.1 (``internal/resources/grafana/resource_dashboard.go``:
``config_json`` required, ``folder``, ``overwrite``, computed ``uid`` and ``url``;
``resource_folder.go``: ``title`` required, ``uid``).
"""

from __future__ import annotations

import json

from synthdata_infra import providers
from synthdata_infra.cdk import Construct, TerraformResource
from synthdata_infra.components.expressions import named, stable_id
from synthdata_infra.config import data_types
from synthdata_infra.monitoring.dashboards import dashboard_files
from synthdata_infra.synth.module_stack import ModuleDoc, ModuleStack
from synthdata_infra.synth.monitoring_files import DASHBOARDS_DIR, data_types_variable

FOLDER_UID = "synthdata"
UNIFIED = "unified"


def dashboard_uids(provider: str) -> dict[str, str]:
    """Board name (file stem) -> the uid its generated JSON carries."""
    return {
        name.removesuffix(".json"): json.loads(text)["uid"] for name, text in dashboard_files(providers.get(provider).cost_catalog).items()
    }


def unified_uid(provider: str) -> str:
    return dashboard_uids(provider)[UNIFIED]


def build_aws(scope: Construct, stack_id: str, _config: None) -> ModuleStack:
    return _build(scope, stack_id, "aws", "Amazon Managed Grafana", AWS_AUTH)


def build_azure(scope: Construct, stack_id: str, _config: None) -> ModuleStack:
    return _build(scope, stack_id, "azure", "Azure Managed Grafana", AZURE_AUTH)


def _build(scope: Construct, stack_id: str, provider: str, grafana: str, auth: str) -> ModuleStack:
    stack = ModuleStack(
        scope,
        stack_id,
        providers=("grafana",),
        doc=ModuleDoc(
            label="grafana",
            title=f"synthdata dashboards ({grafana})",
            summary=_summary(grafana, auth),
            source=f"../../modules_out/{provider}/grafana",
        ),
    )
    data_types_variable(stack)
    folder_title = stack.variable("folder_title", type="string", description="Title of the Grafana folder holding the dashboards.", default="synthdata")

    folder = named(TerraformResource(stack, "folder", terraform_resource_type="grafana_folder"))
    folder.add_override("uid", FOLDER_UID)
    folder.add_override("title", folder_title)
    folder_ref = f"grafana_folder.{stable_id(folder)}"

    urls = []
    for file_name, text in dashboard_files(providers.get(provider).cost_catalog).items():
        board = file_name.removesuffix(".json")
        stack.doc.extra_files[f"{DASHBOARDS_DIR}/{file_name}"] = text
        dashboard = named(TerraformResource(stack, f"dashboard_{board}", terraform_resource_type="grafana_dashboard"))
        # file() reads the JSON as it is: no `${` in it is interpolated, so no escaping is needed.
        dashboard.add_override("config_json", f'${{file("${{path.module}}/{DASHBOARDS_DIR}/{file_name}")}}')
        dashboard.add_override("folder", f"${{{folder_ref}.uid}}")
        # Take over a dashboard imported by hand with the same uid (the modules used to say "import manually").
        dashboard.add_override("overwrite", True)
        dashboard.add_override("message", "synthdata-infra")
        if board in data_types():  # a data type's dashboard only where that type is deployed; the unified one always
            dashboard.add_override("count", f'${{contains(var.data_types, "{board}") ? 1 : 0}}')
        urls.append((board, f"grafana_dashboard.{stable_id(dashboard)}"))

    entries = ", ".join(f'"{board}" = one({ref}[*].url)' for board, ref in urls)
    stack.output(
        "dashboard_urls",
        f"${{{{ for board, url in {{ {entries} }} : board => url if url != null }}}}",
        "URL of every imported dashboard by name (the data types in data_types, and unified).",
    )
    unified = dict(urls)[UNIFIED]
    stack.output("unified_dashboard_url", f"${{{unified}.url}}", "URL of the unified dashboard (every data type, costs).")
    stack.output("folder_uid", f"${{{folder_ref}.uid}}", "Grafana folder holding the dashboards.")
    stack.check_logical_ids()
    return stack


def _summary(grafana: str, auth: str) -> str:
    return (
        f"Imports the synthdata dashboards into the {grafana} the monitoring module (`../monitoring`) creates: a "
        f"folder (uid `{FOLDER_UID}`) and one `grafana_dashboard` per file in `dashboards/` (one per data type in "
        "`data_types`, plus the unified dashboard), each keeping the uid of its JSON, so a dashboard's URL is "
        "`<grafana_url>/d/<uid>` (`synthdata-unified` for the unified one). `overwrite` takes over a dashboard imported "
        "by hand under the same uid. The dashboards' Prometheus data source is a dashboard variable (`datasource`).\n\n"
        "It is a module of its own, applied after the monitoring module: the `grafana` provider can only be configured "
        "once the Grafana exists, and the monitoring module stays installable with its cloud provider alone. The "
        "synthdata monitoring roots call both; with plain Terraform put both module calls in one root (the provider "
        "below reads the monitoring module's outputs, which are unknown only on the very first plan; the grafana "
        "provider contacts Grafana only when it applies) or apply this module from a second root after the first.\n\n"
        + auth
    )


AWS_AUTH = (
    "The AWS monitoring module creates, with `enable_grafana`, a workspace service account (role `EDITOR`: folders "
    "and dashboards, no admin) and outputs `grafana_url`, `grafana_workspace_id` and `grafana_service_account_id`; "
    "the root mints a short-lived token for that account (no secret leaves a module, and the root's outputs stay "
    "non-sensitive):\n\n"
    "```hcl\n"
    'resource "aws_grafana_workspace_service_account_token" "grafana_dashboards" {\n'
    '  name               = "synthdata-dashboards"\n'
    "  seconds_to_live    = 3600\n"
    "  service_account_id = module.monitoring.grafana_service_account_id\n"
    "  workspace_id       = module.monitoring.grafana_workspace_id\n"
    "}\n\n"
    'provider "grafana" {\n'
    "  url  = module.monitoring.grafana_url\n"
    "  auth = aws_grafana_workspace_service_account_token.grafana_dashboards.key\n"
    "}\n"
    "```\n\n"
    "Known limitation: the token's value is stored in the root's state (keep its TTL short: it is useless once "
    "expired). Once it has expired, a plan that refreshes the dashboards gets HTTP 401 from Grafana: mint a new "
    "one and use it in the same run with `terraform apply -refresh=false "
    "-replace=aws_grafana_workspace_service_account_token.grafana_dashboards`."
)

AZURE_AUTH = (
    "Azure Managed Grafana accepts Microsoft Entra ID access tokens, and azurerm has no resource for Grafana "
    "service accounts: the provider takes the URL from the monitoring module and the token from the "
    "`GRAFANA_AUTH` environment variable, minted for the run by the identity that runs Terraform "
    "(`export GRAFANA_AUTH=$(az account get-access-token --resource https://dashboard.azure.com "
    "--query accessToken -o tsv)`, the audience Microsoft documents for the Grafana data plane; it lives about an "
    "hour and never enters the configuration or the state). "
    "The monitoring module grants that identity `Grafana Editor` on the Grafana (`grafana_editor_principal_id`, "
    "default: the identity running Terraform):\n\n"
    "```hcl\n"
    'provider "grafana" {\n'
    "  url = module.monitoring.grafana_url # auth from GRAFANA_AUTH\n"
    "}\n"
    "```"
)
