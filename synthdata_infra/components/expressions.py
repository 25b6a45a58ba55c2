"""Small helpers for composing Terraform expressions passed in as ``${...}`` strings."""

from __future__ import annotations

from typing import Any, TypeVar

import json
import re

from synthdata_infra.cdk import TerraformOutput, TerraformVariable, Token

_UNSAFE_ID = re.compile(r"[^A-Za-z0-9_]")
# How a cdktf token (a reference to a resource attribute) appears inside a Python string.
_TOKEN = re.compile(r"\$\{TfToken\[[^\]]+\]\}")
T = TypeVar("T")


def path_id(element: Any) -> str:
    """``<stack>/generator/deployment`` -> ``generator_deployment``; inputs and outputs keep their name."""
    path = element.node.path.split("/")[1:]
    if isinstance(element, (TerraformVariable, TerraformOutput)):
        path = path[-1:]
    return _UNSAFE_ID.sub("_", "_".join(path))


def stable_id(element: Any) -> str:
    """Fix ``element``'s Terraform name to its construct path and return it. Call it right
    where the element is created: references capture the name when they are made.

    cdktf's default appends a hash of the path, and a Python override of the stack's
    ``allocate_logical_id`` is never called through jsii. A name is part of the module's
    contract: a changed one replaces real resources.
    """
    logical_id = path_id(element)
    element.override_logical_id(logical_id)
    return logical_id


def named(element: T) -> T:
    """``stable_id`` for use around a constructor call."""
    stable_id(element)
    return element


def inner(interpolation: str) -> str:
    """``${var.x}`` -> ``var.x``, for use inside a larger expression.

    cdktf tokens (``${TfToken[...]}``) only resolve as whole strings, so they are refused here.
    """
    if (
        interpolation.startswith("${")
        and interpolation.endswith("}")
        and "TfToken[" not in interpolation
        and interpolation.count("${") == 1
    ):
        return interpolation[2:-1]
    raise ValueError(f"expected a single Terraform interpolation, got {interpolation!r}")


def count_if(condition: str) -> str:
    """A ``count`` expression: one instance when the bool ``condition`` holds."""
    return f"${{{inner(condition)} ? 1 : 0}}"


def as_map(expression: str) -> Any:
    """A map-valued expression where an attribute is typed as a mapping."""
    return Token.as_string_map(expression)


def as_number(expression: str) -> Any:
    return Token.as_number(expression)


def as_any(expression: str) -> Any:
    """For attributes typed bool (or anything jsii would otherwise reject as a string)."""
    return Token.as_any(expression)


def merged(expression: str, extra: dict[str, str]) -> str:
    """``${merge(<expression>, extra)}``: ``extra`` wins, so fixed labels cannot be overridden."""
    items = ", ".join(f"{json.dumps(key)} = {hcl_string(value)}" for key, value in extra.items())
    return f"${{merge({inner(expression)}, {{{items}}})}}"


def merged_map(expression: str, extra: dict[str, str]) -> Any:
    """``merged`` where an attribute is typed as a mapping."""
    return as_map(merged(expression, extra))


def terraform_literal(text: str) -> str:
    """``text`` as a Terraform string that is not interpolated: ``${`` -> ``$${``, ``%{`` -> ``%%{``."""
    return text.replace("${", "$${").replace("%{", "%%{")


def hcl_string(value: str) -> str:
    """A string as an HCL expression: a lone interpolation unwrapped, anything else quoted."""
    try:
        return inner(value)
    except ValueError:
        return json.dumps(value)


def hcl_value(value: Any) -> str:
    """``value`` (mappings, lists, strings, numbers) as an HCL expression, for use inside a larger
    interpolation such as ``${jsonencode(...)}``.

    A string that is one Terraform interpolation becomes that expression; any other string becomes
    a quoted template. A cdktf token always goes into a template, in its own ``${}``
    (``"${aws_s3_bucket.data_bucket.arn}/*"``): cdktf renders a token bare only right after a
    ``${`` and with braces after any ``}``, such as one closing an object. Interpolations inside a
    longer string must not contain quotes: name such an expression with a local.
    """
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_template(key)} = {hcl_value(item)}" for key, item in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(hcl_value(item) for item in value) + "]"
    if isinstance(value, str):
        try:
            return inner(value)
        except ValueError:
            return _template(value)
    return json.dumps(value)


def _template(text: str) -> str:
    return _TOKEN.sub(lambda token: "${" + token.group(0) + "}", json.dumps(text))
