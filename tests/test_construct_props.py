"""Every construct under synthdata_infra/components takes ``(scope, id, props)`` with its own
``<Construct>Props``, and no props carries the whole profile or a module's whole input set.

Read from the source (ast): importing the components would import every provider binding.
"""

from __future__ import annotations

import ast

import pytest

from tests.conftest import REPO

COMPONENTS = REPO / "synthdata_infra" / "components"
# A props field of one of these types hands a construct everything instead of what it uses.
WHOLE_BAGS = ("ServiceConfig", "Placement", "AwsInputs", "GcpInputs", "AzureInputs", "WorkloadInputs")


def _classes() -> dict[str, ast.ClassDef]:
    found = {}
    for path in sorted(COMPONENTS.rglob("*.py")):
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.ClassDef):
                found[node.name] = node
    return found


CLASSES = _classes()
CONSTRUCTS = sorted(name for name, node in CLASSES.items() if any(isinstance(b, ast.Name) and b.id == "Construct" for b in node.bases))


def _props_classes(name: str) -> list[ast.ClassDef]:
    """``name`` and the props classes it derives from."""
    node = CLASSES[name]
    bases = [b.id for b in node.bases if isinstance(b, ast.Name) and b.id in CLASSES]
    return [node, *(cls for base in bases for cls in _props_classes(base))]


def test_the_components_are_found():
    assert {"EksNodePool", "GkeNodePool", "AksNodePool", "GeneratorDeployment", "DataRetentionGuard"} <= set(CONSTRUCTS)


@pytest.mark.parametrize("construct", CONSTRUCTS)
def test_a_construct_takes_scope_id_and_its_own_props(construct):
    (init,) = [node for node in CLASSES[construct].body if isinstance(node, ast.FunctionDef) and node.name == "__init__"]
    arguments = init.args
    assert [a.arg for a in arguments.args] == ["self", "scope", "construct_id", "props"], construct
    assert not arguments.kwonlyargs and not arguments.vararg and not arguments.kwarg, construct
    assert ast.unparse(arguments.args[3].annotation) == f"{construct}Props"
    assert f"{construct}Props" in CLASSES, f"{construct}Props is not defined under components/"


@pytest.mark.parametrize("construct", CONSTRUCTS)
def test_props_hold_no_whole_profile_or_input_set(construct):
    fields = {
        statement.target.id: ast.unparse(statement.annotation)
        for cls in _props_classes(f"{construct}Props")
        for statement in cls.body
        if isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name)
    }
    assert fields, construct
    assert not [(name, kind) for name, kind in fields.items() if any(bag in kind for bag in WHOLE_BAGS)], construct
