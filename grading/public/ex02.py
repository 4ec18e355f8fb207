"""Exercise 2's public reference: both sorts are minitorch's topological sort (an iterative DFS)."""

from __future__ import annotations

from typing import Any

from minitorch.graph import topological_sort


def define(namespace: dict) -> dict[str, Any]:
    def sort(output: Any) -> list:
        """Every node output depends on (and output), each after its parents."""
        return topological_sort(output)

    return {"kahn_sort": sort, "dfs_sort": sort}
