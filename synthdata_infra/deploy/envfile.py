"""Writing an environment's ``services:`` list back into ``environments/<env>.yaml``.

Commands change the list through :func:`update_services`: under the environment's lock it
re-reads the file, applies the command's change to what is there now (so concurrent commands
for different services keep each other's entries), validates the whole new file and replaces
the old one atomically (a unique temporary file in the same folder, fsync, rename).

Only the entries that change are re-rendered. ruamel.yaml's round-trip parser finds where each
entry sits in the text; an untouched entry, every comment and every other key stay byte for
byte, and a changed entry is updated in place in its round-trip form (its own comments, key
order, flow or block style and quoting kept) and rendered at its old place and indentation.
A whole-document round-trip dump is not used: it normalizes indentation, writes ``null`` as
an empty value and drops a comment that follows the last entry when that entry is removed.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from synthdata_infra.config import Environment, ServiceEntry
from synthdata_infra.config.loader import parse_yaml, validate
from synthdata_infra.deploy.lock import environment_lock
from synthdata_infra.errors import ConfigError, SynthdataError
from synthdata_infra.files import write_atomic

Change = Callable[[tuple[ServiceEntry, ...]], tuple[ServiceEntry, ...]]


def environment_file(project: Path, environment: str) -> Path:
    return project / "environments" / f"{environment}.yaml"


def _label(environment: str) -> str:
    return f"environments/{environment}.yaml"


def parse_environment(text: str, name: str) -> Environment:
    """Validate the text of ``environments/<name>.yaml`` (duplicate keys and empty files refused)."""
    label = _label(name)
    environment = validate(Environment, parse_yaml(text, label), prefix=f"{label}:")
    if environment.name != name:
        raise ConfigError(f"{label}:name", environment.name, f"expected {name!r}, the file's name")
    return environment


def update_services(
    project: Path,
    environment: str,
    change: Change,
    check: Callable[[Environment], None] | None = None,
) -> Environment:
    """Apply ``change`` to the services recorded in ``environment`` now, under its lock.

    ``change`` gets the services as the file holds them at this moment and returns the new
    tuple; it may raise to write nothing. ``check`` gets the whole new environment before
    anything is written and may raise too. Returns the environment as now written.
    """
    path = environment_file(project, environment)
    with environment_lock(project, environment):
        if not path.is_file():
            raise ConfigError("environment", environment, f"expected {_label(environment)} to exist")
        text = path.read_text(encoding="utf-8")
        current = parse_environment(text, environment)
        services = tuple(change(current.services))
        if services == current.services:
            updated = current
        else:
            new_text = with_services(text, current.services, services)
            updated = parse_environment(new_text, environment)
            if updated.services != services:  # the edit must say exactly what was asked
                raise SynthdataError(f"{_label(environment)}: rewriting services: did not produce the expected entries; file left as it was")
        if check is not None:
            check(updated)
        if updated is not current:
            write_atomic(path, new_text)
        return updated


def write_services(project: Path, environment: Environment, services: tuple[ServiceEntry, ...]) -> Environment:
    """Replace the environment's services (under the lock, on the file as it is now)."""
    return update_services(project, environment.name, lambda _current: services)


# -- the text edit -----------------------------------------------------------------------------


def entry_data(entry: ServiceEntry) -> dict[str, Any]:
    data: dict[str, Any] = {"name": entry.name, "data_type": entry.data_type, "provider": entry.provider}
    if entry.replicas is not None:
        data["replicas"] = entry.replicas
    if entry.image is not None:
        data["image"] = entry.image
    if entry.version is not None:
        data["version"] = entry.version
    if entry.overrides:
        data["overrides"] = entry.overrides
    if entry.metadata:
        data["metadata"] = dict(entry.metadata)
    return data


def _yaml(sequence: int = 4, offset: int = 2) -> YAML:
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096  # never fold a long value onto a second line
    yaml.indent(mapping=2, sequence=sequence, offset=offset)
    return yaml


def _line_start(text: str, index: int) -> int:
    return text.rfind("\n", 0, index) + 1


def _line_end(text: str, index: int) -> int:
    """Index just past the newline that ends the line holding ``index`` (or the text's end)."""
    end = text.find("\n", index)
    return len(text) if end < 0 else end + 1


def _last_leaf(node: Node) -> Node:
    if isinstance(node, (MappingNode, SequenceNode)) and not node.flow_style and node.value:
        last = node.value[-1]
        return _last_leaf(last[1] if isinstance(node, MappingNode) else last)
    return node


def _item_span(text: str, item: Node) -> tuple[int, int, int]:
    """(start, end, dash column) of a block sequence item: whole lines, from the line of its
    dash to the end of the line where its last value ends (inline comment included)."""
    dash = text.rfind("-", 0, item.start_mark.index)
    start = _line_start(text, dash)
    if text[start:dash].strip():  # "key: - x" cannot happen in a block sequence; be safe
        start = dash
    leaf = _last_leaf(item)
    end = leaf.end_mark.index
    if leaf.end_mark.column == 0 and end > 0 and text[end - 1] == "\n":
        pass  # a block scalar ends with its newline
    else:
        end = _line_end(text, max(end - 1, leaf.start_mark.index, 0) if end > 0 else 0)
    return start, end, dash - _line_start(text, dash)


def _render(item: Any, dash_column: int, content_column: int) -> str:
    """A ``services:`` item rendered as ``- key: ...`` lines with its dash at ``dash_column``.

    Dumped inside a ``services:`` mapping at the file's indentation (then the key line is
    dropped), so the comments kept in a round-trip entry stay in their columns."""
    out = io.StringIO()
    _yaml(sequence=max(content_column, dash_column + 2), offset=dash_column).dump(CommentedMap(services=CommentedSeq([item])), out)
    lines = out.getvalue().splitlines()[1:]
    while lines and (not lines[-1].strip() or lines[-1].lstrip().startswith("#")):
        lines.pop()  # comments after the entry belong to what follows it, which is kept as is
    return "".join(f"{line}\n" for line in lines)


def _trim_trailing(node: Any) -> None:
    """Drop the comment lines the parser hung on an entry's last value: they follow the entry
    in the file, outside the text that is re-rendered, and stay there as written."""
    if isinstance(node, CommentedMap) and node:
        last: Any = list(node)[-1]
        slot = 2
    elif isinstance(node, CommentedSeq) and node:
        last, slot = len(node) - 1, 0
    else:
        return
    tokens = node.ca.items.get(last)
    if tokens and len(tokens) > slot and tokens[slot] is not None and "\n" in tokens[slot].value:
        token = tokens[slot]
        token.value = token.value[: token.value.index("\n") + 1]
    node.ca.end = []
    _trim_trailing(node[last])


def _update_in_place(target: CommentedMap, data: Mapping[str, Any]) -> None:
    """Make ``target`` equal ``data``, keeping the comments, order and style of what stays."""
    for key in [key for key in target if key not in data]:
        del target[key]
    order = list(data)
    for key, value in data.items():
        old = target.get(key)
        if isinstance(value, Mapping) and isinstance(old, CommentedMap):
            _update_in_place(old, value)
        elif key in target:
            if not _same(old, value):
                target[key] = _plain_to_rt(value)
        else:  # a new key goes after the keys that precede it in the usual order
            before = set(order[: order.index(key)])
            position = max((i + 1 for i, k in enumerate(target) if k in before), default=0)
            target.insert(position, key, _plain_to_rt(value))


def _same(old: Any, new: Any) -> bool:
    if isinstance(old, bool) or isinstance(new, bool):
        return type(old) is type(new) and old == new
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        return old.keys() == new.keys() and all(_same(old[k], new[k]) for k in new)
    if isinstance(old, (list, tuple)) and isinstance(new, (list, tuple)):
        return len(old) == len(new) and all(_same(a, b) for a, b in zip(old, new))
    return old == new


def _plain_to_rt(value: Any) -> Any:
    if isinstance(value, Mapping):
        return CommentedMap((str(k), _plain_to_rt(v)) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return CommentedSeq(_plain_to_rt(v) for v in value)
    return value


def _new_entry(entry: ServiceEntry) -> CommentedMap:
    return _plain_to_rt(entry_data(entry))


def with_services(text: str, old: tuple[ServiceEntry, ...], new: tuple[ServiceEntry, ...]) -> str:
    """``text`` with its services changed from ``old`` (what it holds) to ``new``.

    Entries present in both and equal keep their text; entries that differ are re-rendered in
    place; removed entries' lines go; added entries are appended after the last entry.
    """
    root = _yaml().compose(text)
    if not isinstance(root, MappingNode):
        raise SynthdataError("environment file: expected a mapping at the top level")
    pair = next(((k, v) for k, v in root.value if isinstance(k, ScalarNode) and k.value == "services"), None)
    if pair is None:
        body = "".join(_render(_new_entry(e), 2, 4) for e in new)
        return (text if text.endswith("\n") or not text else text + "\n") + ("services:\n" + body if new else "services: []\n")
    key, value = pair
    colon = text.index(":", key.end_mark.index)
    old_names = [entry.name for entry in old]
    new_names = [entry.name for entry in new]
    kept = [name for name in old_names if name in new_names]
    block = isinstance(value, SequenceNode) and not value.flow_style and len(value.value) == len(old)
    if not block or kept != [name for name in new_names if name in old_names]:
        return _rebuild(text, key, value, colon, new)

    spans = [_item_span(text, item) for item in value.value]
    dash_column = spans[0][2] if spans else key.start_mark.column + 2
    content_column = value.value[0].start_mark.column if spans else dash_column + 2
    document = _yaml().load(text)
    entries = document["services"]
    by_name = {entry.name: entry for entry in new}
    pieces: list[str] = []
    cursor = 0
    for index, (start, end, column) in enumerate(spans):
        pieces.append(text[cursor:start])
        cursor = end
        name = old_names[index]
        if name not in by_name:
            continue  # removed: its lines go
        if by_name[name] == old[index]:
            pieces.append(text[start:end])
            continue
        item = entries[index]
        if isinstance(item, CommentedMap):
            _trim_trailing(item)
            _update_in_place(item, entry_data(by_name[name]))
        else:
            item = _new_entry(by_name[name])
        pieces.append(_render(item, column, content_column - dash_column + column))
    added = [entry for entry in new if entry.name not in old_names]
    tail = text[cursor:]
    if added:
        if pieces and not "".join(pieces).endswith("\n"):
            pieces.append("\n")
        pieces.extend(_render(_new_entry(entry), dash_column, content_column) for entry in added)
    result = "".join(pieces) + tail
    if not new:  # the last entry went: the list is now empty
        result = result[: colon + 1] + " []" + result[colon + 1 :]
    return result


def _rebuild(text: str, key: Node, value: Node, colon: int, new: tuple[ServiceEntry, ...]) -> str:
    """Replace a flow-style or empty ``services:`` value (``[]``, ``null``) with a block list."""
    start, end = value.start_mark.index, value.end_mark.index
    if isinstance(value, ScalarNode) and value.value == "":
        start = end = colon + 1  # `services:` with nothing after it
    elif isinstance(value, SequenceNode) and not value.flow_style:
        start = _line_start(text, text.rfind("-", 0, value.value[0].start_mark.index)) if value.value else start
        end = _item_span(text, value.value[-1])[1] if value.value else end
    if start < colon + 1:
        start = end = colon + 1
    before, after = text[:start], text[end:]
    if not new:
        return before.rstrip(" ") + " []" + ("" if after.startswith(("\n", " ", "#")) or not after else "\n") + after
    column = key.start_mark.column + 2
    body = "".join(_render(_new_entry(entry), column, column + 2) for entry in new)
    before = before.rstrip(" ")
    line_rest_end = _line_end(after, 0) if "\n" in after else len(after)
    rest_of_line = after[:line_rest_end]
    if rest_of_line.strip() and not rest_of_line.strip().startswith("#"):
        raise SynthdataError("environment file: unexpected text after services")
    if not rest_of_line.endswith("\n"):
        rest_of_line += "\n"
    return before + rest_of_line.rstrip("\n").rstrip(" ") + "\n" + body + after[line_rest_end:]
