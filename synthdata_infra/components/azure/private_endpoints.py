"""PrivateEndpoints: private endpoints of the storage account's blob service and of the Key Vault,
so pods reach both without public endpoints (then ``public_network_access_enabled = false``
closes those). Created only when ``private_endpoints`` is set; each endpoint registers its
address in the caller's private DNS zone.
"""

from __future__ import annotations

from synthdata_infra.cdk import Construct, azurerm
from synthdata_infra.components.azure.azure_props import AzureProps
from synthdata_infra.components.expressions import inner, named

SUBRESOURCES = ("blob", "vault")  # the targets' sub-resources ("group ids") behind the endpoints


class PrivateEndpoints(Construct):
    def __init__(self, scope: Construct, construct_id: str, props: AzureProps, *, targets: dict[str, str]) -> None:
        super().__init__(scope, construct_id)
        inputs = props.inputs
        if set(targets) != set(SUBRESOURCES):
            raise ValueError(f"expected targets for {', '.join(SUBRESOURCES)}, got {sorted(targets)}")
        settings = inner(inputs.private_endpoints)
        pe = azurerm.private_endpoint
        for subresource in SUBRESOURCES:
            endpoint = named(
                pe.PrivateEndpoint(
                    self,
                    subresource,
                    name=props.name("pe", subresource),
                    location=props.context.location,
                    resource_group_name=inputs.resource_group_name,
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
                    tags=props.tags,
                )
            )
            endpoint.add_override("count", f"${{{settings} == null ? 0 : 1}}")
