"""PrivateEndpoints: private endpoints of the storage account's blob service and of the Key Vault,
so pods reach both without public endpoints (then ``public_network_access_enabled = false``
closes those). Created only when ``private_endpoints`` is set; each endpoint registers its
address in the caller's private DNS zone.
"""

from __future__ import annotations

from synthdata_infra.cdk import Construct, azurerm
from synthdata_infra.components.azure.azure_props import AzureResourceProps
from synthdata_infra.components.expressions import inner, named

SUBRESOURCES = ("blob", "vault")  # the targets' sub-resources ("group ids") behind the endpoints


class PrivateEndpointsProps(AzureResourceProps):
    settings: str  # object({subnet_id, blob_dns_zone_id, vault_dns_zone_id}) or null expression: null creates none
    targets: dict[str, str]  # sub-resource (blob, vault) -> the resource id behind it


class PrivateEndpoints(Construct):
    def __init__(self, scope: Construct, construct_id: str, props: PrivateEndpointsProps) -> None:
        super().__init__(scope, construct_id)
        targets = props.targets
        if set(targets) != set(SUBRESOURCES):
            raise ValueError(f"expected targets for {', '.join(SUBRESOURCES)}, got {sorted(targets)}")
        settings = inner(props.settings)
        pe = azurerm.private_endpoint
        for subresource in SUBRESOURCES:
            endpoint = named(
                pe.PrivateEndpoint(
                    self,
                    subresource,
                    name=props.name("pe", subresource),
                    location=props.location,
                    resource_group_name=props.resource_group_name,
                    subnet_id=f"${{{settings}.subnet_id}}",
                    private_service_connection=pe.PrivateEndpointPrivateServiceConnection(
                        name=props.name(suffix=subresource),
                        private_connection_resource_id=targets[subresource],
                        subresource_names=[subresource],
                        is_manual_connection=False,
                    ),
                    private_dns_zone_group=pe.PrivateEndpointPrivateDnsZoneGroup(
                        name="default", private_dns_zone_ids=[f"${{{settings}.{subresource}_dns_zone_id}}"]
                    ),
                    tags=props.tag_map,
                )
            )
            endpoint.add_override("count", f"${{{settings} == null ? 0 : 1}}")
