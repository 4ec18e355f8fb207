"""Exercise 3's probes: topological_sort, backward and grad on graphs of the notebook's ``Var`` nodes.

A graph travels as ``{"values": [...], "prims": [name in minitorch.scalar_primitives or null], "parents":
[[i, ...], ...], "output": i}`` and is rebuilt with the notebook's own ``Var`` class (a given, read-only
cell); a function for ``grad`` travels as a straight-line program (input names and ``name = expression``
lines over them). Nodes come back as their numbers. Where a part needs an earlier one, minitorch's public
code stands in for it: ``minitorch.graph.topological_sort``, and a backward pass by ``minitorch.Scalar``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import minitorch
from minitorch import scalar_primitives as P

from .base import patched, probe, short_repr, student
from .ex01 import is_real
from .ex02 import encode_order

#: What the grad probe's stand-ins run: not held against the student there.
BACKWARD_STANDIN = ("minitorch.scalar.", "minitorch.graph.")


def build(namespace: dict, graph: dict) -> tuple[Any, list]:
    """The output node and every node, made with the notebook's ``Var``."""
    var = student(namespace, "Var")
    nodes = [var(value, getattr(P, prim) if prim else None) for value, prim in zip(graph["values"], graph["prims"])]
    for node, parents in zip(nodes, graph["parents"]):
        node.parents = tuple(nodes[i] for i in parents)
    return nodes[graph["output"]], nodes


def value(x: object) -> Any:
    """A real number as a float, anything else as its repr (a str)."""
    return float(x) if is_real(x) else short_repr(x, 60)


def backward_standin(namespace: dict) -> Callable[[Any], dict]:
    """A correct ``backward`` for the notebook's nodes, by minitorch's reverse mode (``minitorch.Scalar``) on a
    copy of the graph, with the notebook's ``local_gradients``."""
    local_gradients = student(namespace, "local_gradients")

    def backward(output: Any) -> dict:
        copies: dict = {}
        for node in minitorch.graph.topological_sort(output):
            copies[node] = minitorch.Scalar(
                node.value, _parents=tuple(copies[p] for p in node.parents), _partials=tuple(local_gradients(node))
            )
        copies[output].backward()
        return {node: copy.grad for node, copy in copies.items()}

    return backward


@probe
def toposort(namespace: dict, graph: dict) -> dict:
    output, nodes = build(namespace, graph)
    return encode_order(student(namespace, "topological_sort")(output), nodes)


@probe
def backward(namespace: dict, graph: dict) -> dict:
    """The student's ``backward`` (with minitorch's topological sort): ``{"adjoints": [adjoint of node i, or
    null when missing]}``, or ``{"kind", "repr"}`` when it does not return a dict."""
    output, nodes = build(namespace, graph)
    with patched(namespace, topological_sort=minitorch.graph.topological_sort):
        result = student(namespace, "backward")(output)
    if not (hasattr(result, "get") and hasattr(result, "__contains__")):
        return {"kind": type(result).__name__, "repr": short_repr(result)}
    return {"adjoints": [value(result[node]) if node in result else None for node in nodes]}


def program(inputs: list[str], lines: list[list[str]]) -> Callable[..., Any]:
    """The function ``f(*inputs)`` of a straight-line program (expressions made by the grader)."""
    output = lines[-1][0] if lines else inputs[0]

    def f(*xs: Any) -> Any:
        env = dict(zip(inputs, xs))
        for name, expression in lines:
            env[name] = eval(expression, {"__builtins__": {}}, env)
        return env[output]

    return f


@probe
def grad(namespace: dict, inputs: list[str], lines: list[list[str]], xs: list[float]) -> Any:
    """The student's ``grad(f, *xs)`` (with correct ``backward`` and ``topological_sort`` stand-ins): a list of
    floats (anything else as a repr), or ``{"kind", "repr"}`` when it is not a sequence."""
    stand_ins = {"backward": backward_standin(namespace), "topological_sort": minitorch.graph.topological_sort}
    with patched(namespace, **stand_ins):
        result = student(namespace, "grad")(program(inputs, lines), *xs)
    try:
        return [value(x) for x in result]
    except TypeError:
        return {"kind": type(result).__name__, "repr": short_repr(result)}
