"""A cdktf stack that is synthesized as a reusable Terraform child module.

Terraform names come from the construct path (``network_policy/default_deny`` ->
``network_policy_default_deny``), never from cdktf's hashed unique ids (see ``stable_id``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from synthdata_infra.cdk import Construct, TerraformElement, TerraformOutput, TerraformStack, TerraformVariable
from synthdata_infra.components.expressions import path_id, stable_id
from synthdata_infra.providers import bindings

TERRAFORM_REQUIRED_VERSION = ">= 1.5.0"

# Oldest provider each module is tested with, and the next major version it must stay below
# (each provider class declares its binding's range).
PROVIDER_REQUIREMENTS = {name: (binding.source, binding.version) for name, binding in bindings().items()}

@dataclass
class ModuleDoc:
    """What the generated README says beyond the inputs and outputs."""

    label: str  # module block label in the usage example
    title: str
    summary: str
    source: str
    examples: dict[str, str] = field(default_factory=dict)  # variable -> HCL example value
    null_defaults: set[str] = field(default_factory=set)  # variables whose default is null
    extra_files: dict[str, str] = field(default_factory=dict)  # relative path -> content (examples)


class ModuleStack(TerraformStack):
    def __init__(self, scope: Construct, stack_id: str, *, providers: tuple[str, ...], doc: ModuleDoc) -> None:
        super().__init__(scope, stack_id)
        self.doc = doc
        # Inputs and outputs live in their own scopes: Terraform names them apart from
        # resources, while constructs share one namespace per parent.
        self._inputs = Construct(self, "inputs")
        self._outputs = Construct(self, "outputs")
        self.add_override("terraform.required_version", TERRAFORM_REQUIRED_VERSION)
        for name in providers:
            source, version = PROVIDER_REQUIREMENTS[name]
            self.add_override(f"terraform.required_providers.{name}", {"source": source, "version": version})

    def check_logical_ids(self) -> None:
        """Fail if an element was created without ``stable_id``.

        References capture a name when they are made, so naming afterwards would leave
        dangling references: every element must be named right where it is created.
        """
        for construct in self.node.find_all():
            if isinstance(construct, TerraformElement):
                expected = path_id(construct)
                if construct.friendly_unique_id != expected:
                    raise AssertionError(f"{construct.node.path} is not named by stable_id()")

    def variable(
        self,
        name: str,
        *,
        type: str,
        description: str,
        default: Any = ...,
        example: str | None = None,
        nullable: bool | None = None,
        validation: list[dict[str, str]] | None = None,
        minimum: int | None = None,
        maximum: int | None = None,
    ) -> str:
        """Declare an input and return the expression that reads it (``${var.name}``).

        Without ``default`` it is required and ``example`` shows a value; ``default=None``
        makes it optional with a null default. An input without a null default is not nullable:
        a required one refuses null by name, one with a default falls back to it. ``minimum``
        and ``maximum`` bound a number (a validation naming the input and the range)."""
        options: dict[str, Any] = {"type": type, "description": description}
        if default is None:
            # cdktf drops a None default (the input would become required); restored on write.
            self.doc.null_defaults.add(name)
        if nullable is None and default is not None:
            nullable = False
        if nullable is not None:
            options["nullable"] = nullable
        validation = list(validation or [])
        if minimum is not None or maximum is not None:
            checks = ([f"var.{name} >= {minimum}"] if minimum is not None else []) + ([f"var.{name} <= {maximum}"] if maximum is not None else [])
            bounds = f"from {minimum} to {maximum}" if minimum is not None and maximum is not None else (
                f"at least {minimum}" if minimum is not None else f"at most {maximum}"
            )
            whole = f"floor(var.{name}) == var.{name}"
            check = " && ".join([whole, *checks])
            if default is None:  # null stays allowed (a conditional: Terraform's && and || evaluate both sides)
                check = f"var.{name} == null ? true : ({check})"
            validation.insert(0, {"condition": f"${{{check}}}", "error_message": f"{name} must be a whole number {bounds}."})
        variable = TerraformVariable(self._inputs, name, **options)
        if default is not ... and default is not None:
            # Through the constructor cdktf snake-cases map keys ("managed-by" -> "managed_by").
            variable.add_override("default", default)
        if validation:
            variable.add_override("validation", validation)
        if example is not None:
            self.doc.examples[name] = example
        stable_id(variable)
        return f"${{var.{name}}}"

    def output(self, name: str, value: Any, description: str) -> None:
        if isinstance(value, dict):
            # Through the constructor cdktf snake-cases map keys ("eks.amazonaws.com/role-arn").
            output = TerraformOutput(self._outputs, name, value="", description=description)
            output.add_override("value", value)
        else:
            output = TerraformOutput(self._outputs, name, value=value, description=description)
        stable_id(output)
