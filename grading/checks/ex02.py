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


#: The recursion limit a deep check runs under: this many frames above the check's own (helpers fit, a recursion
#: over a deep graph does not).
RECURSION_MARGIN = 100


def order_case(
    t: Tester,
    function: str,
    what: str,
    build: Callable[[], G.Node],
    *,
    heavy: bool = False,
    group: str | None = None,
    recursion_margin: int | None = None,
) -> Case:
    def run() -> Verdict:
        output = build()
        graph, nodes = G.to_data(output)
        reply = t.probe("order", function=function, graph=graph, recursion_margin=recursion_margin)
        result = G.from_data(reply, nodes)
        problem = None if G.valid_order(graph, reply) else G.order_problem(output, result)
        if problem is None and "recursion_limit" in reply:
            problem = (
                f"{function} sets the recursion limit (to {reply['recursion_limit']}): the rule is no recursion, "
                "and this check runs under a low limit"
            )
        warning = None
        if (
            not heavy
            and G.order_problem(output, G.from_data(t.expect("order", function=function, graph=graph), nodes))
            is not None
        ):
            warning = "the reference solution returns an invalid order"
        return Verdict(problem is None, VALID, G.show_order(result), detail=problem, grader_warning=warning)

    suffix = ", no recursion" if recursion_margin is not None else ""
    return Case(
        f"{function}({what}{suffix})", run, heavy=heavy, group=group, input=None if heavy else G.describe(build())
    )


def rules_case(t: Tester, function: str, rule: str, build: Callable[[], G.Node]) -> Case:
    """A rule of the text (:data:`RULES`) on a small graph. Weighted as three checks: breaking a rule breaks every
    later use of the function."""

    def run() -> Verdict:
        graph, nodes = G.to_data(build())
        return rule_verdict(function, rule, t.probe("order", function=function, graph=graph), lambda i: repr(nodes[i]))

    what, hint, more = RULES[rule]
    return Case(
        f"{function}: {what}", run, group="edge cases", weight=3, input=G.describe(build()), hint=hint, more=more
    )


def rule_verdict(function: str, rule: str, reply: dict, label: Callable[[int], str]) -> Verdict:
    """Whether a probe's reply keeps a rule: ``"list"`` (its ``type``) or ``"unchanged"`` (no node in its
    ``modified``; ``label`` names a node by its number)."""
    if rule == "list":
        kind = reply.get("type")
        return Verdict(
            kind == "list",
            "a list",
            f"a {kind}",
            None if kind == "list" else f"{function} returns a {kind}, not a list",
        )
    changed = [label(i) for i in reply.get("modified", [])]
    return Verdict(
        not changed,
        "every node as it was",
        "changed: " + ", ".join(changed) if changed else "unchanged",
        None if not changed else f"{function} changes the graph it is given",
    )


def cycle_case(t: Tester, function: str, what: str, build: Callable[[], G.Node], group: str | None = None) -> Case:
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

    return Case(f"{function}({what})", run, input=G.describe(build()), group=group)


def _order_cases(t: Tester, function: str):
    if not t.hidden:
        yield order_case(t, function, "a chain of 3 nodes", lambda: G.chain(3))
        yield order_case(t, function, "a diamond", G.diamond)
        yield order_case(t, function, "a single node", G.single, group="edge cases")
        yield order_case(t, function, "y = x * x (the same parent twice)", G.repeated_edge, group="edge cases")
        yield order_case(
            t, function, "x used twice by one node and once by another", G.twice_and_once, group="edge cases"
        )
        yield rules_case(t, function, "list", G.diamond)
        yield rules_case(t, function, "unchanged", G.shared_subgraph)
        return
    yield order_case(t, function, "shared nodes", G.shared_subgraph)
    yield order_case(t, function, "a 10 x 10 grid (many shared paths)", lambda: G.grid(10))
    for i in range(8):
        seed = t.rng.randrange(2**32)
        size = t.rng.randint(5, 40)
        yield order_case(
            t,
            function,
            f"a random DAG of {size} nodes (#{i + 1})",
            lambda seed=seed, size=size: G.random_dag(random.Random(seed), size),
        )
    yield order_case(t, function, "a chain of 2 nodes", lambda: G.chain(2), group="edge cases")
    yield order_case(t, function, "a node with 50 parents", lambda: G.wide(50), group="edge cases")
    yield rules_case(t, function, "list", lambda: G.grid(4))
    yield rules_case(t, function, "unchanged", lambda: G.grid(4))


def _cycle_cases(t: Tester, function: str):
    if not t.hidden:
        yield cycle_case(t, function, "a node that is its own parent", G.self_loop, group="edge cases")
        yield cycle_case(t, function, "a cycle of two nodes", G.two_cycle)
        yield cycle_case(t, function, "a cycle through the output", G.cycle_through_output)
        return
    yield cycle_case(t, function, "a cycle of 3 nodes below the output", lambda: G.cycle_below(3))
    yield cycle_case(t, function, "a self-loop below the output", lambda: G.cycle_below(1), group="edge cases")
    yield cycle_case(t, function, "a cycle of 50 nodes", lambda: G.cycle_below(50))
    yield cycle_case(t, function, "a cycle closed behind a diamond", G.cycle_behind_diamond)


def _deep_cases(t: Tester, function: str):
    deep = {"group": "scale", "recursion_margin": RECURSION_MARGIN}
    if not t.hidden:
        yield order_case(t, function, "a chain of 1,000 nodes", lambda: G.chain(1000), **deep)
        yield order_case(t, function, "a chain of 100,000 nodes", lambda: G.chain(100_000), heavy=True, **deep)
        return
    yield order_case(
        t,
        function,
        "a chain 100,000 nodes deep with a fresh leaf at every step",
        lambda: G.chain_with_leaves(100_000),
        heavy=True,
        **deep,
    )


ORDER_HINT = (
    "Which nodes must already be in the list when a node is appended? Every node the output depends on "
    "appears exactly once, after all of its parents, and the output comes last. Parents may repeat (y = x * x)."
)
CYCLE_HINT = "If the nodes the output depends on contain a cycle, there is no order: raise ValueError."
DEEP_HINT = (
    "What happens to Python's call stack on a graph 100,000 nodes deep, and how long does `node in some_list` "
    "take? The deep checks run under a low recursion limit: no recursion, and O(V + E) work."
)
DEEP_MORE = (
    "Replace the recursive call by a loop over a stack of your own (a list of pending work); setting "
    "sys.setrecursionlimit is noticed and does not help. Remember nodes in sets or dicts, not lists."
)
#: rule -> (what the check is called, the concept hint, the code-level hint)
RULES = {
    "list": (
        "returns a list",
        "The table at the top says the function returns a list: later code reverses it, indexes it and prints it.",
        "reversed(...), map(...) and generator expressions give iterators, not lists.",
    ),
    "unchanged": (
        "leaves the graph as it was",
        "The graph belongs to the caller, who walks it again (to sort it, to differentiate it): does your function "
        "change any node?",
        "Keep counts, marks and adjoints in dicts and sets of your own; do not assign to a node's attributes.",
    ),
}


@EXERCISE.part(
    "kahn_order",
    points=3,
    title="kahn_sort: a valid order",
    needs=("kahn_sort",),
    forbidden=FORBIDDEN,
    hint=ORDER_HINT + " In Kahn's algorithm, when is a node ready to be taken?",
    more="Count, for each node, the edges to its consumers (a parent listed twice counts twice); start from the "
    "output; take a node when its count reaches zero; the list comes out output first.",
)
def kahn_order(t: Tester):
    yield from _order_cases(t, "kahn_sort")


@EXERCISE.part(
    "kahn_cycles",
    points=1,
    title="kahn_sort: cycles raise ValueError",
    needs=("kahn_sort",),
    forbidden=FORBIDDEN,
    hint=CYCLE_HINT + " Kahn's algorithm notices a cycle only if every node's count includes every edge from "
    "its consumers: does yours, for the nodes on the cycle?",
    more="In step 1, add one to a parent's count each time an edge reaches it, also when the parent was found "
    "before (that is how a cycle's edges get counted); then the nodes on a cycle never reach zero, and fewer "
    "nodes come out than step 1 found.",
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
    more=DEEP_MORE,
)
def kahn_deep(t: Tester):
    yield from _deep_cases(t, "kahn_sort")


@EXERCISE.part(
    "dfs_order",
    points=3,
    title="dfs_sort: a valid order",
    needs=("dfs_sort",),
    forbidden=FORBIDDEN,
    hint=ORDER_HINT + " In a depth-first search, when is a node finished?",
    more="Emit a node in post-order, once the iterator over its parents is exhausted, and skip parents that "
    "are already finished.",
)
def dfs_order(t: Tester):
    yield from _order_cases(t, "dfs_sort")


@EXERCISE.part(
    "dfs_cycles",
    points=1,
    title="dfs_sort: cycles raise ValueError",
    needs=("dfs_sort",),
    forbidden=FORBIDDEN,
    hint=CYCLE_HINT + " In a depth-first search, how does a parent on the current path differ from one that "
    "is finished?",
    more="Keep the nodes started but not finished in a set of their own: reaching one of them again means a "
    "cycle. A single 'visited' set cannot tell the two apart.",
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
    more=DEEP_MORE,
)
def dfs_deep(t: Tester):
    yield from _deep_cases(t, "dfs_sort")
