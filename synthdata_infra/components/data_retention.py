"""DataRetentionGuard: `terraform destroy` never deletes the service's data unless asked to.

``lifecycle.prevent_destroy`` cannot come from a variable, and most providers have no
``skip_destroy`` for buckets, keys or secrets. So the guard is a ``terraform_data`` that
depends on every resource holding or protecting data (the bucket and its encryption,
versioning and access settings, the key that encrypts it, the audit logs, the secrets). On
destroy Terraform must remove the guard before any of them; while ``retain_data_on_destroy``
is true its destroy-time command fails with a message saying what was kept and how to let go
of it, so the destroy stops after everything else is gone and the data stays, still encrypted
with a key that is not scheduled for deletion.

To finish a destroy that keeps the data, forget the retained resources instead of destroying
them (``terraform state rm`` of the addresses in the module's ``retained_addresses`` output, or
``removed { ... lifecycle { destroy = false } }`` blocks): ``synthdata-infra destroy`` does
this. To delete the data, apply with ``retain_data_on_destroy = false`` (and
``force_destroy = true`` for a bucket that still holds objects), then destroy.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from synthdata_infra.cdk import Construct, DataResource, TerraformResource
from synthdata_infra.components.expressions import inner, named, path_id, stable_id


RETAINED_DESCRIPTION = (
    "Resources kept on destroy while retain_data_on_destroy is true: `terraform state rm` these (prefixed with "
    "the module's address) to finish a destroy that keeps the data."
)


def retention_input(stack: Any, data: str = "bucket, its key, audit logs, secrets") -> str:
    return stack.variable(
        "retain_data_on_destroy",
        type="bool",
        description=(
            f"Keep the data ({data}) when the module is destroyed: the destroy stops "
            "before them with a message. false lets `terraform destroy` delete them."
        ),
        default=True,
        nullable=False,
    )


def resources_of(*constructs: Construct, types: tuple[str, ...] | None = None) -> list[Any]:
    """Every resource created under ``constructs`` (of ``types``, when given): what a guard protects."""
    return [
        node
        for construct in constructs
        for node in construct.node.find_all()
        if isinstance(node, TerraformResource) and (types is None or node.terraform_resource_type in types)
    ]


def address(element: Any) -> str:
    """The element's address inside its module (``aws_s3_bucket.data_bucket``)."""
    return f"{element.terraform_resource_type}.{path_id(element)}"


class DataRetentionGuardProps(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    retain: str  # bool expression: retain_data_on_destroy
    protected: tuple[Any, ...]  # the resources kept (resources_of(...))
    what: str  # what they are, for the message a kept destroy stops with


class DataRetentionGuard(Construct):
    def __init__(self, scope: Construct, construct_id: str, props: DataRetentionGuardProps) -> None:
        super().__init__(scope, construct_id)
        retain, what = props.retain, props.what
        self.addresses = sorted(address(element) for element in props.protected)
        message = (
            f"synthdata: retain_data_on_destroy is true, so {what} were kept. To keep them and finish the destroy, "
            "remove these addresses from state (terraform state rm, or removed blocks): "
            + " ".join(self.addresses)
            + ". To delete them, apply with retain_data_on_destroy = false first."
        )
        self.guard = named(DataResource(self, "guard", input={"retain": "${" + inner(retain) + "}", "message": message}))
        self.guard.add_override("depends_on", self.addresses)
        self.guard.add_override(
            "provisioner",
            [
                {
                    "local-exec": {
                        "when": "destroy",
                        # The message goes through the environment: no quoting of its text in the shell.
                        "environment": {"MESSAGE": "${self.input.message}"},
                        "command": '${self.input.retain ? "echo \\"$MESSAGE\\" >&2; exit 1" : "true"}',
                    }
                }
            ],
        )
        self.address = f"terraform_data.{stable_id(self.guard)}"
