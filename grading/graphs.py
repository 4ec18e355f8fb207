"""Graphs for the topological-sort checks, and the validity test that accepts every valid order."""

from __future__ import annotations

import functools
import random
from collections.abc import Callable, Iterable, Sequence

import numpy as np


class Node:
    """A graph node: a name and its parents (the nodes it is computed from)."""

    __slots__ = ("name", "parents", "__weakref__")

    def __init__(self, name: str, parents: Iterable[Node] = ()):
        self.name = name
        self.parents = tuple(parents)

    def __repr__(self) -> str:
        return self.name


# --------------------------------------------------------------------------- shapes
# Each builder returns (output, description). Descriptions are shown to students.


def describe(output: object, limit: int = 14) -> str:
    """``b <- a, c <- (a, b), ...`` for small graphs; a summary for big ones."""
    seen, order, stack = set(), [], [output]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        order.append(node)
        stack += list(node.parents)  # type: ignore[attr-defined]
        if len(order) > limit:
            return f"{len(ancestors(output))} nodes, output {output!r}"
    edges = [f"{n!r} <- ({', '.join(map(repr, n.parents))})" for n in reversed(order) if n.parents]  # type: ignore
    leaves = [repr(n) for n in reversed(order) if not n.parents]  # type: ignore
    parts = ([f"leaves {', '.join(leaves)}"] if leaves else []) + edges
    return "; ".join(parts) + f"; output {output!r}"


def single() -> Node:
    return Node("x")


# The big graphs are built once per grading process (graphs are never changed once built): a class is graded
# with the same graphs for every submission.
@functools.lru_cache(maxsize=8)
def chain(n: int, name: str = "n") -> Node:
    node = Node(f"{name}0")
    for i in range(1, n):
        node = Node(f"{name}{i}", (node,))
    return node


@functools.lru_cache(maxsize=8)
def chain_with_leaves(n: int) -> Node:
    """``v_i = op(v_{i-1}, c_i)``: a deep chain where every step also reads a fresh leaf."""
    node = Node("v0")
    for i in range(1, n):
        node = Node(f"v{i}", (node, Node(f"c{i}")))
    return node


def diamond() -> Node:
    a = Node("a")
    b, c = Node("b", (a,)), Node("c", (a,))
    return Node("d", (b, c))


def repeated_edge() -> Node:
    """``y = x * x``: the same parent twice."""
    x = Node("x")
    return Node("y", (x, x))


def twice_and_once() -> Node:
    """``t = x.sin(); s = x * x; y = t * s``: x is used twice by one node and once by another (a Kahn that counts
    consumers instead of edges frees x too early)."""
    x = Node("x")
    s, t = Node("s", (x, x)), Node("t", (x,))
    return Node("y", (t, s))


def shared_subgraph() -> Node:
    x, w = Node("x"), Node("w")
    h = Node("h", (x, w))
    s = Node("s", (h,))
    t = Node("t", (h, x))
    u = Node("u", (s, t, h))
    return Node("y", (u, u, w))


def grid(n: int) -> Node:
    """An n-by-n lattice: node (i, j) reads (i-1, j) and (i, j-1); many shared paths."""
    nodes: dict = {}
    for i in range(n):
        for j in range(n):
            parents = [nodes[k] for k in ((i - 1, j), (i, j - 1)) if k in nodes]
            nodes[i, j] = Node(f"g{i}_{j}", parents)
    return nodes[n - 1, n - 1]


def wide(n: int) -> Node:
    """One node reading n leaves, and one of them again."""
    leaves = [Node(f"l{i}") for i in range(n)]
    return Node("y", leaves + leaves[:1])


def random_dag(rng: random.Random, size: int, max_parents: int = 3) -> Node:
    """A random DAG; some nodes are not ancestors of the output, some edges repeat."""
    nodes: list[Node] = []
    for i in range(size):
        k = rng.randint(0, min(len(nodes), max_parents))
        parents = rng.sample(nodes, k)
        if parents and rng.random() < 0.2:
            parents.append(parents[0])  # a repeated edge, as in x * x
        nodes.append(Node(f"r{i}", parents))
    # The output reads the last node and a few random others, so most nodes are ancestors.
    extra = rng.sample(nodes[:-1], min(len(nodes) - 1, 2)) if len(nodes) > 1 else []
    return Node("out", [nodes[-1]] + extra)


# --------------------------------------------------------------------------- cycles


def self_loop() -> Node:
    x = Node("x")
    y = Node("y", (x,))
    y.parents = (x, y)
    return y


def two_cycle() -> Node:
    a = Node("a")
    b = Node("b", (a,))
    a.parents = (b,)
    return Node("y", (b,))


def cycle_below(length: int) -> Node:
    """A DAG whose middle holds a cycle of ``length`` nodes that the output depends on."""
    leaf = Node("leaf")
    ring = [Node(f"c{i}") for i in range(length)]
    for i, node in enumerate(ring):
        node.parents = (ring[i - 1], leaf)  # ring[-1] for i = 0 closes the cycle
    top = Node("top", (ring[length // 2], leaf))
    side = Node("side", (leaf,))
    return Node("y", (top, side))


def cycle_through_output() -> Node:
    a = Node("a")
    y = Node("y", (a,))
    a.parents = (y,)
    return y


def cycle_behind_diamond() -> Node:
    a = Node("a")
    b, c = Node("b", (a,)), Node("c", (a,))
    d = Node("d", (b, c))
    a.parents = (d,)
    return Node("y", (d, Node("z")))


# --------------------------------------------------------------------------- as data


def node_parents(node: object) -> Sequence:
    """A :class:`Node`'s parents (the default way of reading a graph)."""
    return node.parents  # type: ignore[attr-defined]


#: What is computed on a big graph (its ancestors, its data, a reference's results on it), by graph: the same
#: big graphs are checked for every submission. At most :data:`_KEPT` results (the least recent goes), for graphs
#: of at least :data:`_BIG` nodes that are the grader's own: :class:`Node` graphs, and those given to :func:`share`.
_kept: dict[tuple[str, int], tuple[object, object]] = {}
_shared: dict[int, object] = {}
_KEPT, _BIG = 16, 10_000


def share(output: object) -> object:
    """Declare the graph ending in ``output`` the grader's own, never changed (a submission only ever gets it as
    data), so that what :func:`remember` computes on it is kept; returns ``output``."""
    _shared[id(output)] = output
    while len(_shared) > _KEPT:
        del _shared[next(iter(_shared))]
    return output


def remember(kind: str, output: object, compute: Callable[[], object], parents: Callable = node_parents) -> object:
    """``compute()``, the ``kind`` of result for the graph ending in ``output``, computed once per process for
    a big graph of the grader's own (read through ``node.parents``); computed every time for any other."""
    keep = parents is node_parents and (type(output) is Node or _shared.get(id(output)) is output)
    entry = _kept.get((kind, id(output))) if keep else None
    if entry is not None and entry[0] is output:
        return entry[1]
    value = compute()
    size = len(value) if kind == "ancestors" else len(ancestors(output)) if keep else 0
    if keep and size >= _BIG:
        _kept[kind, id(output)] = (output, value)
        while len(_kept) > _KEPT:
            del _kept[next(iter(_kept))]
    return value


def to_data(
    output: object, parents: Callable[[object], Sequence] = node_parents, name: Callable[[object], str] = repr
) -> tuple[dict, list]:
    """The graph that ``output`` depends on as plain data for a probe (``{"names", "parents", "output"}``, nodes
    numbered in a fixed order), and the nodes in that order (neither to be changed: they may be shared)."""

    def compute() -> tuple[dict, list]:
        nodes = list(ancestors(output, parents).values())
        number = {id(node): i for i, node in enumerate(nodes)}
        return {
            "names": [name(n) for n in nodes],
            "parents": [[number[id(p)] for p in parents(n)] for n in nodes],
            "output": number[id(output)],
        }, nodes

    return remember("data", output, compute, parents) if name is repr else compute()  # type: ignore[return-value]


class Returned:
    """Something a student's sort returned that is not a node of the graph (shown as the probe saw it)."""

    def __init__(self, text: str, kind: str | None = None):
        self.text, self.kind = text, kind

    def __repr__(self) -> str:
        return self.text


def from_data(reply: dict, nodes: list) -> object:
    """The order a probe returned (:func:`grading.probes.ex02.encode_order`), in terms of ``nodes``: a list, or a
    :class:`Returned` for anything that is not a sequence."""
    if "items" not in reply:
        return Returned(str(reply.get("repr")), str(reply.get("kind")))
    return [nodes[x] if isinstance(x, int) and 0 <= x < len(nodes) else Returned(str(x)) for x in reply["items"]]


# --------------------------------------------------------------------------- validity


def ancestors(output: object, parents: Callable[[object], Sequence] = node_parents) -> dict:
    """id -> node for output and everything it depends on (iterative; not to be changed: it may be shared)."""

    def compute() -> dict:
        found = {id(output): output}
        stack = [output]
        while stack:
            for parent in parents(stack.pop()):
                if id(parent) not in found:
                    found[id(parent)] = parent
                    stack.append(parent)
        return found

    return remember("ancestors", output, compute, parents)  # type: ignore[return-value]


def valid_order(graph: dict, reply: dict) -> bool:
    """Is the order a probe returned (node numbers, ``reply["items"]``) a valid topological order of ``graph``
    (:func:`to_data`)? The same rules as :func:`order_problem`, on arrays: a quick yes for a 100,000-node
    order; a no leaves the explaining to :func:`order_problem`."""
    items, n = reply.get("items"), len(graph["parents"])
    if type(items) is not list or len(items) != n or n == 0 or not all(type(x) is int for x in items):
        return False
    order = np.asarray(items, dtype=np.int64)
    if order.min() < 0 or order.max() >= n:
        return False
    position = np.full(n, -1, dtype=np.int64)
    position[order] = np.arange(n)
    if (position < 0).any():  # n numbers in range, one missing: one repeated
        return False
    child = np.repeat(np.arange(n), [len(p) for p in graph["parents"]])
    parent = np.fromiter((q for p in graph["parents"] for q in p), dtype=np.int64, count=len(child))
    return bool((position[parent] < position[child]).all()) and items[-1] == graph["output"]


def order_problem(
    output: object,
    result: object,
    parents: Callable[[object], Sequence] = node_parents,
    label: Callable[[object], str] = repr,
) -> str | None:
    """Why ``result`` is not a valid topological order of ``output``'s ancestors (None if it is)."""
    if isinstance(result, Returned) and result.kind:
        return f"expected a list of nodes, got {result.kind}"
    if isinstance(result, (str, bytes, dict, set, frozenset)) or result is None:
        return f"expected a list of nodes, got {type(result).__name__}"
    try:
        order = list(result)  # type: ignore[call-overload]
    except TypeError:
        return f"expected a list of nodes, got {type(result).__name__}"
    expected = ancestors(output, parents)
    position: dict[int, int] = {}
    for i, node in enumerate(order):
        if id(node) not in expected:
            return f"{label(node)} (at position {i}) is not a node that the output depends on"
        if id(node) in position:
            return f"{label(node)} appears twice (positions {position[id(node)]} and {i})"
        position[id(node)] = i
    missing = [node for key, node in expected.items() if key not in position]
    if missing:
        shown = ", ".join(map(label, missing[:5])) + (" ..." if len(missing) > 5 else "")
        return f"{len(missing)} node(s) missing: {shown}"
    for node in order:
        for parent in parents(node):
            if position[id(parent)] > position[id(node)]:
                return (
                    f"{label(node)} (position {position[id(node)]}) comes before its parent {label(parent)} "
                    f"(position {position[id(parent)]})"
                )
    if order[-1] is not output:
        return f"the order must end with the output {label(output)}"
    return None


def show_order(result: object, limit: int = 12, label: Callable[[object], str] = repr) -> str:
    if isinstance(result, (str, bytes, dict)) or result is None:
        return repr(result)
    try:
        order = list(result)  # type: ignore[call-overload]
    except TypeError:
        return repr(result)
    text = ", ".join(map(label, order[:limit]))
    if len(order) > limit:
        text += f", ... ({len(order)} nodes)"
    return f"[{text}]"
