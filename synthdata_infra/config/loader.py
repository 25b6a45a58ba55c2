"""Layered configuration: base -> data type -> environment -> user overrides.

One merge function and one precedence order. The merged mapping is validated once into a
frozen :class:`ServiceConfig`; every failure becomes a :class:`ConfigError` that names the
key path, the value received and what is allowed.
"""

from __future__ import annotations

import copy
import difflib
import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, get_args, get_origin

import yaml
from pydantic import BaseModel, ValidationError

from synthdata_infra.config.environment import Environment
from synthdata_infra.config.models import ServiceConfig
from synthdata_infra.errors import ConfigError

PROFILE_FILE = "profile.yaml"
_DATA_TYPE_NAME = re.compile(r"^[a-z][a-z0-9_]{0,23}$")
_OVERRIDE_PATH = re.compile(r"^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)*$")


def project_root() -> Path:
    """Folder holding ``profiles/`` and ``environments/``.

    ``SYNTHDATA_INFRA_ROOT`` wins; otherwise the nearest folder at or above the working
    directory that has ``profiles/base.yaml``; otherwise the checkout the package lives in.
    """
    explicit = os.environ.get("SYNTHDATA_INFRA_ROOT")
    if explicit:
        return Path(explicit)
    here = Path.cwd()
    for folder in (here, *here.parents):
        if (folder / "profiles" / "base.yaml").is_file():
            return folder
    return Path(__file__).resolve().parents[2]


def deep_merge(base: Mapping[str, Any], overlay: Mapping[str, Any]) -> dict[str, Any]:
    """Mappings merge key by key; lists, scalars and null in ``overlay`` replace."""
    merged = copy.deepcopy(dict(base))
    for key, value in overlay.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def parse_override(text: str) -> dict[str, Any]:
    """``"gpu.count=2"`` -> ``{"gpu": {"count": 2}}``; the value is read as a YAML scalar."""
    path, sep, raw = text.partition("=")
    path = path.strip()
    if not sep or not _OVERRIDE_PATH.match(path):
        raise ConfigError("--set", text, "expected PATH=VALUE with a dotted key path, e.g. resources.memory=32Gi")
    try:
        value = yaml.safe_load(raw) if raw.strip() else ""
    except yaml.YAMLError:
        value = raw
    nested: Any = value
    for key in reversed(path.split(".")):
        nested = {key: nested}
    return nested


def parse_overrides(texts: Iterable[str]) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for text in texts:
        merged = deep_merge(merged, parse_override(text))
    return merged


class _Described:
    """A received value that is a description, printed as is (``got an empty file``)."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __str__(self) -> str:
        return self.text


def parse_yaml(text: str, label: str) -> dict[str, Any]:
    """The mapping a YAML document holds; ``label`` (e.g. ``profiles/base.yaml``) names the file.

    A duplicate mapping key anywhere, an empty or comment-only document and a top level that
    is not a mapping are errors (PyYAML would keep the last duplicate and read nothing as null).
    """
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise ConfigError(label, _Described("an empty file (nothing but comments or blank lines)"), "expected a mapping of keys to values")
        _check_duplicates(node, label, ())
        data = loader.construct_document(node)
    except yaml.YAMLError as exc:
        raise ConfigError(label, "invalid YAML", f"fix the syntax: {_syntax(exc)}") from None
    finally:
        loader.dispose()
    if not isinstance(data, dict):
        raise ConfigError(label, type(data).__name__, "expected a mapping at the top level")
    if not data:
        raise ConfigError(label, _Described("an empty mapping"), "expected a mapping of keys to values")
    return data


def _syntax(exc: yaml.YAMLError) -> str:
    """PyYAML's message on one line: ``line 2, column 1: expected ... (while parsing ...)``."""
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None)
    if mark is None or problem is None:
        return " ".join(str(exc).split())
    context = getattr(exc, "context", None)
    return f"line {mark.line + 1}, column {mark.column + 1}: {problem}" + (f" ({context})" if context else "")


def _check_duplicates(node: yaml.Node, label: str, path: tuple[str, ...]) -> None:
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for key, value in node.value:
            name = str(key.value) if isinstance(key, yaml.ScalarNode) else None
            if name is not None and key.tag != "tag:yaml.org,2002:merge":
                line = key.start_mark.line + 1
                if name in seen:
                    where = ".".join((*path, name))
                    raise ConfigError(
                        f"{label}:{where}",
                        _Described(f"a duplicate key at line {line} (first at line {seen[name]})"),
                        "each key may appear only once in a mapping; remove or merge one of them",
                    )
                seen[name] = line
            _check_duplicates(value, label, (*path, name if name is not None else "?"))
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _check_duplicates(item, label, (*path, str(index)))


def load_yaml(path: Path, label: str | None = None) -> dict[str, Any]:
    return parse_yaml(path.read_text(encoding="utf-8"), label or str(path))


def available_environments(root: Path | None = None) -> tuple[str, ...]:
    folder = (root or project_root()) / "environments"
    return tuple(sorted(p.stem for p in folder.glob("*.yaml")))


def load_environment(name: str, root: Path | None = None) -> Environment:
    root = root or project_root()
    known = available_environments(root)
    if name not in known:
        raise ConfigError("environment", name, f"expected one of {', '.join(known) or '(none found)'}")
    data = load_yaml(root / "environments" / f"{name}.yaml", f"environments/{name}.yaml")
    environment = validate(Environment, data, prefix=f"environments/{name}.yaml:")
    if environment.name != name:
        raise ConfigError(f"environments/{name}.yaml:name", environment.name, f"expected {name!r}, the file's name")
    return environment


def data_types(root: Path | None = None) -> tuple[str, ...]:
    """The data types, sorted: one per folder under ``profiles/`` that holds a ``profile.yaml``.

    A type's folder holds everything that makes it (see the README, "Adding a data type"); no
    list of types exists anywhere else.
    """
    folder = (root or project_root()) / "profiles"
    names = sorted(path.parent.name for path in folder.glob(f"*/{PROFILE_FILE}"))
    for name in names:
        if not _DATA_TYPE_NAME.match(name):
            raise ConfigError(
                f"profiles/{name}",
                name,
                "expected a data type name: a lower-case letter, then lower-case letters, digits or '_', at most 24 characters",
            )
    return tuple(names)


def type_folder(data_type: str, root: Path | None = None) -> Path:
    """``profiles/<data_type>``: the folder that defines the type."""
    return (root or project_root()) / "profiles" / data_type


def check_data_type(data_type: str, root: Path | None = None) -> str:
    known = data_types(root)
    if data_type not in known:
        raise ConfigError("type", data_type, f"expected one of {', '.join(known)}")
    return data_type


PROFILE_ONLY = "profile"


def resolve(
    data_type: str,
    environment: str | None = "production",
    overrides: Mapping[str, Any] | None = None,
    root: Path | None = None,
) -> ServiceConfig:
    """The effective configuration of ``data_type`` in ``environment`` with ``overrides``.

    ``environment=None`` skips the environment layer: the data type's profile as it is, which
    is what the reusable modules in modules_out/ take their defaults from.
    """
    root = root or project_root()
    for coordinate, option in (("data_type", "--type"), ("environment", "--environment")):
        if overrides and coordinate in overrides:
            raise ConfigError(coordinate, overrides[coordinate], f"not an override: choose it with {option}")
    kind = check_data_type(str(getattr(data_type, "value", data_type)), root)
    layers = (
        load_yaml(root / "profiles" / "base.yaml", "profiles/base.yaml"),
        load_yaml(type_folder(kind, root) / PROFILE_FILE, f"profiles/{kind}/{PROFILE_FILE}"),
        load_environment(environment, root).config if environment else {},
        dict(overrides or {}),
    )
    merged: dict[str, Any] = {}
    for layer in layers:
        merged = deep_merge(merged, layer)
    merged["data_type"] = kind
    merged["environment"] = environment or PROFILE_ONLY
    return validate(ServiceConfig, merged)


def validate(model: type[BaseModel], data: Mapping[str, Any], prefix: str = ""):
    """Validate ``data`` into ``model``, turning the first error into a ConfigError."""
    try:
        return model.model_validate(data)
    except ConfigError as exc:
        raise ConfigError(prefix + exc.path, exc.value, exc.allowed) from None
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        # An unknown key is the likeliest root cause (a typo leaves the meant key missing).
        first = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])
        raise _config_error(model, first, prefix) from None


def _config_error(model: type[BaseModel], error: dict[str, Any], prefix: str) -> ConfigError:
    # A mapping's key error is located at (..., key, "[key]"): the key's path is enough.
    loc = tuple(part for part in error["loc"] if not _is_union_tag(part) and part != "[key]")
    path = prefix + ".".join(str(part) for part in loc)
    kind = error["type"]
    ctx = error.get("ctx", {})
    value = error.get("input")
    if kind == "extra_forbidden":
        allowed_keys = _allowed_keys(model, loc[:-1])
        hint = f"unknown key; allowed keys here: {', '.join(allowed_keys)}"
        close = difflib.get_close_matches(str(loc[-1]), allowed_keys, n=1)
        if close:
            hint += f" (did you mean {'.'.join(str(p) for p in loc[:-1]) + '.' if loc[:-1] else ''}{close[0]}?)"
        return ConfigError(path, value, hint)
    if kind == "missing":
        return ConfigError(path, None, "this key is required")
    allowed = {
        "literal_error": lambda: f"expected one of {ctx.get('expected', '')}".replace("'", ""),
        "enum": lambda: f"expected one of {ctx.get('expected', '')}".replace("'", ""),
        "greater_than_equal": lambda: f"expected a number >= {ctx.get('ge')}",
        "greater_than": lambda: f"expected a number > {ctx.get('gt')}",
        "less_than_equal": lambda: f"expected a number <= {ctx.get('le')}",
        "less_than": lambda: f"expected a number < {ctx.get('lt')}",
        "int_parsing": lambda: "expected a whole number",
        "int_type": lambda: "expected a whole number",
        "int_from_float": lambda: "expected a whole number",
        "float_parsing": lambda: "expected a number",
        "float_type": lambda: "expected a number",
        "bool_parsing": lambda: "expected true or false",
        "bool_type": lambda: "expected true or false",
        "string_type": lambda: "expected a string",
        "string_pattern_mismatch": lambda: f"expected a value matching {ctx.get('pattern')}",
        "dict_type": lambda: "expected a mapping of keys to values",
        "model_type": lambda: "expected a mapping of keys to values",
        "model_attributes_type": lambda: "expected a mapping of keys to values",
        "tuple_type": lambda: "expected a list",
        "list_type": lambda: "expected a list",
        "value_error": lambda: str(ctx.get("error", error["msg"])),
    }.get(kind, lambda: error["msg"])()
    return ConfigError(path, value, allowed)


def _is_union_tag(part: Any) -> bool:
    """Pydantic adds the member's name (e.g. ``Gpu``) to the location of union errors; a mapping's
    key that happens to start with a capital (a label ``Team``) is not one."""
    return isinstance(part, str) and part[:1].isupper() and part in _model_names(BaseModel)


def _model_names(model: type[BaseModel]) -> set[str]:
    names = set()
    for sub in model.__subclasses__():
        names |= {sub.__name__} | _model_names(sub)
    return names


def _allowed_keys(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    current: Any = model
    for part in loc:
        if isinstance(part, int):
            current = _first_model(current)
            continue
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return []
        field = current.model_fields.get(str(part))
        if field is None:
            return []
        current = _first_model(field.annotation)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return sorted(current.model_fields)
    return []


def _first_model(annotation: Any) -> Any:
    """The model class inside ``X | None``, ``tuple[X, ...]`` or ``Annotated[X, ...]``."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = _first_model(arg)
        if found is not None:
            return found
    return None if get_origin(annotation) is not None or not isinstance(annotation, type) else annotation
