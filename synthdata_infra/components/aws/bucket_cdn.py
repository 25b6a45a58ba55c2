"""BucketCdn: CloudFront in front of the bucket, reading it through an origin access control;
nothing is created while ``enabled`` is false (the module's ``enable_cdn``)."""

from __future__ import annotations

from synthdata_infra.cdk import Construct, Token, aws
from synthdata_infra.components.aws.aws_props import ServiceResourceProps
from synthdata_infra.components.expressions import as_any, count_if, inner, named, stable_id

# AWS managed policies (fixed ids, the same in every account).
CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"
SECURITY_HEADERS = "67f7725c-6f97-4210-82d7-5512b31e9d03"
ORIGIN_ID = "generated-data"


class BucketCdnProps(ServiceResourceProps):
    enabled: str  # bool expression: nothing is created when false
    data_type: str  # in the distribution's comment
    bucket_regional_domain_name: str
    price_class: str  # string expression
    certificate_arn: str  # string or null expression: null uses CloudFront's certificate
    aliases: str  # list(string) expression
    web_acl_id: str  # string or null expression


class BucketCdn(Construct):
    def __init__(self, scope: Construct, construct_id: str, props: BucketCdnProps) -> None:
        super().__init__(scope, construct_id)
        oac = named(
            aws.cloudfront_origin_access_control.CloudfrontOriginAccessControl(
                self,
                "origin_access",
                name=props.name,
                description=f"CloudFront reads the bucket of {props.name}",
                origin_access_control_origin_type="s3",
                signing_behavior="always",
                signing_protocol="sigv4",
            )
        )
        oac.add_override("count", count_if(props.enabled))
        oac_id = f"${{{oac.terraform_resource_type}.{stable_id(oac)}[0].id}}"
        cf = aws.cloudfront_distribution
        no_certificate = f"{inner(props.certificate_arn)} == null"
        self.distribution = named(
            cf.CloudfrontDistribution(
                self,
                "distribution",
                enabled=True,
                is_ipv6_enabled=True,
                comment=f"synthdata {props.data_type}: {props.name}",
                price_class=props.price_class,
                aliases=Token.as_list(props.aliases),
                web_acl_id=props.web_acl_id,
                origin=[
                    cf.CloudfrontDistributionOrigin(
                        domain_name=props.bucket_regional_domain_name,
                        origin_id=ORIGIN_ID,
                        origin_access_control_id=oac_id,
                    )
                ],
                default_cache_behavior=cf.CloudfrontDistributionDefaultCacheBehavior(
                    target_origin_id=ORIGIN_ID,
                    viewer_protocol_policy="redirect-to-https",
                    allowed_methods=["GET", "HEAD", "OPTIONS"],
                    cached_methods=["GET", "HEAD"],
                    cache_policy_id=CACHING_OPTIMIZED,
                    response_headers_policy_id=SECURITY_HEADERS,
                    compress=True,
                ),
                restrictions=cf.CloudfrontDistributionRestrictions(
                    geo_restriction=cf.CloudfrontDistributionRestrictionsGeoRestriction(restriction_type="none")
                ),
                # CloudFront's own certificate allows only TLSv1 as the minimum; with a custom
                # certificate the minimum is TLS 1.2.
                viewer_certificate=cf.CloudfrontDistributionViewerCertificate(
                    cloudfront_default_certificate=as_any(f"${{{no_certificate}}}"),
                    acm_certificate_arn=props.certificate_arn,
                    ssl_support_method=f'${{{no_certificate} ? null : "sni-only"}}',
                    minimum_protocol_version=f'${{{no_certificate} ? "TLSv1" : "TLSv1.2_2021"}}',
                ),
                tags=props.tag_map,
            )
        )
        self.distribution.add_override("count", count_if(props.enabled))
        distribution = f"{self.distribution.terraform_resource_type}.{stable_id(self.distribution)}"
        # null while disabled
        self.arn = f"${{one({distribution}[*].arn)}}"
        self.domain_name = f"${{one({distribution}[*].domain_name)}}"
