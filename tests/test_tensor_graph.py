"""``minitorch.topological_sort`` on tensor graphs: contexts (``grad_fn``) and leaves."""

from __future__ import annotations

import numpy as np

import minitorch
from minitorch import Context, Tensor


def build():
    x = minitorch.tensor(np.array([[0.5, -1.0], [2.0, 0.3]]), requires_grad=True)
    w = minitorch.tensor(np.array([1.0, -2.0]), requires_grad=True)
    c = minitorch.tensor(np.array([3.0, 4.0]))  # a constant: not part of the graph
    h = (x @ w).tanh()
    loss = (h * h).sum() + (w * c).exp().sum() + x.mean()
    return x, w, c, h, loss


def test_every_node_comes_after_its_parents():
    x, w, c, h, loss = build()
    order = minitorch.topological_sort(loss.grad_fn)
    assert order[-1] is loss.grad_fn
    assert len({id(n) for n in order}) == len(order), "a node appears twice"
    position = {id(n): i for i, n in enumerate(order)}
    for node in order:
        for parent in node.parents:
            assert position[id(parent)] < position[id(node)], f"{parent!r} comes after {node!r}"


def test_nodes_are_contexts_and_the_leaves_that_require_grad():
    x, w, c, h, loss = build()
    order = minitorch.topological_sort(loss.grad_fn)
    leaves = [n for n in order if isinstance(n, Tensor)]
    assert {id(n) for n in leaves} == {id(x), id(w)}
    assert all(n.is_leaf and n.parents == () for n in leaves)
    contexts = [n for n in order if not isinstance(n, Tensor)]
    assert all(isinstance(n, Context) for n in contexts)
    assert h.grad_fn in contexts
    names = [n.name() for n in contexts]
    # x @ w, tanh, h * h, sum, w * c, exp, sum, add, x.mean() (a sum times 1/n), add.
    for name in ("MatMulBackward", "TanhBackward", "MulBackward", "SumBackward", "ExpBackward", "AddBackward"):
        assert name in names
    assert names.count("MatMulBackward") == 1 and names.count("TanhBackward") == 1
    assert len(contexts) == 11


def test_every_context_reachable_and_parents_are_edges():
    x, w, c, h, loss = build()
    order = minitorch.topological_sort(loss.grad_fn)
    seen, stack = set(), [loss.grad_fn]
    while stack:  # an independent walk finds the same nodes
        node = stack.pop()
        if id(node) not in seen:
            seen.add(id(node))
            stack.extend(node.parents)
    assert seen == {id(n) for n in order}
    for node in order:
        if isinstance(node, Context):
            assert node.parents == tuple(e for e in node.edges if e is not None)


def test_a_leaf_used_twice_appears_once():
    x = minitorch.tensor(2.0, requires_grad=True)
    y = x * x
    order = minitorch.topological_sort(y.grad_fn)
    assert order == [x, y.grad_fn]


def test_a_long_chain_does_not_recurse():
    x = minitorch.tensor(1.0, requires_grad=True)
    y = x
    for _ in range(5000):
        y = y * 1.0
    order = minitorch.topological_sort(y.grad_fn)
    assert len(order) == 5001 and order[0] is x
    y.backward()
    assert x.grad.item() == 1.0
