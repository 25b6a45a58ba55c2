"""AuditLogs: the Log Analytics workspace keeping the audit trail (or the caller's workspace),
and diagnostic settings sending the blob service's and the Key Vault's audit logs to it.

Only the blob service of a created storage account gets one: a given account (``storage_account``)
keeps its own diagnostic settings (its logs may be other services' too, and a target takes only a
few settings)."""

from __future__ import annotations

from synthdata_infra.cdk import Construct, azurerm
from synthdata_infra.components.azure.azure_props import AzureResourceProps
from synthdata_infra.components.expressions import as_number, inner, named, stable_id

# Who read, wrote and deleted generated data; who used the key and the secrets.
BLOB_LOG_CATEGORIES = ("StorageRead", "StorageWrite", "StorageDelete")
KEY_VAULT_LOG_CATEGORIES = ("AuditEvent",)


class AuditLogsProps(AzureResourceProps):
    retention_days: str  # number expression
    given_workspace_id: str  # string or null expression: an existing Log Analytics workspace
    created_storage_account_id: str  # its blob logs are collected, when the module created it
    given_storage_account: str  # object or null expression: a given account's logs stay with its owner
    key_vault_id: str


class AuditLogs(Construct):
    def __init__(self, scope: Construct, construct_id: str, props: AuditLogsProps) -> None:
        super().__init__(scope, construct_id)
        workspace = named(
            azurerm.log_analytics_workspace.LogAnalyticsWorkspace(
                self,
                "workspace",
                name=props.name("log"),
                location=props.location,
                resource_group_name=props.resource_group_name,
                sku="PerGB2018",
                retention_in_days=as_number(props.retention_days),
                local_authentication_enabled=False,
                tags=props.tag_map,
            )
        )
        workspace.add_override("count", f"${{{inner(props.given_workspace_id)} == null ? 1 : 0}}")
        workspace_ref = f"azurerm_log_analytics_workspace.{stable_id(workspace)}"
        self.workspace_id = f"${{coalesce({inner(props.given_workspace_id)}, one({workspace_ref}[*].id))}}"
        ds = azurerm.monitor_diagnostic_setting
        targets = {
            "blob_diagnostics": (f"{props.created_storage_account_id}/blobServices/default", BLOB_LOG_CATEGORIES),
            "key_vault_diagnostics": (props.key_vault_id, KEY_VAULT_LOG_CATEGORIES),
        }
        settings = {
            setting_id: named(
                ds.MonitorDiagnosticSetting(
                    self,
                    setting_id,
                    name="synthdata-audit",
                    target_resource_id=target,
                    log_analytics_workspace_id=self.workspace_id,
                    enabled_log=[ds.MonitorDiagnosticSettingEnabledLog(category=category) for category in categories],
                )
            )
            for setting_id, (target, categories) in targets.items()
        }
        settings["blob_diagnostics"].add_override("count", f"${{{inner(props.given_storage_account)} == null ? 1 : 0}}")
