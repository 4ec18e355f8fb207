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
from .ex02 import call_sort, modified

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
def toposort(namespace: dict, graph: dict, recursion_margin: int | None = None) -> dict:
    """The student's ``topological_sort`` on the graph, as exercise 2's sorts are probed
    (:func:`grading.probes.ex02.call_sort`: the order, its type, the nodes changed, a recursion limit set)."""
    output, nodes = build(namespace, graph)
    return call_sort(student(namespace, "topological_sort"), output, nodes, recursion_margin)


@probe
def backward(namespace: dict, graph: dict) -> dict:
    """The student's ``backward`` (with minitorch's topological sort): ``{"adjoints": [adjoint of node i, or
    null when missing], "type": type name, "modified": [nodes whose parents or value changed]}``, or
    ``{"kind", "repr"}`` when it does not return a mapping."""
    output, nodes = build(namespace, graph)
    parents = [node.parents for node in nodes]  # tuples: a change replaces them
    values = [node.value for node in nodes]
    with patched(namespace, topological_sort=minitorch.graph.topological_sort):
        result = student(namespace, "backward")(output)
    if not (hasattr(result, "get") and hasattr(result, "__contains__")):
        return {"kind": type(result).__name__, "repr": short_repr(result)}
    changed = set(modified(nodes, parents)) | {i for i, (n, v) in enumerate(zip(nodes, values)) if n.value != v}
    return {
        "adjoints": [value(result[node]) if node in result else None for node in nodes],
        "type": type(result).__name__,
        "modified": sorted(changed),
    }


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
def grad(namespace: dict, inputs: list[str], lines: list[list[str]], xs: list[float]) -> dict:
    """The student's ``grad(f, *xs)`` (with correct ``backward`` and ``topological_sort`` stand-ins):
    ``{"items": [each entry, a float or a repr], "type": type name, "f_calls": n, "backward_calls": n}``, or
    ``{"kind", "repr"}`` when the result is not iterable (the text: call f once, backward once, return a list)."""
    f, standin, counts = program(inputs, lines), backward_standin(namespace), {"f_calls": 0, "backward_calls": 0}

    def counted_f(*args: Any) -> Any:
        counts["f_calls"] += 1
        return f(*args)

    def counted_backward(output: Any) -> dict:
        counts["backward_calls"] += 1
        return standin(output)

    stand_ins = {"backward": counted_backward, "topological_sort": minitorch.graph.topological_sort}
    with patched(namespace, **stand_ins):
        result = student(namespace, "grad")(counted_f, *xs)
    try:
        items = [value(x) for x in result]
    except TypeError:
        return {"kind": type(result).__name__, "repr": short_repr(result)}
    return {"items": items, "type": type(result).__name__} | counts
