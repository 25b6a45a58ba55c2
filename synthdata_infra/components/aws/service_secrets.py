"""ServiceSecrets: one Secrets Manager secret per secret the profile names, without a value.

Values are written out of band (console, CLI, rotation); Terraform never holds them, so they
never reach state or plan output.
"""

from __future__ import annotations

from synthdata_infra.cdk import Construct, aws
from synthdata_infra.components.aws.aws_props import ServiceResourceProps
from synthdata_infra.components.expressions import as_number, named
from synthdata_infra.naming import service_secret


class ServiceSecretsProps(ServiceResourceProps):
    secrets: tuple[str, ...]  # the profile's secret names
    service_name: str
    environment: str
    kms_key_arn: str
    recovery_window_days: str  # number expression


class ServiceSecrets(Construct):
    def __init__(self, scope: Construct, construct_id: str, props: ServiceSecretsProps) -> None:
        super().__init__(scope, construct_id)
        self.secrets = {
            secret: named(
                aws.secretsmanager_secret.SecretsmanagerSecret(
                    self,
                    secret.replace("-", "_"),
                    name=service_secret(props.environment, props.service_name, secret),
                    description=f"{secret} of {props.name}; the value is set outside Terraform.",
                    kms_key_id=props.kms_key_arn,
                    recovery_window_in_days=as_number(props.recovery_window_days),
                    tags=props.tag_map,
                )
            )
            for secret in props.secrets
        }
