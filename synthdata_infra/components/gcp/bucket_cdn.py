"""BucketCdn: Cloud CDN in front of the bucket behind a global external Application Load Balancer
that answers HTTPS only (Google-managed certificate for ``cdn_domain_name``, TLS 1.2 or later).

Created when ``enabled`` holds (the module's ``enable_cdn``) and ``cdn_domain_name`` is set. The bucket stays private: Cloud CDN fills its cache
as Google's cache-fill service agent, which serves signed URLs or cookies. That agent exists
once a signed URL key has been added to a backend in the project (outside Terraform, so the
key never reaches state); ``cdn_grant_fill_service_account`` then lets it read the bucket.
"""

from __future__ import annotations

from synthdata_infra.cdk import Construct, google
from synthdata_infra.components.expressions import inner, named, stable_id
from synthdata_infra.components.gcp.gcp_props import LabelledProps

DEFAULT_TTL_SEC = 3600
MAX_TTL_SEC = 86400
SIGNED_URL_CACHE_MAX_AGE_SEC = 3600


class BucketCdnProps(LabelledProps):
    enabled: str  # bool expression: false creates nothing
    bucket_name: str
    domain_name: str  # string or null expression: null creates nothing
    grant_fill_service_account: str  # bool expression: let Cloud CDN's cache-fill agent read the bucket
    fill_service_agent: str  # IAM member of that agent


class BucketCdn(Construct):
    def __init__(self, scope: Construct, construct_id: str, props: BucketCdnProps) -> None:
        super().__init__(scope, construct_id)
        domain = props.domain_name
        bucket_name = props.bucket_name
        on = f"{inner(props.enabled)} && {inner(domain)} != null"
        enabled = f"${{{on} ? 1 : 0}}"

        def counted(element, condition: str = enabled) -> str:
            """Put ``element`` under ``condition``; returns its address (``type.name``) for references."""
            element.add_override("count", condition)
            return f"{element.terraform_resource_type}.{stable_id(element)}"

        bb = google.compute_backend_bucket
        backend = counted(
            named(
                bb.ComputeBackendBucket(
                    self,
                    "backend_bucket",
                    name=props.suffixed("cdn"),
                    project=props.project_id,
                    description=f"Generated data of {props.name} through Cloud CDN",
                    bucket_name=bucket_name,
                    enable_cdn=True,
                    compression_mode="AUTOMATIC",
                    cdn_policy=bb.ComputeBackendBucketCdnPolicy(
                        cache_mode="CACHE_ALL_STATIC",
                        default_ttl=DEFAULT_TTL_SEC,
                        client_ttl=DEFAULT_TTL_SEC,
                        max_ttl=MAX_TTL_SEC,
                        negative_caching=True,
                        request_coalescing=True,
                        serve_while_stale=MAX_TTL_SEC,
                        signed_url_cache_max_age_sec=SIGNED_URL_CACHE_MAX_AGE_SEC,
                    ),
                )
            )
        )
        counted(
            named(
                google.storage_bucket_iam_member.StorageBucketIamMember(
                    self,
                    "fill_reader",
                    bucket=bucket_name,
                    role="roles/storage.objectViewer",
                    member=props.fill_service_agent,
                )
            ),
            f"${{{on} && {inner(props.grant_fill_service_account)} ? 1 : 0}}",
        )
        address = counted(
            named(
                google.compute_global_address.ComputeGlobalAddress(
                    self,
                    "address",
                    name=props.suffixed("cdn"),
                    project=props.project_id,
                    description=f"Public address of the CDN of {props.name}: the DNS record of cdn_domain_name",
                    labels=props.label_map,
                )
            )
        )
        certificate = counted(
            named(
                google.compute_managed_ssl_certificate.ComputeManagedSslCertificate(
                    self,
                    "certificate",
                    name=props.suffixed("cdn"),
                    project=props.project_id,
                    managed=google.compute_managed_ssl_certificate.ComputeManagedSslCertificateManaged(
                        domains=[domain]
                    ),
                )
            )
        )
        ssl_policy = counted(
            named(
                google.compute_ssl_policy.ComputeSslPolicy(
                    self,
                    "ssl_policy",
                    name=props.suffixed("cdn"),
                    project=props.project_id,
                    description="TLS 1.2 or later with modern ciphers",
                    profile="MODERN",
                    min_tls_version="TLS_1_2",
                )
            )
        )
        url_map = counted(
            named(
                google.compute_url_map.ComputeUrlMap(
                    self,
                    "url_map",
                    name=props.suffixed("cdn"),
                    project=props.project_id,
                    description=f"Every path of the CDN of {props.name} to the bucket",
                    default_service=f"${{{backend}[0].id}}",
                )
            )
        )
        proxy = counted(
            named(
                google.compute_target_https_proxy.ComputeTargetHttpsProxy(
                    self,
                    "https_proxy",
                    name=props.suffixed("cdn"),
                    project=props.project_id,
                    url_map=f"${{{url_map}[0].id}}",
                    ssl_certificates=[f"${{{certificate}[0].id}}"],
                    ssl_policy=f"${{{ssl_policy}[0].id}}",
                )
            )
        )
        counted(
            named(
                google.compute_global_forwarding_rule.ComputeGlobalForwardingRule(
                    self,
                    "https",
                    name=props.suffixed("cdn-https"),
                    project=props.project_id,
                    description=f"HTTPS into the CDN of {props.name}; there is no HTTP listener",
                    target=f"${{{proxy}[0].id}}",
                    ip_address=f"${{{address}[0].address}}",
                    ip_protocol="TCP",
                    port_range="443",
                    load_balancing_scheme="EXTERNAL_MANAGED",
                    labels=props.label_map,
                )
            )
        )
        self.ip_address = f"${{one({address}[*].address)}}"  # null without a CDN
