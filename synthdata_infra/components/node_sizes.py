"""The node pool size inputs every cloud module shares: min <= desired <= max."""

from __future__ import annotations


def node_size_precondition() -> dict[str, str]:
    """A cross-input check on the node pool, evaluated at plan time."""
    return {
        "condition": "${var.node_min_size <= var.node_desired_size && var.node_desired_size <= var.node_max_size}",
        "error_message": "node_min_size <= node_desired_size <= node_max_size must hold.",
    }
