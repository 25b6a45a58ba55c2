"""ServiceSecrets: one Secrets Manager secret per secret the profile names, without a value.

Values are written out of band (console, CLI, rotation); Terraform never holds them, so they
never reach state or plan output.
"""

from __future__ import annotations

from synthdata_infra.cdk import Construct, aws
from synthdata_infra.components.aws.aws_props import AwsProps
from synthdata_infra.components.expressions import as_number, named


class ServiceSecrets(Construct):
    def __init__(self, scope: Construct, construct_id: str, props: AwsProps, *, kms_key_arn: str) -> None:
        super().__init__(scope, construct_id)
        inputs = props.inputs
        self.secrets = {
            secret: named(
                aws.secretsmanager_secret.SecretsmanagerSecret(
                    self,
                    secret.replace("-", "_"),
                    name=f"synthdata/{inputs.environment}/{inputs.service_name}/{secret}",
                    description=f"{secret} of {props.name()}; the value is set outside Terraform.",
                    kms_key_id=kms_key_arn,
                    recovery_window_in_days=as_number(inputs.secret_recovery_window_days),
                    tags=props.tags,
                )
            )
            for secret in props.config.security.secrets
        }
