"""Exercise 2's probes: a topological sort of a graph given as an edge list, returned as node numbers."""

from __future__ import annotations

from typing import Any

from .base import probe, short_repr, student


class Node:
    """A graph node as the notebook defines it: a name and its parents (the nodes it is computed from)."""

    __slots__ = ("name", "parents", "__weakref__")

    def __init__(self, name: str, parents: tuple = ()):
        self.name = name
        self.parents = tuple(parents)

    def __repr__(self) -> str:
        return self.name


def build(graph: dict) -> tuple[Node, list[Node]]:
    """The output node and every node of ``{"names": [...], "parents": [[i, ...], ...], "output": i}``
    (parents may point forwards: graphs with cycles)."""
    nodes = [Node(str(name)) for name in graph["names"]]
    for node, parents in zip(nodes, graph["parents"]):
        node.parents = tuple(nodes[i] for i in parents)
    return nodes[graph["output"]], nodes


def encode_order(result: Any, nodes: list) -> dict:
    """A returned sequence as ``{"items": [node number, or the repr of anything else]}``; anything that is
    not a sequence as ``{"kind": type name, "repr": ...}``."""
    if isinstance(result, (str, bytes, dict, set, frozenset)) or result is None:
        return {"kind": type(result).__name__, "repr": short_repr(result)}
    try:
        items = list(result)
    except TypeError:
        return {"kind": type(result).__name__, "repr": short_repr(result)}
    number = {id(node): i for i, node in enumerate(nodes)}
    return {
        "items": [number[id(x)] if id(x) in number and x is nodes[number[id(x)]] else short_repr(x, 60) for x in items]
    }


@probe
def order(namespace: dict, function: str, graph: dict) -> dict:
    """``function(output)`` on the graph, encoded by :func:`encode_order`."""
    output, nodes = build(graph)
    return encode_order(student(namespace, function)(output), nodes)


@probe
def cycle(namespace: dict, function: str, graph: dict) -> dict:
    """As :func:`order`, but a ValueError is an answer: ``{"raised": "ValueError"}``."""
    output, nodes = build(graph)
    sort = student(namespace, function)
    try:
        result = sort(output)
    except ValueError:  # a subclass too (a CycleError of the student's)
        return {"raised": "ValueError"}
    return encode_order(result, nodes)
