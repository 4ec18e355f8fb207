"""Exercise 3, part ``toposort``: a topological order, iterative, for graphs of any depth."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ... import graphs as G
from ...core import Case, Tester, Verdict
from ...programs import Program, random_program
from .common import EXERCISE, RECURSION_MARGIN, SORT_FORBIDDEN, graph_data, labeller, rule_case, shared_chain


def topo_case(
    t: Tester,
    what: str,
    make: Callable[[type], tuple[Any, dict]],
    *,
    heavy: bool = False,
    text: str | None = None,
    group: str | None = None,
    recursion_margin: int | None = None,
) -> Case:
    def run() -> Verdict:
        output, names = make(t.reference("Var"))
        label = labeller(names)
        graph, nodes = graph_data(output)
        reply = t.probe("toposort", graph=graph, recursion_margin=recursion_margin)
        result = G.from_data(reply, nodes)
        problem = None if G.valid_order(graph, reply) else G.order_problem(output, result, label=label)
        if problem is None and "recursion_limit" in reply:
            problem = (
                f"topological_sort sets the recursion limit (to {reply['recursion_limit']}): the rule is no "
                "recursion, and this check runs under a low limit"
            )
        return Verdict(
            problem is None,
            "every node the output depends on, once, each after its parents",
            G.show_order(result, label=label),
            detail=problem,
        )

    suffix = ", no recursion" if recursion_margin is not None else ""
    return Case(f"topological_sort({what}{suffix})", run, heavy=heavy, input=text, group=group)


def _program_graph(program: Program) -> Callable[[type], tuple[Any, dict]]:
    def make(Var: type) -> tuple[Any, dict]:
        output, names, _ = program.run(Var)
        return output, names

    return make


def _chain_graph(depth: int) -> Callable[[type], tuple[Any, dict]]:
    def make(Var: type) -> tuple[Any, dict]:
        leaf, output = shared_chain(Var, depth)
        return output, {id(leaf): "x", id(output): "y"}

    return make


@EXERCISE.part(
    "toposort",
    points=1,
    title="topological_sort (yours, from exercise 2)",
    needs=("topological_sort",),
    forbidden=SORT_FORBIDDEN,
    hint="Does your sort from exercise 2 still pass its checks there: every node the output depends on, once, "
    "after its parents, as a list, with no recursion?",
    more="Paste kahn_sort or dfs_sort and rename it topological_sort; Var nodes have parents like exercise 2's "
    "nodes. The deep checks run under a low recursion limit.",
)
def toposort(t: Tester):
    if not t.hidden:
        diamond = Program({"x": 0.7}, [("a", "x.sin()"), ("b", "x.cos()"), ("y", "a * b")])
        for program in (Program({"x": 3.0}, [("y", "x * x")]), diamond):
            yield topo_case(t, program.output_name, _program_graph(program), text=program.text())
        deep = {"group": "scale", "recursion_margin": RECURSION_MARGIN}
        yield topo_case(t, "a chain of 1,000 operations", _chain_graph(1000), **deep)
        yield topo_case(t, "a chain of 100,000 operations", _chain_graph(100_000), heavy=True, **deep)
        yield rule_case(t, "topological_sort", "list", diamond)
        yield rule_case(t, "topological_sort", "unchanged", diamond)
        return
    for i in range(4):
        program = random_program(
            t.rng, t.reference("Var"), inputs=t.rng.randint(1, 3), ops=t.rng.randint(5, 20), reuse=True
        )
        yield topo_case(t, f"random program #{i + 1}", _program_graph(program), text=program.text())
    program = random_program(t.rng, t.reference("Var"), inputs=2, ops=10, reuse=True)
    yield rule_case(t, "topological_sort", "list", program)


# --------------------------------------------------------------------------- backward
