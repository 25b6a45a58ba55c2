"""BlobFrontDoor: Azure Front Door (Premium) in front of the data container, HTTPS only; nothing
is created while ``enabled`` is false (the module's ``enable_cdn``).

The storage account stays private: Front Door reaches the blob endpoint over Private Link (hence
the Premium tier), and that private endpoint connection must be approved once on the storage
account (``az network private-endpoint-connection approve``). Blobs are not anonymous either, so
clients read through Front Door with user-delegation SAS URLs; the query string is part of the
cache key, so one client's signed response is never served to another URL.
"""

from __future__ import annotations

from synthdata_infra.cdk import Construct, azurerm
from synthdata_infra.components.azure.azure_props import AzureResourceProps
from synthdata_infra.components.expressions import count_if, inner, named, stable_id

SKU = "Premium_AzureFrontDoor"  # Private Link origins need Premium
ENDPOINT_NAME_MAX = 46


class BlobFrontDoorProps(AzureResourceProps):
    enabled: str  # bool expression: false creates nothing
    storage_account_id: str  # the origin, reached through Private Link
    blob_host: str
    container_name: str


class BlobFrontDoor(Construct):
    def __init__(self, scope: Construct, construct_id: str, props: BlobFrontDoorProps) -> None:
        super().__init__(scope, construct_id)
        storage_account_id, blob_host, container_name = (
            props.storage_account_id,
            props.blob_host,
            props.container_name,
        )

        def counted(element) -> str:
            """Put ``element`` under ``enabled``; returns its address (``type.name``) for references."""
            element.add_override("count", count_if(props.enabled))
            return f"{element.terraform_resource_type}.{stable_id(element)}"

        profile = counted(
            named(
                azurerm.cdn_frontdoor_profile.CdnFrontdoorProfile(
                    self,
                    "profile",
                    name=props.name("afd"),
                    resource_group_name=props.resource_group_name,
                    sku_name=SKU,
                    tags=props.tag_map,
                )
            )
        )
        # Endpoint names are at most 46 characters; Azure appends a hash to make the host unique.
        endpoint = counted(
            named(
                azurerm.cdn_frontdoor_endpoint.CdnFrontdoorEndpoint(
                    self,
                    "endpoint",
                    name=f'${{trim(substr(join("-", [{inner(props.service_name)}, {inner(props.environment)}]), 0, {ENDPOINT_NAME_MAX}), "-")}}',
                    cdn_frontdoor_profile_id=f"${{{profile}[0].id}}",
                    tags=props.tag_map,
                )
            )
        )
        self.host_name = f"${{one({endpoint}[*].host_name)}}"  # null while disabled
        og = azurerm.cdn_frontdoor_origin_group
        # One origin: health probes would only add load and cost (Azure's advice for single origins).
        group = counted(
            named(
                og.CdnFrontdoorOriginGroup(
                    self,
                    "origin_group",
                    name="blob",
                    cdn_frontdoor_profile_id=f"${{{profile}[0].id}}",
                    session_affinity_enabled=False,
                    load_balancing=og.CdnFrontdoorOriginGroupLoadBalancing(),
                )
            )
        )
        origin = azurerm.cdn_frontdoor_origin
        blob = counted(
            named(
                origin.CdnFrontdoorOrigin(
                    self,
                    "origin",
                    name="blob",
                    cdn_frontdoor_origin_group_id=f"${{{group}[0].id}}",
                    enabled=True,
                    host_name=blob_host,
                    origin_host_header=blob_host,
                    certificate_name_check_enabled=True,
                    https_port=443,
                    http_port=80,
                    priority=1,
                    weight=1000,
                    private_link=origin.CdnFrontdoorOriginPrivateLink(
                        location=props.location,
                        private_link_target_id=storage_account_id,
                        target_type="blob",
                        request_message=f"Front Door of {props.name()}",
                    ),
                )
            )
        )
        route = azurerm.cdn_frontdoor_route
        counted(
            named(
                route.CdnFrontdoorRoute(
                    self,
                    "route",
                    name="generated-data",
                    cdn_frontdoor_endpoint_id=f"${{{endpoint}[0].id}}",
                    cdn_frontdoor_origin_group_id=f"${{{group}[0].id}}",
                    cdn_frontdoor_origin_ids=[f"${{{blob}[0].id}}"],
                    cdn_frontdoor_origin_path=f"/{container_name}",
                    patterns_to_match=["/*"],
                    supported_protocols=["Https"],
                    https_redirect_enabled=False,  # HTTP is not accepted at all
                    forwarding_protocol="HttpsOnly",
                    link_to_default_domain=True,
                    cache=route.CdnFrontdoorRouteCache(query_string_caching_behavior="UseQueryString"),
                )
            )
        )
