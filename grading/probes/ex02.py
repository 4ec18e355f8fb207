"""Exercise 2's probes: a topological sort of a graph given as an edge list, returned as node numbers.

Every reply also says what the text's rules need to know: the type of the result (``"type"``; a list is
required), the nodes whose ``parents`` the call changed (``"modified"``; the graph must be left as it was), and,
for a call made under a low recursion limit (``recursion_margin``), the limit the function tried to set
(``"recursion_limit"``; the rule is "no recursion").
"""

from __future__ import annotations

from typing import Any

from .base import probe, short_repr, student
from .state import recursion_guard


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


def modified(nodes: list, parents: list) -> list[int]:
    """The numbers of the nodes whose ``parents`` are no longer ``parents[i]`` (the same nodes in the same order;
    nodes compare by identity)."""
    changed = []
    for i, node in enumerate(nodes):
        after = getattr(node, "parents", None)
        if after is parents[i]:
            continue
        try:
            same = tuple(after) == tuple(parents[i])
        except TypeError:
            same = False
        if not same:
            changed.append(i)
    return changed


def call_sort(sort: Any, output: Any, nodes: list, recursion_margin: int | None = None) -> dict:
    """``sort(output)`` encoded by :func:`encode_order`, with the facts the rules need: ``type`` (the result's type
    name), ``modified`` (nodes whose parents changed) and, under a recursion limit ``recursion_margin`` frames
    above the caller (when given), ``recursion_limit`` (a limit the function tried to set)."""
    parents = [node.parents for node in nodes]  # tuples: a change replaces them
    if recursion_margin is None:
        result, tried = sort(output), None
    else:
        with recursion_guard(recursion_margin) as watch:
            result = sort(output)
        tried = watch.changed
    reply = encode_order(result, nodes) | {"type": type(result).__name__, "modified": modified(nodes, parents)}
    if tried is not None:
        reply["recursion_limit"] = tried
    return reply


@probe
def order(namespace: dict, function: str, graph: dict, recursion_margin: int | None = None) -> dict:
    """``function(output)`` on the graph, by :func:`call_sort`."""
    output, nodes = build(graph)
    return call_sort(student(namespace, function), output, nodes, recursion_margin)


@probe
def cycle(namespace: dict, function: str, graph: dict) -> dict:
    """As :func:`order`, but a ValueError is an answer: ``{"raised": "ValueError"}``."""
    output, nodes = build(graph)
    try:
        return call_sort(student(namespace, function), output, nodes)
    except ValueError:  # a subclass too (a CycleError of the student's)
        return {"raised": "ValueError"}
