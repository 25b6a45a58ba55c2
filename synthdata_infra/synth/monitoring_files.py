"""The rules and dashboards every monitoring module ships beside its Terraform.

Modules read them with ``file("${path.module}/...")``: the YAML and JSON stay testable
(promtool, Grafana) and never need escaping inside Terraform strings.
"""

from __future__ import annotations

from dataclasses import dataclass

from synthdata_infra import providers
from synthdata_infra.config import data_types, resolve
from synthdata_infra.monitoring.dashboards import dashboard_files
from synthdata_infra.monitoring.rules import rules_files
from synthdata_infra.synth.module_stack import ModuleStack

RULES_DIR = "rules"
DASHBOARDS_DIR = "dashboards"


@dataclass(frozen=True)
class RulesFile:
    name: str  # file name under rules/
    group: str  # rule group name inside it
    condition: str  # HCL bool: is the file deployed for var.data_types?

    @property
    def stem(self) -> str:
        return self.name.removesuffix(".rules.yml")

    def path(self) -> str:
        return f"${{path.module}}/{RULES_DIR}/{self.name}"


def data_types_variable(stack: ModuleStack) -> str:
    return stack.variable(
        "data_types",
        type="list(string)",
        description="Data types deployed where this monitoring runs; their rule groups are created.",
        default=list(data_types()),
        validation=[
            {
                "condition": "${alltrue([for t in var.data_types : contains(" + _hcl_list(data_types()) + ", t)])}",
                "error_message": f"data_types may only hold {', '.join(data_types())}.",
            }
        ],
    )


def add_monitoring_files(stack: ModuleStack, provider: str) -> list[RulesFile]:
    """Write rules/ and dashboards/ into the module; return the rules files with their conditions."""
    for name, text in rules_files().items():
        stack.doc.extra_files[f"{RULES_DIR}/{name}"] = text
    for name, text in dashboard_files(providers.get(provider).cost_catalog).items():
        stack.doc.extra_files[f"{DASHBOARDS_DIR}/{name}"] = text
    gpu_types = [kind for kind in data_types() if resolve(kind, environment=None).gpu]
    conditions = {
        "recording": "true",
        "common": "true",
        "gpu": f"length(setintersection(var.data_types, {_hcl_list(gpu_types)})) > 0",
        **{kind: f'contains(var.data_types, "{kind}")' for kind in data_types()},
    }
    return [
        RulesFile(name=name, group=f"synthdata_{name.removesuffix('.rules.yml')}", condition=conditions[name.removesuffix(".rules.yml")])
        for name in rules_files()
    ]


def _hcl_list(values) -> str:
    return "[" + ", ".join(f'"{v}"' for v in values) + "]"
