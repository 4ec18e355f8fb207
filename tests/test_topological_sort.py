"""topological_sort is generic: any hashable node with parents works."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minitorch import topological_sort


class Node:
    def __init__(self, name, parents=()):
        self.name = name
        self.parents = list(parents)

    def __repr__(self):
        return f"Node({self.name})"


def assert_valid_order(order, output):
    assert order[-1] is output
    assert len({id(n) for n in order}) == len(order), "a node appears twice"
    position = {id(n): i for i, n in enumerate(order)}
    stack, seen = [output], set()
    while stack:  # every ancestor is present and after its parents
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        for parent in node.parents:
            assert position[id(parent)] < position[id(node)]
            stack.append(parent)
    assert seen == set(position)


@settings(max_examples=80, deadline=None)
@given(st.integers(1, 40), st.integers(0, 2**32 - 1))
def test_random_dags(size, seed):
    rng = random.Random(seed)
    nodes = []
    for i in range(size):
        parents = rng.sample(nodes, k=min(len(nodes), rng.randint(0, 3)))
        parents += parents[:1]  # repeated edges, as in x * x
        nodes.append(Node(i, parents))
    order = topological_sort(nodes[-1])
    assert_valid_order(order, nodes[-1])
    assert [n.name for n in topological_sort(nodes[-1])] == [n.name for n in order]


def test_diamond():
    a = Node("a")
    b, c = Node("b", [a]), Node("c", [a])
    d = Node("d", [b, c])
    assert [n.name for n in topological_sort(d)] == ["a", "b", "c", "d"]


def test_deep_chain_is_not_recursive():
    node = Node(0)
    for i in range(1, 200_000):
        node = Node(i, [node])
    order = topological_sort(node)
    assert [n.name for n in order[:3]] == [0, 1, 2]
    assert len(order) == 200_000


def test_cycle_raises():
    a = Node("a")
    b = Node("b", [a])
    a.parents.append(b)
    with pytest.raises(ValueError, match="cycle"):
        topological_sort(b)


def test_custom_parents_function():
    graph = {"loss": ["h", "w"], "h": ["x", "w"], "w": [], "x": []}
    order = topological_sort("loss", parents=lambda n: graph[n])
    assert order == ["x", "w", "h", "loss"]
