"""Exercise 2: topological sort, by Kahn's algorithm and by an iterative depth-first search.

Any valid order is accepted: a result is checked structurally (every ancestor of
the output exactly once, each after all of its parents, the output last), not
compared with one particular order.

The worked example of the data-only form (see grading/README.md, "Converting an exercise"): a check
builds its graph here, sends it to the probe as an edge list (:func:`grading.graphs.to_data`), and gets
the student's order back as node numbers (:mod:`grading.probes.ex02`), which it maps back to its own
nodes to judge.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from .. import graphs as G
from ..core import Case, ExerciseSpec, Tester, Verdict

EXERCISE = ExerciseSpec("ex02", "ex02_topological_sort", "Topological sort")

FORBIDDEN = ("minitorch.graph", "graphlib")
VALID = "every node the output depends on, exactly once, each after all of its parents (any such order)"


def order_case(t: Tester, function: str, what: str, build: Callable[[], G.Node], *, heavy: bool = False) -> Case:
    def run() -> Verdict:
        output = build()
        graph, nodes = G.to_data(output)
        result = G.from_data(t.probe("order", function=function, graph=graph), nodes)
        problem = G.order_problem(output, result)
        warning = None
        if (
            not heavy
            and G.order_problem(output, G.from_data(t.expect("order", function=function, graph=graph), nodes))
            is not None
        ):
            warning = "the reference solution returns an invalid order"
        return Verdict(problem is None, VALID, G.show_order(result), detail=problem, grader_warning=warning)

    return Case(f"{function}({what})", run, heavy=heavy, input=None if heavy else G.describe(build()))


def cycle_case(t: Tester, function: str, what: str, build: Callable[[], G.Node]) -> Case:
    def run() -> Verdict:
        graph, nodes = G.to_data(build())
        reply = t.probe("cycle", function=function, graph=graph)
        if reply.get("raised") == "ValueError":
            return Verdict(True, "ValueError", "ValueError")
        return Verdict(
            False,
            "ValueError (the graph has a cycle)",
            f"returned {G.show_order(G.from_data(reply, nodes))}",
            detail="a graph with a cycle has no topological order: raise ValueError",
        )

    return Case(f"{function}({what})", run, input=G.describe(build()))


def _order_cases(t: Tester, function: str):
    if not t.hidden:
        yield order_case(t, function, "a single node", G.single)
        yield order_case(t, function, "a chain of 3 nodes", lambda: G.chain(3))
        yield order_case(t, function, "a diamond", G.diamond)
        yield order_case(t, function, "y = x * x (the same parent twice)", G.repeated_edge)
        return
    yield order_case(t, function, "a chain of 2 nodes", lambda: G.chain(2))
    yield order_case(t, function, "shared nodes", G.shared_subgraph)
    yield order_case(t, function, "a 10 x 10 grid (many shared paths)", lambda: G.grid(10))
    yield order_case(t, function, "a node with 50 parents", lambda: G.wide(50))
    for i in range(8):
        seed = t.rng.randrange(2**32)
        size = t.rng.randint(5, 40)
        yield order_case(
            t,
            function,
            f"a random DAG of {size} nodes (#{i + 1})",
            lambda seed=seed, size=size: G.random_dag(random.Random(seed), size),
        )


def _cycle_cases(t: Tester, function: str):
    if not t.hidden:
        yield cycle_case(t, function, "a node that is its own parent", G.self_loop)
        yield cycle_case(t, function, "a cycle of two nodes", G.two_cycle)
        return
    yield cycle_case(t, function, "a cycle through the output", G.cycle_through_output)
    yield cycle_case(t, function, "a cycle of 3 nodes below the output", lambda: G.cycle_below(3))
    yield cycle_case(t, function, "a self-loop below the output", lambda: G.cycle_below(1))
    yield cycle_case(t, function, "a cycle of 50 nodes", lambda: G.cycle_below(50))
    yield cycle_case(t, function, "a cycle closed behind a diamond", G.cycle_behind_diamond)


def _deep_cases(t: Tester, function: str):
    if not t.hidden:
        yield order_case(t, function, "a chain of 1,000 nodes", lambda: G.chain(1000))
        yield order_case(t, function, "a chain of 100,000 nodes", lambda: G.chain(100_000), heavy=True)
        return
    yield order_case(
        t,
        function,
        "a chain 100,000 nodes deep with a fresh leaf at every step",
        lambda: G.chain_with_leaves(100_000),
        heavy=True,
    )


ORDER_HINT = (
    "Return a list of every node the output depends on (and the output itself), each once, every node "
    "after all of its parents, so the output comes last. Parents may repeat (y = x * x)."
)
CYCLE_HINT = "If the nodes the output depends on contain a cycle, raise ValueError."
DEEP_HINT = (
    "No recursion (Python stops at about 1,000 nested calls) and O(V + E) work: use an explicit stack or "
    "queue, and sets or dicts (not lists) to remember nodes."
)


@EXERCISE.part(
    "kahn_order",
    points=3,
    title="kahn_sort: a valid order",
    needs=("kahn_sort",),
    forbidden=FORBIDDEN,
    hint=ORDER_HINT + " Kahn: count each node's consumers among the ancestors; start from the output; "
    "a node is ready when all its consumers are placed; reverse at the end.",
)
def kahn_order(t: Tester):
    yield from _order_cases(t, "kahn_sort")


@EXERCISE.part(
    "kahn_cycles",
    points=1,
    title="kahn_sort: cycles raise ValueError",
    needs=("kahn_sort",),
    forbidden=FORBIDDEN,
    hint=CYCLE_HINT + " In Kahn's algorithm, a cycle leaves nodes that never "
    "become ready: compare how many nodes you placed.",
)
def kahn_cycles(t: Tester):
    yield from _cycle_cases(t, "kahn_sort")


@EXERCISE.part(
    "kahn_deep",
    points=1,
    title="kahn_sort: 100,000-node graphs",
    needs=("kahn_sort",),
    forbidden=FORBIDDEN,
    hint=DEEP_HINT,
)
def kahn_deep(t: Tester):
    yield from _deep_cases(t, "kahn_sort")


@EXERCISE.part(
    "dfs_order",
    points=3,
    title="dfs_sort: a valid order",
    needs=("dfs_sort",),
    forbidden=FORBIDDEN,
    hint=ORDER_HINT + " DFS: emit a node in post-order, after all of its parents have been emitted, "
    "and skip nodes already emitted.",
)
def dfs_order(t: Tester):
    yield from _order_cases(t, "dfs_sort")


@EXERCISE.part(
    "dfs_cycles",
    points=1,
    title="dfs_sort: cycles raise ValueError",
    needs=("dfs_sort",),
    forbidden=FORBIDDEN,
    hint=CYCLE_HINT + " In a DFS, a cycle shows up as a parent that is still on "
    "the current path (started but not finished).",
)
def dfs_cycles(t: Tester):
    yield from _cycle_cases(t, "dfs_sort")


@EXERCISE.part(
    "dfs_deep",
    points=1,
    title="dfs_sort: 100,000-node graphs",
    needs=("dfs_sort",),
    forbidden=FORBIDDEN,
    hint=DEEP_HINT,
)
def dfs_deep(t: Tester):
    yield from _deep_cases(t, "dfs_sort")
