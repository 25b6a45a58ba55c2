"""Metric names used by a PromQL expression, read from promql-parser's syntax tree."""

from __future__ import annotations

import promql_parser

_CHILDREN = ("expr", "lhs", "rhs", "param", "args", "vector_selector", "vs")


def metric_names(expression: str) -> set[str]:
    found: set[str] = set()

    def walk(node) -> None:
        if node is None or isinstance(node, (str, int, float)):
            return
        if isinstance(node, (list, tuple)):
            for item in node:
                walk(item)
            return
        if type(node).__name__ == "VectorSelector" and node.name:
            found.add(node.name)
        for attribute in _CHILDREN:
            if hasattr(node, attribute):
                walk(getattr(node, attribute))

    walk(promql_parser.parse(expression))
    return found
