"""The graph helpers the sort checks rest on: the quick validity test agrees with the explaining one, and
results are kept only for the grader's own big graphs."""

from __future__ import annotations

import random

import pytest

from grading import graphs as G


def _valid_order(output: G.Node) -> list[G.Node]:
    """A topological order by depth-first search (parents first, output last)."""
    order, done, stack = [], set(), [(output, False)]
    while stack:
        node, expanded = stack.pop()
        if id(node) in done:
            continue
        if expanded:
            done.add(id(node))
            order.append(node)
            continue
        stack.append((node, True))
        stack += [(p, False) for p in reversed(node.parents) if id(p) not in done]
    return order


def _corruptions(rng: random.Random, items: list[int], n: int) -> list[list]:
    swapped = list(items)
    i, j = sorted(rng.sample(range(n), 2)) if n > 1 else (0, 0)
    swapped[i], swapped[j] = swapped[j], swapped[i]
    return [
        swapped,
        items[:-1],
        items + [items[0]],
        items[:-1] + [items[0]],
        [n] + items[1:],
        [-1] + items[1:],
        [True] + items[1:] if items[0] == 1 else [1.0 * items[0]] + items[1:],
        list(reversed(items)),
        [],
        [str(items[0])] + items[1:],
    ]


@pytest.mark.parametrize("seed", range(40))
def test_the_quick_validity_test_agrees_with_order_problem(seed):
    rng = random.Random(seed)
    output = G.random_dag(rng, rng.randint(1, 30))
    graph, nodes = G.to_data(output)
    number = {id(node): i for i, node in enumerate(nodes)}
    valid = [number[id(node)] for node in _valid_order(output)]
    for items in [valid, *_corruptions(rng, valid, len(nodes))]:
        reply = {"items": items}
        expected = G.order_problem(output, G.from_data(reply, nodes)) is None
        quick = G.valid_order(graph, reply)
        assert expected or not quick, items  # never more lenient
        if all(type(x) is int for x in items):  # (a bool counts as a number for from_data; the quick test says no)
            assert quick == expected, (items, G.order_problem(output, G.from_data(reply, nodes)))
    assert G.valid_order(graph, {"repr": "None", "kind": "NoneType"}) is False


def test_a_100000_node_chain_is_checked_the_quick_way():
    output = G.chain(100_000)
    graph, _ = G.to_data(output)
    items = list(range(len(graph["parents"])))[::-1]  # to_data numbers the chain from the output back
    assert graph["output"] == 0 and G.valid_order(graph, {"items": items})
    assert not G.valid_order(graph, {"items": items[::-1]})


def test_results_are_kept_for_shared_big_graphs_only():
    calls = []

    def compute(tag):
        return lambda: calls.append(tag) or tag

    big = G.chain(G._BIG + 5, name="big")
    small = G.chain(5, name="small")
    for _ in range(3):
        assert G.remember("test kind", big, compute("big")) == "big"  # a Node graph: the grader's own
        assert G.remember("test kind", small, compute("small")) == "small"  # small: not worth keeping
    assert calls.count("big") == 1 and calls.count("small") == 3

    class Var:
        def __init__(self, parents=()):
            self.parents = tuple(parents)

    node = Var()
    for _ in range(G._BIG + 5):
        node = Var([node])
    for _ in range(2):
        G.remember("test kind", node, compute("foreign"))
    assert calls.count("foreign") == 2  # not shared: computed every time
    G.share(node)
    for _ in range(2):
        G.remember("test kind", node, compute("shared"))
    assert calls.count("shared") == 1
